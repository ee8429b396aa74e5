/**
 * Benchmark: the controller at scale, on a real API server (the test harness's control plane) and a real Prometheus
 * (promtool-backfilled). For each size N it creates N Knative Services and N Deployments spread over --namespaces
 * namespaces, one TuningPolicy per namespace (Recommend mode, reading Prometheus, both kinds), the Services' load
 * backfilled into Prometheus, and then runs `pytuner controller` as child processes, once per shard count (1, 2, 3
 * shards, `--shard i --total-shards M`, each with leader election on its own Lease), deleting every
 * TuningRecommendation between runs. It prints, per run:
 *
 *   ready       spawn → the last shard's workers started (caches synced, Lease taken)
 *   all written spawn → every workload's TuningRecommendation exists, created with its content (a metadata watch counts them)
 *   API req     HTTP requests the controllers made to the API server, counted in each process by bench/scale-requests.ts
 *               (Node's http.client.request.start diagnostics channel; the controller's code is not changed)
 *   writes      of those, creates/patches/updates (POST, PATCH, PUT) per workload
 *   PromQL      /api/v1/query and /api/v1/query_range requests Prometheus answered (its own prometheus_http_requests_total)
 *   RSS, CPU    peak resident set (VmHWM) of the largest shard; CPU seconds (utime+stime) of all shards together
 *   API server CPU  CPU seconds of etcd, kube-apiserver and kube-controller-manager over the run: on a small machine
 *               they share the cores with the controllers, and the sum of both shows when the machine is the limit
 *
 * How to run it, and each flag: USAGE below (`npm run bench:scale -- --help`).
 *
 * Asserts nothing; prints figures and where the requests went.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { Reflector } from '../src/controller/reflector.ts';
import { startControlPlane, type ControlPlane } from '../test/integration/harness/controlPlane.ts';
import { startPrometheus, type RunningPrometheus } from '../test/integration/harness/prometheus.ts';
import { REPO_ROOT } from '../scripts/bundle.ts';
import { transportFor } from '../src/input/kubeHttp.ts';
import { RUNTIME_ENTRY, assembleRuntime } from '../scripts/runtime-files.ts';
import { knativeSeries, type WorkloadLoad } from '../test/support/series.ts';
import { STEP, STEPS, syntheticSteps } from './syntheticLoad.ts';

const GOALS = { reconcileSeconds: 60, rssMb: 256 };
const BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** A run that has not finished after this long is reported as unfinished. */
const RUN_TIMEOUT_MS = 10 * 60_000;
const LEASE_NAMESPACE = 'pytuner-system';

const USAGE = `npm run bench:scale -- [flags]: the controller at scale on a real API server and Prometheus.

  npm run bench:scale                                 # 1,000 and 10,000 (+ as many Deployments), 1, 2, 3 shards
  npm run bench:scale -- --sizes 1000 --shards 1      # a quick run
  npm run bench:scale -- --sizes 10000 --shards 1     # the Scale goal of issue 18, below
  npm run bench:scale -- --workers 16 --namespaces 100
  npm run bench:scale -- --sizes 1000 --shards 1 --entry source --node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"

The Scale goal (20,000 workloads + 5,000 ServiceAccounts + 2,100 IAM objects in one controller) is
--sizes 10000 --shards 1: 10,000 Knative Services and 10,000 Deployments, one ServiceAccount per 4 workloads (about 5,000,
each with a Workload Identity annotation) and, with --iam (the default), 2,000 IAMPolicyMembers and 100
IAMPartialPolicies of 10 members naming their Google service accounts. Creating the 20,000 workloads takes about
4 minutes (2,000 took 24 s on a busy 2-vCPU machine), the controller's run is cut off after ${RUN_TIMEOUT_MS / 60_000} minutes (at the
goal of 200 workloads/s it needs 100 s): about 10 minutes in all. Run it on a quiet machine: other load shows up in
every figure.

Flags:
  --sizes N,...              Knative Services per run (as many Deployments again); default 1000,10000
  --shards M,...             shard counts to run each size with (--shard i --total-shards M); default 1,2,3
  --workers N                the controller's --workers; default 16
  --namespaces N             namespaces the workloads are spread over, one TuningPolicy each; default 60
  --create-concurrency N     objects created at once while setting up; default 48
  --log-level LEVEL          the controller's --log-level; default info
  --entry bundle|source      the image's runtime files (as bench:startup runs them) or src/cli/main.ts; default bundle
  --node-args "..."          extra Node flags for the controllers (--cpu-prof --cpu-prof-dir=/tmp/prof)
  --variants="A|B"           A/B: each run once per set of extra Node flags, in turn on the same cluster (an empty set
                             is the default; a word NAME=value is an environment variable of the controller);
                             e.g. --variants="|--max-semi-space-size=4" or --variants="|MALLOC_ARENA_MAX=2"
  --heap-snapshot DIR        write a heap snapshot of each controller once every recommendation is written
  --restart-pass             after each run, start the shards again over the written recommendations: every workload
                             is reconciled again with nothing to change (as a resync is); its time, requests and writes
  --no-iam                   no ServiceAccounts and no IAM objects
  --memory-limit-mb N        the container memory limit the controller's V8 heap is sized from, with the V8 flags of
                             the image's ENTRYPOINT (--max-old-space-size-percentage=50 → 128 MB old space at 256,
                             and its --max-semi-space-size) and its ENV MALLOC_ARENA_MAX; 0: unsized; default 256
  --help                     this text

Asserts nothing; prints figures and where the requests went.`;

