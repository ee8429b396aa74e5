/**
 * @module One scenario of the lab, end to end, on loopback:
 *   1. the objective: p95 ≤ 1.5 × the p95 of one request at a time (the recommender's default), measured with the
 *      default server, on the Knative path rounded up to a bound of the whole-request histogram (objective.ts);
 *      passed to pytuner as --latency-slo so both sides aim at the same number;
 *   2. the observed day: the default configuration measured at the per-instance concurrency a simple autoscaler
 *      model gives each step (day.ts);
 *   3. pytuner: the day's series in a real Prometheus under Cloud Run's metric names, `pytuner report --prometheus`
 *      on the service's manifest — once with Knative's latency buckets, once with fine exponential ones;
 *   4. the oracle: workers × threads × concurrency swept (search.ts); the best candidates, one request at a time,
 *      pytuner's settings and the defaults measured again (repetitions, medians, a spread check);
 *   5. item 4: instances needed for 400 clients × 3 req/s, from bench/sim calibrated by the measurements.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { load } from 'js-yaml';
import { LATENCY_BUCKETS } from '../sim/histogram.ts';
import type { CalibrationCheck, CapacityResult } from './capacity.ts';
import { calibrate, closedLoopCheck, instancesNeeded } from './capacity.ts';
import type { StepLoad } from '../../test/support/series.ts';
import { CLOUD_RUN_DAY, cloudRunManifest, daySchedule, exponentialBuckets, knativeDay, knativeManifest, stepLoad } from './day.ts';
import type { DayStep } from './day.ts';
import type { Measurement, RecordedMeasurement } from './measure.ts';
import { measure, withoutRecord } from './measure.ts';
import { liveReportWindow, pytunerReport, pytunerReportLive } from './pytuner.ts';
import { knativeProfile } from '../../src/input/metrics/profiles/knative.ts';
import { knativeLegacyProfile } from '../../src/input/metrics/profiles/knativeLegacy.ts';
import type { PytunerRun, RatedSetting, ScenarioResult, SweepPoint } from './results.ts';
import { bestOfShape, isNoisy, ms } from './results.ts';
import type { FamilyResult, LabConfig } from './search.ts';
import { DEFAULT_EDGE, configKey, configOf, describeConfig, describeFamily, familyOfConfig, sweepFamilies } from './search.ts';
import type { LabScenario } from './scenarios.ts';
import { LAB_VCPUS, requestPath } from './scenarios.ts';
import type { RunningServer, ServerKind } from './server.ts';
import { startServer } from './server.ts';
import type { KnativeLab, RevisionPod } from './knative/cluster.ts';
import { LAB_NAMESPACE, WHOLE_REQUEST_HISTOGRAM, awaitScrape } from './knative/cluster.ts';
import type { HistogramBounds } from './objective.ts';
import { labObjective } from './objective.ts';
import type { RunningQueueProxy } from './knative/queueProxy.ts';
import { LEGACY_QUEUE_ENV, QUEUE_URL, startQueueProxy } from './knative/queueProxy.ts';
import type { Outcome } from './stats.ts';
import { BACKGROUND_LIMIT, median, ratioTo, relativeSpread, scoreAtObjective } from './stats.ts';

/** How long each kind of measurement runs (wrk takes whole seconds). */
export interface Timing {
  baselineSeconds: number;
  baselineRepetitions: number;
  daySeconds: number;
  pointSeconds: number;
  repeatSeconds: number;
  repetitions: number;
  /** Oracle candidates re-measured from the sweep per round. */
  candidates: number;
  /** The sweep leaves this long of a scenario's share of the budget for the repetitions. */
  reserveSeconds: number;
  timeoutSeconds: number;
  /** On the Knative path: how long each step of the day runs (the steps of the series pytuner reads). */
  knativeStepSeconds: number;
}

export const FULL_TIMING: Timing = { baselineSeconds: 2, baselineRepetitions: 3, daySeconds: 1, pointSeconds: 1, repeatSeconds: 2, repetitions: 3, candidates: 3, reserveSeconds: 60, timeoutSeconds: 10, knativeStepSeconds: 12 };
export const QUICK_TIMING: Timing = { baselineSeconds: 1, baselineRepetitions: 2, daySeconds: 1, pointSeconds: 1, repeatSeconds: 1, repetitions: 2, candidates: 1, reserveSeconds: 15, timeoutSeconds: 10, knativeStepSeconds: 6 };

