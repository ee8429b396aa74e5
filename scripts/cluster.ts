// npm run cluster: the control plane of the integration tests (etcd, kube-apiserver, kube-controller-manager,
// with pytuner's and the third-party CRDs from Go modules installed), in the foreground until Ctrl-C, for demos and debugging.
// Run with Node 24 directly: node scripts/cluster.ts
import { constants } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../test/integration/harness/controlPlane.ts';

const log = (message: string) => process.stderr.write(`${message}\n`);

const controlPlane = await startControlPlane({ onProgress: log });
const kubectl = join(controlPlane.binDir, 'kubectl');
const { totalMs, binariesMs } = controlPlane.timings;

console.log(`control plane ready in ${(totalMs / 1000).toFixed(1)} s (binaries: ${(binariesMs / 1000).toFixed(1)} s), API server ${controlPlane.server}`);
console.log(`admin kubeconfig:      ${controlPlane.kubeconfigPath}`);
console.log(`restricted kubeconfig: ${controlPlane.restrictedKubeconfigPath}`);
console.log(`CRDs: ${controlPlane.crdNames.join(', ')}`);
console.log(`try:\n  ${kubectl} --kubeconfig ${controlPlane.kubeconfigPath} get crds`);
console.log('Ctrl-C stops it and removes its directory.');

// The harness stops the servers on SIGINT/SIGTERM too; this listener reports it, and because it stays
// registered the harness leaves the ending to it: once the servers are gone, no child process keeps the
// event loop alive and the script exits with status 0. A second signal gives up waiting: process.exit runs
// the harness's exit handler, which SIGKILLs what is left.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      log(`${signal} again: killing the servers`);
      process.exit(128 + constants.signals[signal]);
    }
    stopping = true;
    log(`${signal}: stopping the control plane`);
    void controlPlane.stop().then(() => log('stopped'));
  });
}