const { values } = parseArgs({
  options: {
    help: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '1000,10000' },
    shards: { type: 'string', default: '1,2,3' },
    workers: { type: 'string', default: '16' },
    namespaces: { type: 'string', default: '60' },
    'create-concurrency': { type: 'string', default: '48' },
    'log-level': { type: 'string', default: 'info' },
    // bundle: the image's runtime files (scripts/runtime-files.ts, as bench:startup runs them); source: src/cli/main.ts.
    entry: { type: 'string', default: 'bundle' },
    // Extra Node flags for the controllers, space-separated: --node-args="--cpu-prof --cpu-prof-dir=/tmp/prof".
    'node-args': { type: 'string', default: '' },
    // A/B on one cluster: each run once per |-separated set of extra Node flags, interleaved.
    variants: { type: 'string', default: '' },
    // Write a heap snapshot of each controller into this directory once every recommendation is written.
    'heap-snapshot': { type: 'string' },
    // After each run, start the shards again over the written recommendations and measure that no-op pass.
    'restart-pass': { type: 'boolean', default: false },
    // ServiceAccounts (one per 4 workloads, each with a Workload Identity annotation) and Config Connector IAM objects
    // (2,000 IAMPolicyMembers, 100 IAMPartialPolicies of 10 members) naming their Google service accounts; --no-iam: none.
    iam: { type: 'boolean', default: true },
    // The controller's container memory limit: its V8 heap is sized as the image's ENTRYPOINT sizes it in that limit
    // (imageHeapFlags). 0: unsized.
    'memory-limit-mb': { type: 'string', default: '256' },
  },
  allowNegative: true,
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const IAM = values.iam;
const IAM_POLICY_MEMBERS = 2_000;
const IAM_PARTIAL_POLICIES = 100;
const MEMBERS_PER_PARTIAL_POLICY = 10;
const IAM_NAMESPACE = 'config-control';
const MEMORY_LIMIT_MB = Number(values['memory-limit-mb']);
/**
 * The V8 flags of the image's ENTRYPOINT (Dockerfile), as they resolve in a container of MEMORY_LIMIT_MB:
 * `--max-old-space-size-percentage=P` becomes `--max-old-space-size` of P % of the limit (what Node computes from the
 * cgroup), the others (the young generation's `--max-semi-space-size`) are passed as they are. Outside a cgroup V8
 * sizes its young generation from the host's memory (64 MB semi-spaces on a 23.5 GiB host, 1 MB in a 256 MiB
 * cgroup), so without them the benchmark's RSS was not the image's.
 */
async function imageHeapFlags(limitMb: number): Promise<string[]> {
  if (limitMb <= 0) return [];
  const dockerfile = await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  if (entrypoint === undefined) throw new Error('Dockerfile: no ENTRYPOINT ["..."] line to read the V8 flags from');
  return (JSON.parse(entrypoint) as string[])
    .filter((arg) => arg.startsWith('--max-'))
    .map((arg) => {
      const percentage = /^--max-old-space-size-percentage=(\d+)$/.exec(arg)?.[1];
      return percentage === undefined ? arg : `--max-old-space-size=${Math.round((limitMb * Number(percentage)) / 100)}`;
    });
}
const HEAP_FLAGS = await imageHeapFlags(MEMORY_LIMIT_MB);
/** The image's malloc setting (`MALLOC_ARENA_MAX` in the Dockerfile's ENV), given to the controllers with its heap flags. */
const IMAGE_ENV: Record<string, string> = MEMORY_LIMIT_MB <= 0
  ? {}
  : Object.fromEntries([.../^ENV .*\bMALLOC_ARENA_MAX=(\d+)/m.exec(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8')) ?? []].slice(1).map((v) => ['MALLOC_ARENA_MAX', v]));

/**
 * bench/scale-requests.ts as JavaScript, in a temporary directory, for the controllers' `--import`: imported as
 * TypeScript it made Node load its type stripper (a WebAssembly module) into every controller, 20 MB of RSS the
 * image does not have (measured: 41 MB for an empty Node, 62 MB with the .ts import, 44 MB with the .js one).
 */
async function requestsHook(): Promise<{ dir: string; file: string }> {
  const { transform } = await import('esbuild');
  const dir = await mkdtemp(join(tmpdir(), 'pytuner-bench-scale-hook-'));
  const file = join(dir, 'scale-requests.mjs');
  const { code } = await transform(await readFile(join(REPO_ROOT, 'bench/scale-requests.ts'), 'utf8'), { loader: 'ts', format: 'esm' });
  await writeFile(file, code);
  return { dir, file };
}
const REQUESTS_HOOK = await requestsHook();
const SIZES = numbers(values.sizes, '--sizes');
const SHARDS = numbers(values.shards, '--shards');
const WORKERS = numbers(values.workers, '--workers')[0]!;
const NAMESPACES = numbers(values.namespaces, '--namespaces')[0]!;
const CREATE_CONCURRENCY = numbers(values['create-concurrency'], '--create-concurrency')[0]!;
const VARIANTS = values.variants.split('|').map((v) => v.trim());
const say = (line: string) => process.stderr.write(`${line}\n`);

function numbers(text: string, flag: string): number[] {
  const list = text.split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${flag} takes whole numbers >= 1, comma-separated: ${text}`);
  return list;
}

/** What one run measured. */
interface RunResult {
  size: number;
  shards: number;
  workloads: number;
  written: number;
  readyS: number;
  allWrittenS: number | undefined;
  apiRequests: number;
  writes: number;
  requestClasses: Array<[string, number]>;
  promql: number;
  prometheusRequests: number;
  peakRssMb: number;
  /** What the largest shard's memory was made of when its RSS was highest (its /metrics, sampled every 2 s). */
  memory: MemorySample | undefined;
  cpuS: number;
  controlPlaneCpuS: number;
  /** The API server's own count and summed latency of the requests it served during the run, by verb and resource. */
  served: Array<[string, { count: number; seconds: number }]>;
  warnings: string[];
  restart?: RestartPass;
  /** The extra Node flags of this run (--variants). */
  variant: string;
}

/** One reading of a controller's memory from its /metrics (prom-client's process and V8 heap gauges), in MB. */
interface MemorySample {
  rss: number;
  /** V8 heap spaces: committed size (used size) by space. */
  spaces: Map<string, { total: number; used: number }>;
  /** Memory of JavaScript objects held outside the V8 heap (Buffers, undici's). */
  external: number;
}

/** The second start over existing recommendations (--restart-pass). */
interface RestartPass {
  /** Spawn → every workload reconciled again and the queues empty; undefined when it did not finish in time. */
  seconds: number | undefined;
  apiRequests: number;
  writes: number;
  requestClasses: Array<[string, number]>;
}

// ---------------------------------------------------------------------------------------------------- objects

function namespaceOf(i: number): string {
  return `team-${i % NAMESPACES}`;
}

/** The ServiceAccount of workload i (Service or Deployment): two Services and two Deployments of a namespace share one. */
function serviceAccountName(i: number): string {
  return `sa-${Math.floor(Math.floor(i / NAMESPACES) / 2)}`;
}

/** The Google service account the ServiceAccount of namespace/name acts as (Workload Identity). */
function gsaEmail(namespace: string, name: string): string {
  return `${namespace}-${name}@demo-project.iam.gserviceaccount.com`;
}

/** The ServiceAccounts the workloads 0..size-1 run as (one per 4 workloads), each annotated with its GSA. */
function serviceAccounts(size: number): KubernetesObject[] {
  const seen = new Map<string, KubernetesObject>();
  for (let i = 0; i < size; i++) {
    const namespace = namespaceOf(i);
    const name = serviceAccountName(i);
    seen.set(`${namespace}/${name}`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, annotations: { 'iam.gke.io/gcp-service-account': gsaEmail(namespace, name) } } });
  }
  return [...seen.values()];
}

/** IAMPolicyMembers and IAMPartialPolicies granting roles to the GSAs of the first ServiceAccounts. */
function iamObjects(accounts: readonly KubernetesObject[]): KubernetesObject[] {
  const member = (k: number) => {
    const sa = accounts[k % accounts.length]!;
    return `serviceAccount:${gsaEmail(sa.metadata!.namespace!, sa.metadata!.name!)}`;
  };
  const resourceRef = { kind: 'Project', external: 'projects/demo-project' };
  const members = Array.from({ length: IAM_POLICY_MEMBERS }, (_, k) => ({
    apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
    kind: 'IAMPolicyMember',
    metadata: { name: `member-${k}`, namespace: IAM_NAMESPACE },
    spec: { member: member(k), role: k % 2 === 0 ? 'roles/cloudprofiler.agent' : 'roles/logging.logWriter', resourceRef },
  }));
  const partials = Array.from({ length: IAM_PARTIAL_POLICIES }, (_, k) => ({
    apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
    kind: 'IAMPartialPolicy',
    metadata: { name: `partial-${k}`, namespace: IAM_NAMESPACE },
    spec: { resourceRef, bindings: [{ role: 'roles/monitoring.metricWriter', members: Array.from({ length: MEMBERS_PER_PARTIAL_POLICY }, (_, m) => ({ member: member(IAM_POLICY_MEMBERS + k * MEMBERS_PER_PARTIAL_POLICY + m) })) }] },
  }));
  return [...members, ...partials] as KubernetesObject[];
}

/** The pod spec fields naming workload i's ServiceAccount (none without --iam). */
function identityOf(i: number): Record<string, string> {
  return IAM ? { serviceAccountName: serviceAccountName(i) } : {};
}

/** A Knative Service running gunicorn 1 × 8 threads at containerConcurrency 80 (so the rules find something). */
function knativeService(i: number): KubernetesObject {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: namespaceOf(i) },
    spec: { template: { spec: { ...identityOf(i), containerConcurrency: 80, containers: [{ image: 'europe-docker.pkg.dev/demo/app:1.0.0', args: ['gunicorn', '--workers', '1', '--threads', '8', '--bind', ':8080', 'app:app'] }] } } },
  } as KubernetesObject;
}

function deployment(i: number): KubernetesObject {
  const name = `deploy-${i}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: namespaceOf(i) },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { ...identityOf(i), containers: [{ name: 'app', image: 'python:3.13-slim', args: ['gunicorn', '--workers', '2', '--bind', ':8080', 'app:app'] }] } },
    },
  } as KubernetesObject;
}