/** Highest concurrency the sweep tries; gthread shapes that cover the concurrency run with this many threads while sweeping. */
export const SWEEP_MAX_CONCURRENCY = DEFAULT_EDGE.max;

/** The day's steps are 5 minutes long in the series, as pytuner's default --step reads them. */
const STEP_SECONDS = 300;

/** The user container's name in the revision's pod: Knative's default, as the lab's manifests leave it unnamed. */
const USER_CONTAINER = 'user-container';

/** Fixed seed of the simulations (item 4 and the calibration check). */
const SIM_SEED = 42;

/** The latency histograms the series are written with. */
export const BUCKET_LAYOUTS = [
  // Cloud Run does not document request_latencies' buckets; Knative's queue-proxy layout is documented and coarse.
  { name: 'knative', bounds: LATENCY_BUCKETS, text: "Knative's queue-proxy buckets (5, 10, 20, 40, 60, 80, 100, 150, 200 ms, …)" },
  { name: 'exponential', bounds: exponentialBuckets(0.001, 1.4, 40), text: 'exponential buckets (×1.4 from 1 ms)' },
] as const;

/** Pause before repeating a run that other processes disturbed: bursts of other people's tests last seconds. */
const RETRY_PAUSE_MS = 2_000;

/** Where a scenario logs and when it must hand over. */
export interface ScenarioContext {
  timing: Timing;
  wrkScript: string;
  /** `elapsed()` value (seconds) by which the scenario should be done. */
  deadline: number;
  elapsed: () => number;
  log: (message: string) => void;
  /** The Knative path (real queue-proxy, autoscaler, Prometheus); absent: the emulated path only. */
  knative?: KnativePath;
}

/** The Knative path of a scenario (knative/cluster.ts): the revision's pod and the queue-proxy binary. */
export interface KnativePath {
  lab: KnativeLab;
  queueBinary: string;
  /** Knative 1.18's queue-proxy and autoscaler (knative.dev/serving v0.45.1), for scenarios with `legacyDay`. */
  legacy?: { version: string; queueBinary: string; autoscalerBinary: string };
}

/**
 * One server at a time, restarted only when the shape changes; every start is followed by a warm-up run. On the
 * Knative path the server listens on the revision's user port behind the real queue-proxy, and every request goes
 * through the queue-proxy (its breaker at `queueConcurrency`; 0 = none).
 */
class Bench {
  private server: RunningServer | undefined;
  private queue: RunningQueueProxy | undefined;
  /** Runs repeated because other processes were busy, and runs kept although they were. */
  retries = 0;
  noisy = 0;
  private readonly background: number[] = [];
  private readonly kind: ServerKind;
  private readonly path: string;
  private readonly context: ScenarioContext;
  private readonly pod: { revision: RevisionPod; knative: KnativePath } | undefined;
  private queueConcurrency = 0;
  private queueProxy: { binary: string; env: Record<string, string> } | undefined;

  constructor(kind: ServerKind, path: string, context: ScenarioContext, pod?: { revision: RevisionPod; knative: KnativePath }) {
    this.kind = kind;
    this.path = path;
    this.context = context;
    this.pod = pod;
    if (pod !== undefined) this.queueProxy = { binary: pod.knative.queueBinary, env: pod.revision.queueEnv };
    pod?.knative.lab.standins.setProcesses({ user: () => this.server?.pid, queue: () => this.queue?.pid });
  }

  private options(seconds: number) {
    return { path: this.path, seconds, timeoutSeconds: this.context.timing.timeoutSeconds, wrkScript: this.context.wrkScript };
  }

  /** The queue-proxy's containerConcurrency from the next measurement on (restarts it when it changes). */
  async setQueueConcurrency(containerConcurrency: number): Promise<void> {
    this.queueConcurrency = containerConcurrency;
    if (this.queue !== undefined && this.queue.containerConcurrency !== containerConcurrency) {
      await this.queue.stop();
      this.queue = undefined;
    }
  }

  /** The queue-proxy binary and environment from the next measurement on (restarts it). */
  async useQueueProxy(binary: string, env: Record<string, string>): Promise<void> {
    this.queueProxy = { binary, env };
    await this.queue?.stop();
    this.queue = undefined;
  }

