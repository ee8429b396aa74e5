// npm run bench:control-plane [-- --runs=3] [-- --cold-build]
// Prints how long the integration control plane takes: getting the binaries (scripts/install-envtest.sh,
// cached or not) and starting etcd + kube-apiserver + kube-controller-manager until every CRD is served.
// --cold-build also times a build from scratch: a fresh binary cache and a fresh Go build cache (downloaded Go
// modules are reused, so the network is not measured), thrown away afterwards. It takes many minutes.
// Run with Node 24 directly: node scripts/bench-control-plane.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane } from '../test/integration/harness/controlPlane.ts';
import { scriptPath } from '../test/integration/harness/paths.ts';
import { runScript } from '../test/integration/harness/processes.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'cold-build': { type: 'boolean', default: false } } });
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not ${args.runs}`);

const seconds = (ms: number) => (ms / 1000).toFixed(1);

printMachine();
if (args['cold-build']) await benchColdBuild();
const install = await timeInstallScript({});
console.log(`install-envtest.sh: ${seconds(install.ms)} s (${install.built ? 'built the binaries' : 'cached, nothing built'})`);
await benchStartups(runs);

function printMachine(): void {
  console.log(`date:    ${new Date().toISOString()}`);
  console.log(`machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown model'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Linux ${release()}`);
  console.log(`node:    ${process.version}`);
}

/** Times scripts/install-envtest.sh; whether it built is read from its closing "built … in N s" line. */
async function timeInstallScript(env: Record<string, string>): Promise<{ ms: number; built: boolean }> {
  const started = performance.now();
  const { stderrTail } = await runScript(scriptPath('install-envtest.sh'), { env: { ...process.env, ...env }, echoStderr: false });
  return { ms: performance.now() - started, built: /^built .* in \d+ s$/m.test(stderrTail) };
}

async function benchColdBuild(): Promise<void> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'pytuner-bench-cache-'));
  const goCache = await mkdtemp(join(tmpdir(), 'pytuner-bench-gocache-'));
  try {
    console.log('cold build: fresh binary cache and Go build cache (this takes many minutes)…');
    // KUBEBUILDER_ASSETS would short-circuit the build.
    const { ms } = await timeInstallScript({ PYTUNER_CACHE_DIR: cacheDir, GOCACHE: goCache, KUBEBUILDER_ASSETS: '' });
    console.log(`cold build: ${seconds(ms)} s (${(ms / 60_000).toFixed(1)} min)`);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
    await rm(goCache, { recursive: true, force: true });
  }
}

async function benchStartups(count: number): Promise<void> {
  console.log('\nrun  binaries  servers ready  CRDs served  total  stop   (seconds; servers and CRDs overlap)');
  const totals: number[] = [];
  let crdCount = 0;
  for (let run = 1; run <= count; run++) {
    const controlPlane = await startControlPlane();
    const { binariesMs, serversReadyMs, crdsReadyMs, totalMs } = controlPlane.timings;
    const stopStarted = performance.now();
    await controlPlane.stop();
    const stopMs = performance.now() - stopStarted;
    totals.push(totalMs);
    crdCount = controlPlane.crdNames.length;
    console.log(
      `${String(run).padStart(3)}  ${seconds(binariesMs).padStart(8)}  ${seconds(serversReadyMs).padStart(13)}  ${seconds(crdsReadyMs).padStart(11)}  ${seconds(totalMs).padStart(5)}  ${seconds(stopMs).padStart(4)}`,
    );
  }
  const sorted = [...totals].sort((a, b) => a - b);
  console.log(`median total: ${seconds(sorted[Math.floor(sorted.length / 2)] ?? NaN)} s over ${count} runs (${crdCount} CRDs)`);
}