function tuningPolicy(namespace: string, prometheusUrl: string): KubernetesObject {
  return {
    apiVersion: 'pytuner.dev/v1alpha1',
    kind: 'TuningPolicy',
    metadata: { name: 'default', namespace },
    spec: { mode: 'Recommend', selector: { kinds: ['Service', 'Deployment'] }, metrics: { prometheusUrl, profile: 'knative', window: '1h' } },
  } as KubernetesObject;
}

function serviceLoads(size: number): WorkloadLoad[] {
  return Array.from({ length: size }, (_, i) => ({ namespace: namespaceOf(i), name: `svc-${i}`, container: 'user-container', steps: syntheticSteps(i), vcpus: 1 + (i % 4), pods: 1 }));
}

/** Runs `work` over `items` with at most `concurrency` at once. */
async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

// ---------------------------------------------------------------------------------------------------- watching

/**
 * Counts the TuningRecommendations, through the controller's Reflector over every namespace, watching their metadata
 * alone: the controller creates each one with its content (the CRD has no status subresource), so one that exists is
 * written. A watch of the whole objects was a third full watcher of every write besides the controller's and cost the
 * API server about 2 ms of CPU a write (a loop of creates under load, 2026-12-07: 4.8 ms with no extra watcher, 7.0
 * with a full one, 5.3 with a metadata one); a production cluster has no such watcher. What the recommendations say
 * is read once at the end (withheldCount).
 */
class RecommendationCounter {
  readonly #written = new Set<string>();
  readonly #reflector: Reflector<string>;
  #expected = Infinity;
  #resolve: (() => void) | undefined;