  private async serverFor(workers: number, threads: number): Promise<RunningServer> {
    if (this.server === undefined || this.server.config.workers !== workers || this.server.config.threads !== threads) {
      await this.server?.stop();
      this.server = undefined;
      this.server = await startServer(this.kind, { workers, threads }, this.pod === undefined ? {} : { port: this.pod.revision.userPort, ...(await this.cgroupOf(USER_CONTAINER)) });
      this.warm = false;
    }
    if (this.queueProxy !== undefined && this.queue === undefined) {
      this.queue = await startQueueProxy(this.queueProxy.binary, this.queueProxy.env, this.queueConcurrency, (await this.cgroupOf('queue-proxy')).cgroup);
      this.warm = false;
    }
    const server = this.pod === undefined ? this.server : { ...this.server, url: QUEUE_URL };
    if (!this.warm) {
      // Warm-up: every worker imports the app after the fork and serves its first requests slowly.
      const warm = await measure(server, Math.max(4, 2 * workers), this.options(1));
      await drain(warm);
      this.warm = true;
    }
    return server;
  }

  private warm = false;

  /** The cgroup of one of the pod's containers, which the lab's cAdvisor reads (none without it). */
  private async cgroupOf(container: string): Promise<{ cgroup?: string[] }> {
    const cgroup = await this.pod?.knative.lab.containerCgroup(this.pod.revision.podName, container);
    return cgroup === undefined ? {} : { cgroup };
  }

  /**
   * Measures `config`, on a server with `serverThreads` threads (the sweep runs `cover` shapes with more threads than the
   * concurrency). A run during which other processes kept more than `BACKGROUND_LIMIT` cores busy is repeated, up to
   * `attempts` runs in all while the scenario is within its time, and the quietest run is kept.
   */
  async measure(config: LabConfig, seconds: number, options: { serverThreads?: number; attempts?: number } = {}): Promise<RecordedMeasurement> {
    const server = await this.serverFor(config.workers, options.serverThreads ?? config.threads);
    let kept: RecordedMeasurement | undefined;
    for (let attempt = 1; ; attempt++) {
      const m = await measure(server, config.concurrency, this.options(seconds));
      await drain(m);
      if (kept === undefined || m.backgroundCores < kept.backgroundCores) kept = m;
      if (m.backgroundCores <= BACKGROUND_LIMIT || attempt >= (options.attempts ?? 1) || this.context.elapsed() > this.context.deadline) break;
      this.retries++;
      await delay(RETRY_PAUSE_MS);
    }
    if (kept.backgroundCores > BACKGROUND_LIMIT) this.noisy++;
    this.background.push(kept.backgroundCores);
    return { ...kept, config };
  }

  backgroundCores(): number {
    return this.background.length === 0 ? 0 : this.background.reduce((a, b) => a + b, 0) / this.background.length;
  }

  async stop(): Promise<void> {
    await this.queue?.stop();
    this.queue = undefined;
    await this.server?.stop();
    this.server = undefined;
  }
}

/**
 * wrk leaves up to `concurrency` requests behind when it stops, and the server still serves them: the next run must not
 * start in that backlog, which takes about one request latency to drain.
 */
function drain(m: Pick<Measurement, 'p95'>): Promise<void> {
  return delay(Math.min(5_000, 1.2 * m.p95 * 1000));
}

/** The median outcome of repeated measurements of one configuration. */
export function outcomeOf(runs: readonly Pick<Measurement, 'throughput' | 'p95' | 'requests' | 'errorRate'>[]): Outcome {
  const throughputs = runs.map((m) => m.throughput);
  const p95s = runs.map((m) => m.p95);
  const requests = runs.reduce((s, m) => s + m.requests, 0);
  const failed = runs.reduce((s, m) => s + m.errorRate * Math.max(1, m.requests), 0);
  return { throughput: median(throughputs)!, p95: median(p95s)!, errorRate: failed / Math.max(1, requests), repetitions: runs.length, throughputSpread: relativeSpread(throughputs), p95Spread: relativeSpread(p95s) };
}

