// npm run demo:controller: the controller on a real local control plane. Starts etcd + kube-apiserver +
// kube-controller-manager (the integration tests' harness, with pytuner's, Knative's and Config Connector's CRDs),
// creates the bundled examples/ (and their namespaces) and a TuningPolicy in Recommend mode in each namespace, runs
// `pytuner controller` in this process, and prints `kubectl get tuningrecommendations -A` once every workload has
// one. Then it stays up for kubectl until Ctrl-C, or exits at once with --once.
// Run with Node 24 directly: node scripts/demo-controller.ts [--once] [--verbose]
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { startController } from '../src/controller/main.ts';
import { createLogger } from '../src/controller/log.ts';
import { startControlPlane } from '../test/integration/harness/controlPlane.ts';
import { repoRoot } from '../test/integration/harness/paths.ts';

const once = process.argv.includes('--once');
const verbose = process.argv.includes('--verbose');
const say = (message: string) => process.stderr.write(`${message}\n`);
const WORKLOAD_KINDS = new Set(['serving.knative.dev/v1/Service', 'apps/v1/Deployment']);
const DEMO_MANAGER = 'pytuner-demo';

/** Every object of every examples/*\/*.yaml, in path order. */
function exampleObjects(): Array<{ file: string; object: KubernetesObject }> {
  const dir = join(repoRoot, 'examples');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => loadAll(readFileSync(join(dir, f), 'utf8')).filter((d) => d !== null && d !== undefined).map((object) => ({ file: relative(repoRoot, join(dir, f)), object: object as KubernetesObject })));
}

const controlPlane = await startControlPlane({ onProgress: say });
const kubectl = join(controlPlane.binDir, 'kubectl');
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
const objects = KubernetesObjectApi.makeApiClient(kubeConfig);

let controller: Awaited<ReturnType<typeof startController>> | undefined;
let stopping = false;
async function shutDown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await controller?.stop();
  await controlPlane.stop();
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    say(`${signal}: stopping the controller and the control plane`);
    void shutDown(0);
  });
}

try {
  const examples = exampleObjects();
  const namespaces = [...new Set(examples.map((e) => e.object.metadata?.namespace).filter((ns): ns is string => ns !== undefined))].sort();
  for (const name of namespaces) {
    await objects.patch({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, undefined, undefined, DEMO_MANAGER, true, PatchStrategy.ServerSideApply);
  }
  for (const { file, object } of examples) {
    try {
      await objects.patch(object, undefined, undefined, DEMO_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      throw new Error(`applying ${object.kind} ${object.metadata?.name} from ${file} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const namespace of namespaces) {
    await objects.patch(
      { apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { name: 'recommend', namespace }, spec: { mode: 'Recommend' } } as KubernetesObject,
      undefined,
      undefined,
      DEMO_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
  }
  const workloads = examples.filter((e) => WORKLOAD_KINDS.has(`${e.object.apiVersion}/${e.object.kind}`)).length;
  say(`applied ${examples.length} example objects (${workloads} workloads) in namespaces ${namespaces.join(', ')}, and a TuningPolicy "recommend" (mode Recommend) in each`);

  controller = await startController({
    kubeConfig,
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    resyncMs: 600_000,
    log: createLogger({ level: verbose ? 'info' : 'warn' }),
  });
  say(`controller running: metrics at http://127.0.0.1:${controller.port}/metrics`);

  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const list = (await custom.listClusterCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', plural: 'tuningrecommendations' })) as { items: Array<{ status?: { summary?: unknown } }> };
    const evaluated = list.items.filter((r) => r.status?.summary !== undefined).length;
    if (evaluated >= workloads) break;
    if (Date.now() > deadline) throw new Error(`only ${evaluated} of ${workloads} workloads have a TuningRecommendation after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const kubectlArgs = ['--kubeconfig', controlPlane.kubeconfigPath];
  process.stdout.write(`$ kubectl get tuningrecommendations -A\n${execFileSync(kubectl, [...kubectlArgs, 'get', 'tuningrecommendations', '-A'], { encoding: 'utf8' })}`);
  if (once) {
    await shutDown(0);
  } else {
    say(`\ntry:\n  ${kubectl} --kubeconfig ${controlPlane.kubeconfigPath} get tuningpolicies -A`);
    say(`  ${kubectl} --kubeconfig ${controlPlane.kubeconfigPath} get tuningrecommendation -n shop service-orders -o yaml`);
    say(`  curl -s http://127.0.0.1:${controller.port}/metrics | grep ^pytuner_`);
    say('Ctrl-C stops the controller and the control plane.');
  }
} catch (err) {
  say(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  await shutDown(1);
}