  constructor(kubeConfig: KubeConfig) {
    this.#reflector = new Reflector<string>({
      transport: transportFor(kubeConfig),
      path: RECOMMENDATIONS_PATH,
      apiVersion: 'pytuner.dev/v1alpha1',
      kind: 'TuningRecommendation',
      pageSize: 500,
      metadataOnly: true,
      backoff: { baseMs: 500, maxMs: 5_000 },
      transform: (obj: KubernetesObject) => {
        const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
        this.#written.add(key);
        return key;
      },
      onChange: (verb, key) => {
        if (verb === 'delete') this.#written.delete(key);
        if (this.#written.size >= this.#expected) this.#resolve?.();
      },
      onError: (err, retryInMs) => say(`  (watch failed: ${err instanceof Error ? err.message : String(err)}; again in ${retryInMs} ms)`),
    });
  }

  get count(): number {
    return this.#written.size;
  }

  /** Starts listing (none are left: deleteRecommendations waited) and watching. */
  start(): void {
    this.#reflector.start();
  }

  /** Resolves when `expected` recommendations are written, or after `timeoutMs` (false). */
  until(expected: number, timeoutMs: number): Promise<boolean> {
    this.#expected = expected;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve(true);
      };
      if (this.#written.size >= expected) this.#resolve();
    });
  }

  stop(): void {
    void this.#reflector.stop();
  }
}

const RECOMMENDATIONS_PATH = '/apis/pytuner.dev/v1alpha1/tuningrecommendations';

/**
 * Recommendations whose measured values were withheld (`metrics.insufficient-data`): less work than a measured one.
 * Read in pages after the run's figures are taken, so the list is not in them.
 */
async function withheldCount(kubeConfig: KubeConfig): Promise<number> {
  const transport = transportFor(kubeConfig);
  let withheld = 0;
  let next: string | undefined;
  do {
    const { status, body } = await transport.request('GET', RECOMMENDATIONS_PATH, { query: { limit: '500', ...(next === undefined ? {} : { continue: next }) } });
    if (status !== 200) throw new Error(`listing TuningRecommendations: HTTP ${status}`);
    const page = body as { metadata?: { continue?: string }; items?: Array<{ status?: { findings?: Array<{ rule: string }> } }> };
    withheld += (page.items ?? []).filter((i) => i.status?.findings?.some((f) => f.rule === 'metrics.insufficient-data') === true).length;
    next = page.metadata?.continue;
  } while (next !== undefined && next !== '');
  return withheld;
}

// ---------------------------------------------------------------------------------------------------- processes

interface ControllerChild {
  child: ChildProcess;
  requestsFile: string;
  port: Promise<number>;
  workersStartedAt: Promise<number>;
  warnings: string[];
}

/** A variant's word `NAME=value` is an environment variable of the controller (MALLOC_ARENA_MAX=2), not a Node flag. */
const isEnvWord = (word: string) => /^[A-Z_][A-Z0-9_]*=/.test(word);