/** Runs one scenario (see the module comment). */
export async function runScenario(scenario: LabScenario, context: ScenarioContext): Promise<ScenarioResult> {
  const { timing, elapsed, log } = context;
  const from = elapsed();
  const notes: string[] = [];
  const observed = scenario.observed;
  const name = `lab-${scenario.name}`;
  const knativeYaml = knativeManifest({ name, namespace: LAB_NAMESPACE, server: scenario.server, workers: observed.workers, threads: observed.threads, containerConcurrency: observed.concurrency, vcpus: LAB_VCPUS });
  const revision = context.knative === undefined ? undefined : await context.knative.lab.deploy(load(knativeYaml) as Record<string, unknown>);
  const bench = new Bench(scenario.server, requestPath(scenario), context, revision === undefined ? undefined : { revision, knative: context.knative! });
  try {
    if (revision !== undefined) {
      // The day's containerConcurrency in the queue-proxy's breaker; the pod Ready once it answers, as a kubelet would mark it.
      await bench.setQueueConcurrency(observed.concurrency);
      await bench.measure({ ...observed, concurrency: 1 }, 1);
      await revision.markReady();
      notes.push(...(await knativeSeriesPresent(context.knative!.lab.prometheusUrl, name, CURRENT_SERIES, log)));
    }
    // 1. The objective, from one request at a time on the default server.
    const baselineRuns: Measurement[] = [];
    for (let i = 0; i < timing.baselineRepetitions; i++) baselineRuns.push(withoutRecord(await bench.measure({ ...observed, concurrency: 1 }, timing.baselineSeconds, { attempts: 3 })));
    const baseline = {
      p95s: baselineRuns.map((m) => m.p95),
      meanLatency: median(baselineRuns.map((m) => m.meanLatency))!,
      p50: median(baselineRuns.map((m) => m.p50))!,
      p95: median(baselineRuns.map((m) => m.p95))!,
      cpuSecondsPerRequest: median(baselineRuns.map((m) => m.cpuSecondsPerRequest))!,
    };
    // On the Knative path the objective sits on a bound of the whole-request histogram, read from what Prometheus
    // scraped of the baseline (objective.ts says why); elsewhere 1.5 × exactly.
    let histogram: HistogramBounds | undefined;
    if (revision !== undefined) {
      await awaitScrape();
      histogram = await context.knative!.lab.latencyBuckets(revision.podName);
      if (histogram === undefined) notes.push(`Prometheus had no ${WHOLE_REQUEST_HISTOGRAM} buckets for ${revision.podName} after the baseline: the objective is 1.5 × exactly, maybe inside a bucket`);
    }
    const objective = labObjective(baseline.p95, histogram);
    const objectiveSeconds = objective.seconds;
    log(`${scenario.name}: one request at a time: mean ${ms(baseline.meanLatency)}, p95 ${baseline.p95s.map(ms).join(' / ')} → objective p95 ≤ ${ms(objectiveSeconds)} (${objective.why}); CPU ${ms(baseline.cpuSecondsPerRequest)} per request`);

    // 2. The observed day with the default configuration: on the Knative path each step runs knativeStepSeconds in
    // real time (Prometheus scrapes it as it happens); otherwise daySeconds, written later as 5-minute steps.
    const schedule = daySchedule(revision === undefined ? CLOUD_RUN_DAY : knativeDay(timing.knativeStepSeconds, knativeProfile.minRateWindowSeconds));
    const recorded: { step: DayStep; m: RecordedMeasurement }[] = [];
    const dayStart = Date.now() / 1000;
    for (const step of schedule) {
      const seconds = revision === undefined ? timing.daySeconds : timing.knativeStepSeconds;
      recorded.push({ step, m: await bench.measure({ ...observed, concurrency: step.concurrency }, seconds, { attempts: revision === undefined ? 2 : 1 }) });
    }
    const dayEnd = Date.now() / 1000;
    const day = recorded.map(({ step, m }) => ({ concurrency: step.concurrency, instances: step.instances, measurement: withoutRecord(m) }));
    log(`${scenario.name}: observed day measured (${schedule.length} steps, ${schedule.map((s) => s.concurrency).join(' ')} in flight per instance)`);

    // 3. pytuner: on the Knative path, on what Prometheus scraped from the real components; then on the day's series
    // backfilled under Cloud Run's names, with each bucket layout.
    const pytuner: PytunerRun[] = [];
    if (revision !== undefined) {
      await awaitScrape();
      pytuner.push(await askPytunerLive(scenario, knativeYaml, context.knative!.lab.prometheusUrl, { start: dayStart, end: dayEnd, stepSeconds: timing.knativeStepSeconds }, objectiveSeconds));
      const run = pytuner.at(-1)!;
      log(`${scenario.name}: pytuner (${run.buckets}): ${describeRun(run)}`);
      const legacy = context.knative!.legacy;
      if (scenario.legacyDay === true && legacy !== undefined) {
        const legacyRun = await legacyDayRun(bench, { scenario, manifest: knativeYaml, lab: context.knative!.lab, queueBinary: context.knative!.queueBinary, legacy, revision, schedule, timing, objectiveSeconds, log, notes });
        pytuner.push(legacyRun);
        log(`${scenario.name}: pytuner (${legacyRun.buckets}): ${describeRun(legacyRun)}`);
      }
      // From here on wrk holds exactly the concurrency under test: the breaker would never queue, and the sweep goes past 80.
      await bench.setQueueConcurrency(0);
    }
    for (const layout of BUCKET_LAYOUTS) {
      const steps: StepLoad[] = recorded.map(({ step, m }) => stepLoad(step, m, m.latencies, STEP_SECONDS, layout.bounds));
      pytuner.push(await askPytuner(scenario, steps, layout, objectiveSeconds));
      const run = pytuner.at(-1)!;
      log(`${scenario.name}: pytuner (${run.buckets}): ${describeRun(run)}`);
    }
    for (const run of pytuner) for (const w of run.answer?.withheld ?? []) notes.push(`pytuner (${run.buckets}) withheld: ${w}`);

    // 4. The sweep.
    const points: SweepPoint[] = [];
    // CPU per request for the GIL bounds: at one request at a time the workers' idle CPU (heartbeats, polls) is spread
    // over few requests, so the busy half of the day, which costs least per request, gives the bound that prunes least.
    const loaded = day.map((d) => d.measurement).sort((a, b) => b.throughput - a.throughput).slice(0, Math.ceil(day.length / 2));
    const cost = { cpuSecondsPerRequest: Math.min(baseline.cpuSecondsPerRequest, ...loaded.map((m) => m.cpuSecondsPerRequest)), baselineLatency: baseline.meanLatency, vcpus: LAB_VCPUS };
    const sweepDeadline = context.deadline - timing.reserveSeconds;
    let cutShort = false;
    const sweepResults: FamilyResult[] = await sweepFamilies(
      scenario.families,
      cost,
      async (family, c) => {
        const config = configOf(family, c);
        const serverThreads = family.rule === 'cover' ? SWEEP_MAX_CONCURRENCY : config.threads;
        const m = withoutRecord(await bench.measure(config, timing.pointSeconds, { serverThreads, attempts: 2 }));
        points.push({ family, serverThreads, measurement: m });
        const score = scoreAtObjective(m, objectiveSeconds);
        return { meets: score > 0, score };
      },
      {
        ...DEFAULT_EDGE,
        firstStart: 4,
        stop: () => {
          if (elapsed() < sweepDeadline) return false;
          cutShort = true;
          return true;
        },
      },
    );
    if (cutShort) notes.push(`the sweep was cut short by the time budget after ${sweepResults.length} of ${scenario.families.length} shapes`);
    log(`${scenario.name}: sweep: ${points.length} points; ${sweepResults.map((r) => ('edge' in r ? `${describeFamily(r.family)} ≤ ${r.edge.largestMeeting}` : `${describeFamily(r.family)} skipped`)).join(', ')}`);

    // 5. Repetitions: one request at a time (the baseline's runs), the best sweep candidates with exact threads,
    // pytuner's settings and the defaults.
    const repeated = new Map<string, { name: string; config: LabConfig; runs: Measurement[] }>();
    const one = { ...observed, concurrency: 1 };
    repeated.set(configKey(one), { name: 'one request at a time', config: one, runs: baselineRuns });
    const repeat = async (name: string, config: LabConfig, count: number) => {
      const key = configKey(config);
      const entry = repeated.get(key) ?? { name, config, runs: [] };
      repeated.set(key, entry);
      while (entry.runs.length < count) entry.runs.push(withoutRecord(await bench.measure(config, timing.repeatSeconds, { attempts: 3 })));
      return entry;
    };
    const rate = (entry: { name: string; config: LabConfig; runs: Measurement[] }): RatedSetting => {
      const outcome = outcomeOf(entry.runs);
      return { name: entry.name, config: entry.config, outcome, score: scoreAtObjective(outcome, objectiveSeconds), ratio: 0 };
    };
    const ranked = points.filter((p) => scoreAtObjective(p.measurement, objectiveSeconds) > 0).sort((a, b) => b.measurement.throughput - a.measurement.throughput);
    const candidates: LabConfig[] = [];
    for (const p of ranked) {
      const config = configOf(p.family, p.measurement.config.concurrency);
      if (!candidates.some((c) => configKey(c) === configKey(config))) candidates.push(config);
    }
    // In rounds: when none of a round holds up on repetition, the next ones are tried while time allows.
    for (let round = 0; round * timing.candidates < candidates.length; round++) {
      const batch = candidates.slice(round * timing.candidates, (round + 1) * timing.candidates);
      for (const c of batch) await repeat(`candidate ${describeConfig(c)}`, c, timing.repetitions);
      if (batch.some((c) => rate(repeated.get(configKey(c))!).score > 0) || elapsed() > context.deadline) break;
    }
    for (const run of pytuner) if (run.config !== undefined) await repeat(`pytuner (${run.buckets})`, run.config, timing.repetitions);
    for (const d of scenario.defaults) {
      const first = await repeat(d.name, d.config, 1);
      // A default far outside the objective needs no repetition to tell.
      if (first.runs[0]!.p95 <= 2 * objectiveSeconds) await repeat(d.name, d.config, timing.repetitions);
    }
    await bench.stop();
    const rated = [...repeated.values()].map(rate);
    const best = rated.filter((r) => r.score > 0).sort((a, b) => b.score - a.score)[0];
    const all = rated.map((r) => ({ ...r, ratio: ratioTo(r.score, best?.score ?? 0) }));
    const find = (config: LabConfig | undefined) => (config === undefined ? undefined : all.find((r) => configKey(r.config) === configKey(config)));
    const oracle = best === undefined ? undefined : find(best.config);
    for (const run of pytuner) {
      const r = find(run.config);
      if (r !== undefined) run.rated = r;
      const edge = run.config === undefined || run.withheld ? undefined : bestOfShape(points, familyOfConfig(run.config), run.config.concurrency, objectiveSeconds);
      if (edge !== undefined) run.shapeAtEdge = { concurrency: edge.config.concurrency, throughput: edge.throughput, ratio: ratioTo(edge.throughput, best?.score ?? 0) };
    }
    const defaults = scenario.defaults.map((d) => ({ ...find(d.config)!, name: d.name }));
    if (bench.retries > 0 || bench.noisy > 0) notes.push(`${bench.retries} runs were repeated because other processes kept more than ${BACKGROUND_LIMIT} cores busy; ${bench.noisy} runs were kept although they did (no quieter run within the attempts and the time)`);
    for (const r of all.filter((x) => isNoisy(x.outcome))) notes.push(`${describeConfig(r.config)}: repetitions spread ${Math.round(r.outcome.throughputSpread * 100)}% in throughput, ${Math.round(r.outcome.p95Spread * 100)}% in p95`);
    log(`${scenario.name}: oracle ${oracle === undefined ? 'none' : `${describeConfig(oracle.config)} ${oracle.score.toFixed(1)} req/s`}; pytuner ${pytuner.map((p) => p.rated?.ratio ?? '-').join(' / ')}; defaults ${defaults.map((d) => d.ratio).join(' / ')}`);

    // 6. Item 4 and the calibration check.
    const calibration = calibrate({ baseline, loadedCpuSecondsPerRequest: median(loaded.map((m) => m.cpuSecondsPerRequest))!, vcpus: LAB_VCPUS });
    const main = pytuner[0];
    const settings = [{ name: 'cc 1', config: one }, { name: 'cc 80', config: observed }, ...(main?.config === undefined ? [] : [{ name: 'pytuner', config: main.config }])];
    const capacity: CapacityResult[] = settings.map((s) => instancesNeeded(calibration, s, objectiveSeconds, SIM_SEED));
    const checks: CalibrationCheck[] = [oracle, main?.rated, defaults[1]].flatMap((r) => (r === undefined ? [] : [closedLoopCheck(calibration, r.config, r.outcome, SIM_SEED)]));

    return {
      scenario: scenario.name,
      summary: scenario.summary,
      objectiveSeconds,
      objectiveWhy: objective.why,
      baseline,
      day,
      pytuner,
      sweep: { results: sweepResults, points, cutShort },
      ...(oracle === undefined ? {} : { oracle }),
      defaults,
      repeated: all,
      calibration,
      capacity,
      calibrationChecks: checks,
      backgroundCores: bench.backgroundCores(),
      seconds: elapsed() - from,
      notes,
    };
  } finally {
    await bench.stop();
    await revision?.remove();
  }
}

