// npm run demo:controller: the controller on a real local control plane. Starts etcd + kube-apiserver +
// kube-controller-manager (the integration tests' harness, with pytuner's, Knative's and Config Connector's CRDs) and
// a real Prometheus holding three hours of simulated series (bench/sim: a gunicorn service with known CPU and I/O per
// request under a rising load) for the example Knative and Cloud Run services, as their queue-proxy and Cloud
// Monitoring would have written them. Creates the bundled examples/ (and their namespaces) and a TuningPolicy in
// Recommend mode in each namespace (naming the Prometheus where the series are: profile knative for shop, cloudrun for
// the Cloud Run project), runs `pytuner controller` in this process, and prints `kubectl get tuningrecommendations -A`
// once every workload has one, with what measured load recommends. Then it stays up for kubectl until Ctrl-C, or
// exits at once with --once.
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
import { startPrometheus, type RunningPrometheus } from '../test/integration/harness/prometheus.ts';
import { cloudRunSeries, knativeSeries, mergeDocuments, type SeriesOptions, type WorkloadLoad } from '../test/support/series.ts';
import { SIM_BOUNDS, simulatedSteps, type SimulatedService } from '../test/support/seriesFromSim.ts';

const once = process.argv.includes('--once');
const verbose = process.argv.includes('--verbose');
const say = (message: string) => process.stderr.write(`${message}\n`);
const WORKLOAD_KINDS = new Set(['serving.knative.dev/v1/Service', 'apps/v1/Deployment']);
const DEMO_MANAGER = 'pytuner-demo';

/** Three hours of 5-minute steps, ending at the last step boundary: the controller's window (now, rounded down) ends there too. */
const STEP = 300;
const HOURS = 3;
const END = Math.floor(Date.now() / 1000 / STEP) * STEP;
const SERIES: SeriesOptions = { start: END - HOURS * 3600, stepSeconds: STEP, bounds: SIM_BOUNDS };

/**
 * The example services as a simulation runs them: the server shape of their manifest (or Dockerfile, Procfile),
 * their vCPU and containerConcurrency, and a load rising over the three hours. CPU and I/O per request are made up.
 */
const SIMULATED: Array<{ profile: 'knative' | 'cloudrun'; load: Omit<WorkloadLoad, 'steps'>; service: Omit<SimulatedService, 'durationSeconds' | 'stepSeconds'> }> = [
  { profile: 'knative', load: { namespace: 'shop', name: 'orders', container: 'orders', vcpus: 2 }, service: { seed: 1, fromRate: 5, toRate: 40, cpuMs: 12, ioMs: 50, workers: 2, threads: 4, vcpus: 2, containerConcurrency: 0 } },
  { profile: 'cloudrun', load: { namespace: '123456789012', name: 'checkout', location: 'europe-west1', vcpus: 4 }, service: { seed: 2, fromRate: 10, toRate: 80, cpuMs: 20, ioMs: 60, workers: 1, threads: 8, vcpus: 4, containerConcurrency: 80 } },
  { profile: 'cloudrun', load: { namespace: '123456789012', name: 'pricing', location: 'europe-west1', vcpus: 2 }, service: { seed: 3, fromRate: 5, toRate: 60, cpuMs: 8, ioMs: 30, workers: 2, threads: 4, vcpus: 2, containerConcurrency: 8 } },
  { profile: 'cloudrun', load: { namespace: '123456789012', name: 'catalog', location: 'us-central1', vcpus: 2 }, service: { seed: 4, fromRate: 5, toRate: 50, cpuMs: 15, ioMs: 40, workers: 2, threads: 8, vcpus: 2, containerConcurrency: 16 } },
];

/** The OpenMetrics text of every simulated service, and the profile of each namespace that has some. */
function simulatedSeries(): { openMetrics: string; profiles: Map<string, 'knative' | 'cloudrun'> } {
  const loads = SIMULATED.map((s) => ({ ...s, load: { ...s.load, steps: simulatedSteps({ ...s.service, durationSeconds: HOURS * 3600, stepSeconds: STEP }) } }));
  const of = (profile: 'knative' | 'cloudrun') => loads.filter((l) => l.profile === profile).map((l) => l.load);
  return {
    openMetrics: mergeDocuments([knativeSeries(of('knative'), SERIES, 'pod-labels'), cloudRunSeries(of('cloudrun'), SERIES)]),
    profiles: new Map(SIMULATED.map((s) => [s.load.namespace, s.profile])),
  };
}

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
let prometheus: RunningPrometheus | undefined;
let stopping = false;
async function shutDown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await controller?.stop();
  await prometheus?.stop();
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
  say(`simulating ${SIMULATED.length} services over ${HOURS} h and backfilling their series into Prometheus`);
  const series = simulatedSeries();
  prometheus = await startPrometheus({ openMetrics: series.openMetrics });
  say(`Prometheus at ${prometheus.url} holds the simulated series (${HOURS} h up to ${new Date(END * 1000).toISOString()})`);
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
    const profile = series.profiles.get(namespace);
    const metrics = profile === undefined ? {} : { metrics: { prometheusUrl: prometheus.url, profile, window: `${HOURS}h` } };
    await objects.patch(
      { apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { name: 'recommend', namespace }, spec: { mode: 'Recommend', ...metrics } } as KubernetesObject,
      undefined,
      undefined,
      DEMO_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
  }
  const workloads = examples.filter((e) => WORKLOAD_KINDS.has(`${e.object.apiVersion}/${e.object.kind}`)).length;
  say(`applied ${examples.length} example objects (${workloads} workloads) in namespaces ${namespaces.join(', ')}, and a TuningPolicy "recommend" (mode Recommend) in each`);
  say(`the policies of ${[...series.profiles].map(([ns, profile]) => `${ns} (profile ${profile})`).join(' and ')} read the Prometheus; the others recommend from the static rules alone`);

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
  // What each recommendation rests on, and the containerConcurrency it recommends with the rule that produced it.
  const columns = [
    'NAMESPACE:.metadata.namespace',
    'NAME:.metadata.name',
    'BASIS:.status.basis',
    'METRICS:.status.conditions[?(@.type=="MetricsAvailable")].reason',
    'CONCURRENCY:.status.recommendations[?(@.setting=="containerConcurrency")].value',
    'CONFIDENCE:.status.recommendations[?(@.setting=="containerConcurrency")].confidence',
    'FROM:.status.recommendations[?(@.setting=="containerConcurrency")].rule',
  ].join(',');
  process.stdout.write(`\n$ kubectl get tuningrecommendations -A -o custom-columns=...\n${execFileSync(kubectl, [...kubectlArgs, 'get', 'tuningrecommendations', '-A', '-o', `custom-columns=${columns}`], { encoding: 'utf8' })}`);
  if (once) {
    await shutDown(0);
  } else {
    say(`\ntry:\n  ${kubectl} --kubeconfig ${controlPlane.kubeconfigPath} get tuningpolicies -A`);
    say(`  ${kubectl} --kubeconfig ${controlPlane.kubeconfigPath} get tuningrecommendation -n shop service-orders -o yaml`);
    say(`  curl -s ${prometheus.url}/api/v1/label/__name__/values`);
    say(`  curl -s http://127.0.0.1:${controller.port}/metrics | grep ^pytuner_`);
    say('Ctrl-C stops the controller and the control plane.');
  }
} catch (err) {
  say(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  await shutDown(1);
}