function variantEnv(variant: string): Record<string, string> {
  return Object.fromEntries(variant.split(' ').filter(isEnvWord).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
}

function spawnShard(kubeconfig: string, index: number, total: number, dir: string, spawnedAt: number, variant: string, pass = 'first'): ControllerChild {
  const requestsFile = join(dir, `requests-${pass}-${total}-${index}.json`);
  const child = spawn(
    process.execPath,
    [
      ...HEAP_FLAGS,
      ...`${values['node-args']} ${variant}`.split(' ').filter((a) => a !== '' && !isEnvWord(a)),
      ...(values['heap-snapshot'] === undefined ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${values['heap-snapshot']}`]),
      '--import', REQUESTS_HOOK.file,
      entryScript, 'controller',
      '--kubeconfig', kubeconfig, '--metrics-port', '0',
      '--shard', String(index), '--total-shards', String(total),
      '--leader-elect', '--lease-namespace', LEASE_NAMESPACE,
      '--workers', String(WORKERS), '--log-level', values['log-level'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...IMAGE_ENV, ...variantEnv(variant), PYTUNER_BENCH_REQUESTS_FILE: requestsFile } },
  );
  const warnings: string[] = [];
  let announcePort!: (port: number) => void;
  let announceWorkers!: (at: number) => void;
  const port = new Promise<number>((resolve) => (announcePort = resolve));
  const workersStartedAt = new Promise<number>((resolve) => (announceWorkers = resolve));
  createInterface(child.stderr!).on('line', (line) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      warnings.push(line);
      return;
    }
    if (entry['msg'] === 'controller started') announcePort(Number(entry['port']));
    if (entry['msg'] === 'workers started') announceWorkers(performance.now() - spawnedAt);
    if (entry['level'] === 'warn' || entry['level'] === 'error' || entry['level'] === 'fatal') warnings.push(`${entry['msg']}${entry['err'] === undefined ? '' : `: ${String(entry['err'])}`}`);
  });
  return { child, requestsFile, port, workersStartedAt, warnings };
}

/**
 * Reads every shard's RSS (/proc/<pid>/status) every 2 s while the run lasts and, when it is the highest yet, its
 * /metrics, keeping the reading of the highest RSS: at that moment, how much of it was V8's heap spaces (committed,
 * and used), and how much lay outside (Buffers; the rest is code of Node itself, malloc and stacks). /metrics is read
 * only then because rendering it costs the controller CPU in proportion to its workloads (a recommendation gauge
 * per workload and setting): read every 2 s it was 6 % of the controller's CPU at 2,000 workloads, a load no
 * Prometheus scraping every 15–60 s puts on it.
 */
class PeakMemory {
  peak: MemorySample | undefined;
  readonly #timer: NodeJS.Timeout;
  #reading: Promise<void> = Promise.resolve();

  constructor(children: readonly ControllerChild[]) {
    this.#timer = setInterval(() => {
      this.#reading = this.#read(children);
    }, 2_000);
  }

  async #read(children: readonly ControllerChild[]): Promise<void> {
    for (const c of children) {
      const port = await Promise.race([c.port, Promise.resolve(undefined)]);
      if (port === undefined) continue;
      const rss = c.child.pid === undefined ? undefined : await residentMb(c.child.pid).catch(() => undefined);
      if (rss !== undefined && rss <= (this.peak?.rss ?? 0)) continue;
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
      const sample = memorySample(text);
      if (sample !== undefined && sample.rss > (this.peak?.rss ?? 0)) this.peak = sample;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#reading;
  }
}

const MB = 2 ** 20;

function memorySample(text: string): MemorySample | undefined {
  const rss = /^pytuner_process_resident_memory_bytes (\S+)$/m.exec(text)?.[1];
  if (rss === undefined) return undefined;
  const spaces = new Map<string, { total: number; used: number }>();
  for (const match of text.matchAll(/^pytuner_nodejs_heap_space_size_(total|used)_bytes\{space="([^"]+)"\} (\S+)$/gm)) {
    const entry = spaces.get(match[2]!) ?? { total: 0, used: 0 };
    entry[match[1] as 'total' | 'used'] = Number(match[3]) / MB;
    spaces.set(match[2]!, entry);
  }
  return { rss: Number(rss) / MB, spaces, external: metricSum(text, 'pytuner_nodejs_external_memory_bytes') / MB };
}

/** `rss 250: heap 180 (new 48/3, old 110/60, code 12/11, ...), external 5` in MB, committed/used. */
function describeMemory(m: MemorySample): string {
  const spaces = [...m.spaces].filter(([, s]) => s.total >= 0.5);
  const heap = spaces.reduce((a, [, s]) => a + s.total, 0);
  const parts = spaces.map(([name, s]) => `${name.replace(/_space$/, '')} ${s.total.toFixed(0)}/${s.used.toFixed(0)}`);
  return `RSS ${m.rss.toFixed(0)} MB at its peak reading: V8 heap ${heap.toFixed(0)} MB committed (${parts.join(', ')}; committed/used), external ${m.external.toFixed(0)} MB, the rest (Node, malloc, stacks) ${(m.rss - heap - m.external).toFixed(0)} MB`;
}

/** utime + stime of `pid`, in seconds (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function residentMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** Signals each controller to write a heap snapshot and waits until the files stop growing. */
async function heapSnapshots(children: readonly ControllerChild[], dir: string): Promise<void> {
  const { readdir, stat } = await import('node:fs/promises');
  const sizes = async () => {
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.heapsnapshot'));
    return Promise.all(files.map(async (f) => (await stat(join(dir, f))).size));
  };
  const before = (await sizes()).length;
  for (const c of children) c.child.kill('SIGUSR2');
  let last = '';
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const now = await sizes();
    if (now.length >= before + children.length && JSON.stringify(now) === last) return;
    last = JSON.stringify(now);
  }
}

/**
 * CPU seconds of the control plane's servers (etcd, kube-apiserver, kube-controller-manager): every process whose
 * command line names the control plane's directory, except the controllers (their --kubeconfig is in it too).
 */
async function controlPlaneCpuSeconds(dir: string, except: ReadonlySet<number>): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  let total = 0;
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || except.has(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir) && !cmdline.includes('controller\0--kubeconfig')) total += await cpuSeconds(pid).catch(() => 0);
  }
  return total;
}

/**
 * Requests the API server served, by `VERB resource[/subresource]`, with their summed latency: its own
 * apiserver_request_duration_seconds histogram's _count and _sum from /metrics. Long-running requests (WATCH) are
 * counted when they end. Latency is wall time on a shared machine, not CPU: it says which requests wait, the CPU
 * columns say what they cost.
 */
async function servedRequests(kubeConfig: KubeConfig): Promise<Map<string, { count: number; seconds: number }>> {
  const response = await transportFor(kubeConfig).stream('/metrics');
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response.body ?? []) chunks.push(Buffer.from(chunk));
  } finally {
    response.done();
  }
  const served = new Map<string, { count: number; seconds: number }>();
  for (const match of Buffer.concat(chunks).toString('utf8').matchAll(/^apiserver_request_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm)) {
    const label = (name: string) => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(match[2]!)?.[1] ?? '';
    const key = `${label('verb')} ${label('resource')}${label('subresource') === '' ? '' : `/${label('subresource')}`}`;
    const entry = served.get(key) ?? { count: 0, seconds: 0 };
    if (match[1] === 'count') entry.count += Number(match[3]);
    else entry.seconds += Number(match[3]);
    served.set(key, entry);
  }
  return served;
}

function servedDiff(after: Map<string, { count: number; seconds: number }>, before: Map<string, { count: number; seconds: number }>): Array<[string, { count: number; seconds: number }]> {
  const rows: Array<[string, { count: number; seconds: number }]> = [];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, seconds: 0 };
    if (a.count > b.count) rows.push([key, { count: a.count - b.count, seconds: a.seconds - b.seconds }]);
  }
  return rows.sort((x, y) => y[1].count - x[1].count);
}

/** Sum of prometheus_http_requests_total by handler, from Prometheus' own /metrics. */
async function prometheusRequests(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const byHandler = new Map<string, number>();
  for (const match of text.matchAll(/^prometheus_http_requests_total\{[^}]*handler="([^"]+)"[^}]*\} (\S+)$/gm)) {
    byHandler.set(match[1]!, (byHandler.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return byHandler;
}

function diff(after: Map<string, number>, before: Map<string, number>, keep: (handler: string) => boolean): number {
  let total = 0;
  for (const [handler, value] of after) if (keep(handler)) total += value - (before.get(handler) ?? 0);
  return total;
}

// ---------------------------------------------------------------------------------------------------- runs

interface Cluster {
  controlPlane: ControlPlane;
  prometheus: RunningPrometheus;
  kubeConfig: KubeConfig;
  apiHost: string;
  createS: number;
  backfillS: number;
  serviceAccounts: number;
  iamObjects: number;
}

/**
 * Waits for the next 5-minute mark when the runs of this size would not end before it. The day is backfilled up to the
 * last mark, and the policy's 1 h window slides with the controller's clock: a Service reconciled after the next mark
 * reads 11 of the 12 steps, withholds its measured values and costs less, so a run that crosses the mark measures
 * less work (the quiet run of 2026-12-07 19:29Z did: all 20,000 reconciles after 19:30, 69.5 s of controller CPU
 * against 148 s for the same code at 21:20Z). The estimate is generous: creating and writing take about 12 ms a workload.
 */
async function startWithinOneStep(size: number): Promise<void> {
  const runs = SHARDS.length * VARIANTS.length * (values['restart-pass'] ? 2 : 1);
  const neededS = 30 + 2 * size * 0.012 * runs;
  const leftS = STEP - ((Date.now() / 1000) % STEP);
  if (neededS >= STEP) say(`  (the runs of this size take about ${Math.round(neededS)} s, more than one ${STEP / 60}-minute step: late Services will read one step fewer)`);
  else if (leftS < neededS) {
    say(`  waiting ${Math.round(leftS)} s for the next ${STEP / 60}-minute mark, so that every reconcile reads the whole backfilled hour`);
    await new Promise((resolve) => setTimeout(resolve, leftS * 1000 + 1000));
  }
}

async function setUp(size: number): Promise<Cluster> {
  say(`\n== ${size.toLocaleString('en')} Knative Services + ${size.toLocaleString('en')} Deployments in ${NAMESPACES} namespaces`);
  const controlPlane = await startControlPlane();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
  // The controller's transport for the benchmark's own 20,000 creates too (client-node alone opens one TLS connection each).
  const objects = transportFor(kubeConfig).api(KubernetesObjectApi);
  await startWithinOneStep(size);
  const end = Math.floor(Date.now() / 1000 / STEP) * STEP;
  const backfillStarted = performance.now();
  const prometheusStarting = startPrometheus({ openMetrics: knativeSeries(serviceLoads(size), { start: end - STEPS * STEP, stepSeconds: STEP, bounds: BOUNDS, lean: true }, 'pod-labels'), startTimeoutMs: 900_000 }).then((p) => {
    say(`  Prometheus backfilled and ready in ${((performance.now() - backfillStarted) / 1000).toFixed(1)} s`);
    return { prometheus: p, backfillS: (performance.now() - backfillStarted) / 1000 };
  });
  const namespaces = [...Array.from({ length: NAMESPACES }, (_, i) => `team-${i}`), LEASE_NAMESPACE, ...(IAM ? [IAM_NAMESPACE] : [])];
  await pool(namespaces, 8, (name) => objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  const created = performance.now();
  const indices = Array.from({ length: size }, (_, i) => i);
  await pool([...indices.map(knativeService), ...indices.map(deployment)], CREATE_CONCURRENCY, (object) => objects.create(object));
  let identityObjects = { serviceAccounts: 0, iamObjects: 0 };
  if (IAM) {
    const accounts = serviceAccounts(size);
    const grants = iamObjects(accounts);
    identityObjects = { serviceAccounts: accounts.length, iamObjects: grants.length };
    await pool([...accounts, ...grants], CREATE_CONCURRENCY, (object) => objects.create(object));
    say(`  ${accounts.length.toLocaleString('en')} ServiceAccounts and ${grants.length.toLocaleString('en')} IAM objects created`);
  }
  const createS = (performance.now() - created) / 1000;
  say(`  ${(2 * size).toLocaleString('en')} workloads created in ${createS.toFixed(1)} s (${CREATE_CONCURRENCY} at once)`);
  const { prometheus, backfillS } = await prometheusStarting;
  await pool(namespaces.slice(0, NAMESPACES), 8, (namespace) => objects.create(tuningPolicy(namespace, prometheus.url)));
  return { controlPlane, prometheus, kubeConfig, apiHost: new URL(controlPlane.server).host, createS, backfillS, ...identityObjects };
}

/** Deletes every TuningRecommendation (and waits until none is left); returns the resourceVersion of the empty list. */
async function deleteRecommendations(kubeConfig: KubeConfig): Promise<string> {
  const custom = transportFor(kubeConfig).api(CustomObjectsApi);
  const group = 'pytuner.dev';
  const version = 'v1alpha1';
  const plural = 'tuningrecommendations';
  await pool(Array.from({ length: NAMESPACES }, (_, i) => `team-${i}`), 8, (namespace) => custom.deleteCollectionNamespacedCustomObject({ group, version, namespace, plural }));
  for (;;) {
    const list = (await custom.listClusterCustomObject({ group, version, plural, limit: 1 })) as { items: unknown[]; metadata?: { resourceVersion?: string } };
    if (list.items.length === 0) return list.metadata?.resourceVersion ?? '';
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function run(cluster: Cluster, size: number, shards: number, variant: string): Promise<RunResult> {
  say(`  -- ${shards} shard(s), --workers ${WORKERS}${variant === '' ? '' : `, ${variant}`}`);
  await deleteRecommendations(cluster.kubeConfig);
  const counter = new RecommendationCounter(cluster.kubeConfig);
  counter.start();
  const workloads = 2 * size;
  const dir = await mkdtemp(join(tmpdir(), 'pytuner-bench-scale-'));
  const promBefore = await prometheusRequests(cluster.prometheus.url);
  const controlPlaneDir = dirname(cluster.controlPlane.kubeconfigPath);
  const controlPlaneCpuBefore = await controlPlaneCpuSeconds(controlPlaneDir, new Set());
  const servedBefore = await servedRequests(cluster.kubeConfig);
  const spawnedAt = performance.now();
  const children = Array.from({ length: shards }, (_, index) => spawnShard(cluster.controlPlane.kubeconfigPath, index, shards, dir, spawnedAt, variant));
  const progress = setInterval(() => say(`     ${counter.count.toLocaleString('en')}/${workloads.toLocaleString('en')} written after ${((performance.now() - spawnedAt) / 1000).toFixed(0)} s`), 10_000);
  const memory = new PeakMemory(children);
  // A controller that exits (its heap's limit reached: V8's "FATAL ERROR" line lands in the warnings) ends the run.
  const exited = Promise.race(children.map((c) => new Promise<string>((resolve) => c.child.once('exit', (code, signal) => resolve(`a controller exited (${signal ?? `code ${code}`}) before every recommendation was written`)))));
  let exitedEarly: string | undefined;
  let settled = false;
  // The shards' exit at stopAll below (SIGTERM: code 0) settles `exited` too: only an exit before the count is early.
  const counted = counter.until(workloads, RUN_TIMEOUT_MS).then((done) => ((settled = true), done));
  const finished = await Promise.race([counted, exited.then((why) => ((exitedEarly = settled ? undefined : why), false))]);
  await memory.stop();
  const allWrittenS = finished ? (performance.now() - spawnedAt) / 1000 : undefined;
  clearInterval(progress);
  counter.stop();
  const written = counter.count;
  const readyS = Math.max(...(await Promise.all(children.map((c) => Promise.race([c.workersStartedAt, Promise.resolve(Number.NaN)]))))) / 1000;
  const usage = await Promise.all(children.map(async (c) => ({ rss: await peakRssMb(c.child.pid!).catch(() => Number.NaN), cpu: await cpuSeconds(c.child.pid!).catch(() => Number.NaN) })));
  const controlPlaneCpuS = (await controlPlaneCpuSeconds(controlPlaneDir, new Set(children.map((c) => c.child.pid!)))) - controlPlaneCpuBefore;
  const promAfter = await prometheusRequests(cluster.prometheus.url);
  const served = servedDiff(await servedRequests(cluster.kubeConfig), servedBefore);
  const withheld = await withheldCount(cluster.kubeConfig);
  if (values['heap-snapshot'] !== undefined && finished) await heapSnapshots(children, values['heap-snapshot']);
  await stopAll(children);
  const { classes, apiRequests, writes } = await apiRequestsOf(children, cluster.apiHost);
  const restart = values['restart-pass'] && finished ? await restartPass(cluster, shards, workloads, dir, variant) : undefined;
  await rm(dir, { recursive: true, force: true });
  const result: RunResult = {
    size,
    shards,
    workloads,
    written,
    readyS,
    allWrittenS,
    apiRequests,
    writes,
    requestClasses: [...classes].sort((a, b) => b[1] - a[1]),
    promql: diff(promAfter, promBefore, (h) => h === '/api/v1/query' || h === '/api/v1/query_range'),
    prometheusRequests: diff(promAfter, promBefore, (h) => h.startsWith('/api/')),
    peakRssMb: Math.max(...usage.map((u) => u.rss)),
    memory: memory.peak,
    variant,
    cpuS: usage.reduce((a, u) => a + u.cpu, 0),
    controlPlaneCpuS,
    served,
    // A Service whose window lost a step of the backfilled day (the run went past the next 5-minute mark) gets no
    // measured value and costs less: a figure with such recommendations is not comparable to one without.
    warnings: [...(exitedEarly === undefined ? [] : [exitedEarly]), ...(withheld === 0 ? [] : [`${withheld} recommendations withheld their measured values (metrics.insufficient-data)`]), ...children.flatMap((c) => c.warnings)],
    ...(restart === undefined ? {} : { restart }),
  };
  say(`     ${allWrittenS === undefined ? `NOT finished: ${exitedEarly ?? `cut off after ${RUN_TIMEOUT_MS / 1000} s`}, ${written}/${workloads} written` : `all written in ${allWrittenS.toFixed(1)} s`}, ${withheld} withholding measured values; ${apiRequests} API requests; RSS ${result.peakRssMb.toFixed(0)} MB; CPU ${result.cpuS.toFixed(1)} s`);
  return result;
}

async function stopAll(children: readonly ControllerChild[]): Promise<void> {
  await Promise.all(
    children.map((c) => {
      if (c.child.exitCode !== null || c.child.signalCode !== null) return undefined;
      const exited = new Promise((resolve) => c.child.once('exit', resolve));
      c.child.kill('SIGTERM');
      return exited;
    }),
  );
}

/** The API server requests the controllers counted (bench/scale-requests.ts), by class; writes leave out the Leases. */
async function apiRequestsOf(children: readonly ControllerChild[], apiHost: string): Promise<{ classes: Map<string, number>; apiRequests: number; writes: number }> {
  const classes = new Map<string, number>();
  for (const c of children) {
    const counts = JSON.parse(await readFile(c.requestsFile, 'utf8').catch(() => '{}')) as Record<string, number>;
    for (const [key, count] of Object.entries(counts)) {
      if (!key.split(' ')[1]?.startsWith(apiHost)) continue;
      const name = key.replace(` ${apiHost}`, '');
      classes.set(name, (classes.get(name) ?? 0) + count);
    }
  }
  const apiRequests = [...classes.values()].reduce((a, b) => a + b, 0);
  const writes = [...classes].filter(([k]) => /^(POST|PATCH|PUT) /.test(k) && !k.includes('leases')).reduce((a, [, n]) => a + n, 0);
  return { classes, apiRequests, writes };
}

/** Sums a counter or gauge over its label sets in a Prometheus text exposition. */
function metricSum(text: string, name: string): number {
  let total = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) total += Number(match[1]);
  return total;
}

/**
 * Starts the shards again over the recommendations the run wrote and waits until they have reconciled every workload
 * (pytuner_reconciles_total, which counts the policies' reconciles too, reaches workloads + policies) with their
 * queues empty: the pass a restart or a resync makes when nothing changed. Returns its duration and requests.
 */
async function restartPass(cluster: Cluster, shards: number, workloads: number, dir: string, variant: string): Promise<RestartPass> {
  say(`     restart pass: ${shards} shard(s) again over the written recommendations`);
  const spawnedAt = performance.now();
  const children = Array.from({ length: shards }, (_, index) => spawnShard(cluster.controlPlane.kubeconfigPath, index, shards, dir, spawnedAt, variant, 'restart'));
  const ports = await Promise.all(children.map((c) => c.port));
  let seconds: number | undefined;
  while (performance.now() - spawnedAt < RUN_TIMEOUT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const texts = await Promise.all(ports.map((port) => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '')));
    const reconciles = texts.reduce((sum, text) => sum + metricSum(text, 'pytuner_reconciles_total'), 0);
    const depth = texts.reduce((sum, text) => sum + metricSum(text, 'pytuner_workqueue_depth'), 0);
    if (reconciles >= workloads + NAMESPACES && depth === 0) {
      seconds = (performance.now() - spawnedAt) / 1000;
      break;
    }
  }
  await stopAll(children);
  const { classes, apiRequests, writes } = await apiRequestsOf(children, cluster.apiHost);
  say(`     restart pass ${seconds === undefined ? 'NOT finished' : `done in ${seconds.toFixed(1)} s`}; ${apiRequests} API requests, ${writes} writes`);
  return { seconds, apiRequests, writes, requestClasses: [...classes].sort((a, b) => b[1] - a[1]) };
}

// ---------------------------------------------------------------------------------------------------- output

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

function row(r: RunResult): string[] {
  const seconds = r.allWrittenS;
  return [
    r.workloads.toLocaleString('en'),
    String(r.shards),
    ...(VARIANTS.length > 1 ? [r.variant === '' ? '(default)' : r.variant] : []),
    `${r.readyS.toFixed(1)} s`,
    seconds === undefined ? `> ${RUN_TIMEOUT_MS / 1000} s (${r.written})` : `${seconds.toFixed(1)} s`,
    seconds === undefined ? '-' : (r.workloads / (seconds - r.readyS)).toFixed(0),
    `${r.apiRequests.toLocaleString('en')} (${(r.apiRequests / r.workloads).toFixed(2)})`,
    (r.writes / r.workloads).toFixed(2),
    `${r.promql} (${r.prometheusRequests})`,
    `${r.peakRssMb.toFixed(0)} MB`,
    `${r.cpuS.toFixed(1)} s`,
    `${r.controlPlaneCpuS.toFixed(1)} s`,
    ...(values['restart-pass'] ? restartCells(r.restart) : []),
  ];
}

function restartCells(restart: RestartPass | undefined): string[] {
  if (restart === undefined) return ['-', '-', '-'];
  return [restart.seconds === undefined ? `> ${RUN_TIMEOUT_MS / 1000} s` : `${restart.seconds.toFixed(1)} s`, restart.apiRequests.toLocaleString('en'), String(restart.writes)];
}

if (values.entry !== 'bundle' && values.entry !== 'source') throw new Error('--entry takes bundle or source');
let entryScript = join(REPO_ROOT, 'src/cli/main.ts');
let runtimeDir: string | undefined;
if (values.entry === 'bundle') {
  runtimeDir = await mkdtemp(join(tmpdir(), 'pytuner-bench-scale-runtime-'));
  await assembleRuntime(runtimeDir);
  entryScript = join(runtimeDir, RUNTIME_ENTRY);
}

const results: RunResult[] = [];
const setups: Array<{ size: number; createS: number; backfillS: number; serviceAccounts: number; iamObjects: number }> = [];
const startedAt = new Date();
for (const size of SIZES) {
  const cluster = await setUp(size);
  setups.push({ size, createS: cluster.createS, backfillS: cluster.backfillS, serviceAccounts: cluster.serviceAccounts, iamObjects: cluster.iamObjects });
  try {
    for (const shards of SHARDS) for (const variant of VARIANTS) results.push(await run(cluster, size, shards, variant));
  } finally {
    await cluster.prometheus.stop();
    await cluster.controlPlane.stop();
  }
}

if (runtimeDir !== undefined) await rm(runtimeDir, { recursive: true, force: true });
await rm(REQUESTS_HOOK.dir, { recursive: true, force: true });
const cpu = cpus();
process.stdout.write(
  `pytuner controller at scale — ${startedAt.toISOString()}\n` +
    `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end; Node ${process.version}\n` +
    `controller: ${values.entry === 'bundle' ? 'the bundle (the image\'s runtime files)' : 'src/cli/main.ts'}${values['node-args'] === '' ? '' : ` with ${values['node-args']}`}, ${HEAP_FLAGS.length === 0 ? 'V8 heap unsized' : `${[...HEAP_FLAGS, ...Object.entries(IMAGE_ENV).map(([k, v]) => `${k}=${v}`)].join(' ')} (the image's in ${MEMORY_LIMIT_MB} MB)`}, --workers ${WORKERS}, leader election per shard, Recommend mode, one TuningPolicy (Prometheus, knative profile, 1 h window) in each of ${NAMESPACES} namespaces\n` +
    `setup: ${setups.map((s) => `${(2 * s.size).toLocaleString('en')} workloads, ${s.serviceAccounts.toLocaleString('en')} ServiceAccounts and ${s.iamObjects.toLocaleString('en')} IAM objects created in ${s.createS.toFixed(1)} s, Prometheus backfilled in ${s.backfillS.toFixed(1)} s`).join('; ')}\n\n`,
);
process.stdout.write(
  `${table([
    ['workloads', 'shards', ...(VARIANTS.length > 1 ? ['Node flags'] : []), 'ready', 'all written', 'workloads/s', 'API req (per wl)', 'writes/wl', 'PromQL (all)', 'peak RSS', 'CPU', 'API server CPU', ...(values['restart-pass'] ? ['restart pass', 'its API req', 'its writes'] : [])],
    ...results.map(row),
  ])}\n\n`,
);
process.stdout.write(`goals: all written < ${GOALS.reconcileSeconds} s for 10,000 workloads, RSS <= ${GOALS.rssMb} MB, PromQL independent of the number of workloads, about one write per workload\n\n`);
for (const r of results) {
  process.stdout.write(`API requests, ${r.workloads.toLocaleString('en')} workloads, ${r.shards} shard(s)${r.variant === '' ? '' : `, ${r.variant}`}: ${r.requestClasses.map(([k, n]) => `${k} ${n}`).join('; ')}\n`);
  process.stdout.write(`  the API server served (its apiserver_request_duration_seconds, all clients, the benchmark's watch included; count, mean latency): ${r.served.slice(0, 12).map(([k, v]) => `${k} ${v.count} (${((v.seconds / v.count) * 1000).toFixed(1)} ms)`).join('; ')}\n`);
  if (r.memory !== undefined) process.stdout.write(`  memory: ${describeMemory(r.memory)}\n`);
  if (r.restart !== undefined) process.stdout.write(`  restart pass: ${r.restart.requestClasses.map(([k, n]) => `${k} ${n}`).join('; ')}\n`);
  const warnings = new Map<string, number>();
  for (const w of r.warnings) warnings.set(w.slice(0, 160), (warnings.get(w.slice(0, 160)) ?? 0) + 1);
  if (warnings.size > 0) process.stdout.write(`  warnings: ${[...warnings].map(([w, n]) => `${n} × ${w}`).join(' | ')}\n`);
}