function describeRun(run: PytunerRun): string {
  if (run.error !== undefined) return `failed: ${run.error}`;
  if (run.withheld) return 'withheld every knob';
  return `${describeConfig(run.config!)}${run.answer?.confidence === undefined ? '' : ` (${run.answer.confidence} confidence)`}, first step ${describeConfig(run.firstStep!)}`;
}

/** What must be in Prometheus before a day starts, by what it is: Knative 1.23's series of `service`. */
const CURRENT_SERIES = (service: string): Record<string, string> => ({
  'queue-proxy target_info': `target_info{kn_service_name="${service}"}`,
  'autoscaler kn_revision_pods_count ≥ 1': `kn_revision_pods_count{kn_service_name="${service}"} >= 1`,
  'container CPU': `container_cpu_usage_seconds_total{pod=~"${service}-.*"}`,
});

/** The same for Knative 1.18 (OpenCensus names, labels on every series). */
const LEGACY_SERIES = (service: string): Record<string, string> => ({
  'queue-proxy revision_request_count': `revision_request_count{service_name="${service}"}`,
  'autoscaler autoscaler_actual_pods ≥ 1': `autoscaler_actual_pods{service_name="${service}"} >= 1`,
});

/**
 * Waits (at most 90 s) until Prometheus holds the queue-proxy's request series and the autoscaler's pod count of the
 * service: the day must not start before the whole data path works. Returns notes for what never showed up.
 */
async function knativeSeriesPresent(prometheusUrl: string, service: string, series: (service: string) => Record<string, string>, log: (message: string) => void): Promise<string[]> {
  const wanted = series(service);
  const missing = new Set(Object.keys(wanted));
  const until = performance.now() + 90_000;
  while (missing.size > 0 && performance.now() < until) {
    for (const [what, query] of Object.entries(wanted)) {
      if (!missing.has(what)) continue;
      const answer = (await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as { data?: { result?: unknown[] } };
      if ((answer.data?.result?.length ?? 0) > 0) missing.delete(what);
    }
    if (missing.size > 0) await delay(2_000);
  }
  if (missing.size === 0) {
    log(`${service}: Prometheus has ${Object.keys(wanted).join(', ')}`);
    return [];
  }
  const text = `before the day, Prometheus still lacked: ${[...missing].join(', ')}`;
  log(`${service}: ${text}`);
  return [text];
}

/** pytuner's answer from what Prometheus scraped during the day on the Knative path. */
async function askPytunerLive(scenario: LabScenario, manifest: string, prometheusUrl: string, day: { start: number; end: number; stepSeconds: number }, objectiveSeconds: number, legacyVersion?: string): Promise<PytunerRun> {
  const observed = scenario.observed;
  const current = { containerConcurrency: observed.concurrency, workers: observed.workers, ...(observed.threads > 0 ? { threads: observed.threads } : {}) };
  const label = legacyVersion === undefined ? 'Knative: real queue-proxy, autoscaler, Prometheus' : `${LEGACY_LABEL} (${legacyVersion}): real queue-proxy, autoscaler, Prometheus`;
  try {
    const profile = legacyVersion === undefined ? knativeProfile : knativeLegacyProfile;
    const window = liveReportWindow(day, Math.max(day.stepSeconds, profile.minRateWindowSeconds));
    const report = await pytunerReportLive({ manifest, prometheusUrl, ...window, stepSeconds: day.stepSeconds, objectiveSeconds, current, profile: profile.id });
    return runOf(label, report);
  } catch (err) {
    return { buckets: label, error: (err as Error).message, withheld: false };
  }
}

/** The label of pytuner's answer from the legacy day (results.ts finds its column by its start, `Knative 1.18`). */
const LEGACY_LABEL = 'Knative 1.18, knative-legacy profile';

/** What the legacy day needs from its scenario. */
interface LegacyDay {
  scenario: LabScenario;
  manifest: string;
  lab: KnativeLab;
  /** The Knative 1.23 queue-proxy, put back after the legacy day. */
  queueBinary: string;
  legacy: NonNullable<KnativePath['legacy']>;
  revision: RevisionPod;
  schedule: DayStep[];
  timing: Timing;
  objectiveSeconds: number;
  log: (message: string) => void;
  notes: string[];
}

/**
 * The observed day again, through Knative 1.18's queue-proxy and autoscaler in place of 1.23's (same pod, same
 * breaker, same steps), and `pytuner report --profile knative-legacy` on what Prometheus scraped of it. Puts the
 * 1.23 components back afterwards, whatever happened.
 */
async function legacyDayRun(bench: Bench, d: LegacyDay): Promise<PytunerRun> {
  const name = `lab-${d.scenario.name}`;
  const observed = d.scenario.observed;
  try {
    await d.lab.useAutoscaler(d.legacy.autoscalerBinary);
    await bench.useQueueProxy(d.legacy.queueBinary, { ...d.revision.queueEnv, ...LEGACY_QUEUE_ENV });
    await bench.measure({ ...observed, concurrency: 1 }, 1);
    d.notes.push(...(await knativeSeriesPresent(d.lab.prometheusUrl, name, LEGACY_SERIES, d.log)));
    const start = Date.now() / 1000;
    for (const step of d.schedule) await bench.measure({ ...observed, concurrency: step.concurrency }, d.timing.knativeStepSeconds);
    const end = Date.now() / 1000;
    d.log(`${d.scenario.name}: the day measured again through Knative 1.18's queue-proxy (${d.legacy.version})`);
    await awaitScrape();
    return await askPytunerLive(d.scenario, d.manifest, d.lab.prometheusUrl, { start, end, stepSeconds: d.timing.knativeStepSeconds }, d.objectiveSeconds, d.legacy.version);
  } catch (err) {
    return { buckets: `${LEGACY_LABEL} (${d.legacy.version})`, error: (err as Error).message, withheld: false };
  } finally {
    await d.lab.useAutoscaler();
    await bench.useQueueProxy(d.queueBinary, d.revision.queueEnv);
  }
}

function runOf(label: string, report: { answer: PytunerRun['answer'] & {}; command: string }): PytunerRun {
  const a = report.answer;
  const changed = a.containerConcurrency.changed || a.workers.changed || a.threads?.changed === true;
  return {
    buckets: label,
    answer: a,
    command: report.command,
    config: { workers: a.workers.target, threads: a.threads?.target ?? 0, concurrency: a.containerConcurrency.target },
    firstStep: { workers: a.workers.value, threads: a.threads?.value ?? 0, concurrency: a.containerConcurrency.value },
    withheld: !changed && a.withheld.length > 0,
  };
}

function backfillLabel(layout: (typeof BUCKET_LAYOUTS)[number]): string {
  return `Cloud Run backfill, ${layout.name} buckets`;
}

/** pytuner's answer from the day's series written with one bucket layout; a report that withholds every knob keeps the configuration. */
async function askPytuner(scenario: LabScenario, steps: StepLoad[], layout: (typeof BUCKET_LAYOUTS)[number], objectiveSeconds: number): Promise<PytunerRun> {
  const observed = scenario.observed;
  const name = `lab-${scenario.name}`;
  const location = 'europe-west1';
  const current = { containerConcurrency: observed.concurrency, workers: observed.workers, ...(observed.threads > 0 ? { threads: observed.threads } : {}) };
  try {
    const start = Math.floor((Date.now() / 1000 - steps.length * STEP_SECONDS - 3600) / 60) * 60;
    const report = await pytunerReport({
      manifest: cloudRunManifest({ name, server: scenario.server, workers: observed.workers, threads: observed.threads, containerConcurrency: observed.concurrency, vcpus: LAB_VCPUS, location }),
      workload: { namespace: '123456789012', name, steps, vcpus: LAB_VCPUS, location },
      series: { start, stepSeconds: STEP_SECONDS, bounds: layout.bounds },
      objectiveSeconds,
      current,
    });
    return runOf(backfillLabel(layout), report);
  } catch (err) {
    return { buckets: backfillLabel(layout), error: (err as Error).message, withheld: false };
  }
}
