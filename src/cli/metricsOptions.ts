/**
 * @module `pytuner report --prometheus URL …`: the metrics flags, their checks, and the collection run between
 * loading the manifests and analysing them. Reads the token and CA files, talks to Prometheus through
 * `input/metrics`, shows a progress line on a terminal's stderr for long runs, and says which workloads have no
 * metrics (the report is then partial: exit code 2).
 */
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { MetricsProfileId, MetricsUnavailable, WorkloadObservations } from '../model/observations.ts';
import type { Workload } from '../model/workload.ts';
import { CredentialFileError, readPrometheusCredentials } from '../input/metrics/credentials.ts';
import type { CollectWindow, MetricsScope } from '../input/metrics/collect.ts';
import { PROFILE_IDS } from '../input/metrics/profiles/index.ts';
import type { QueryTemplates } from '../input/metrics/profiles/kubernetes.ts';
import { DEFAULT_STEP_SECONDS, PROMETHEUS_MAX_POINTS, templatePlaceholders } from '../input/metrics/promql.ts';
import { targetOfWorkload } from '../input/metrics/target.ts';
import type { LoadedInputs, SourceMapping } from '../parse/types.ts';
import { buildInventory } from '../model/extract/inventory.ts';
import type { AnalyseOptions } from '../report.ts';
import { DURATION_EXAMPLES, parseDuration } from '../parse/duration.ts';
import { EXIT_INPUT } from './exitCodes.ts';

/** The metrics flags of `pytuner report`, parsed (durations in seconds). */
export interface MetricsOptions {
  prometheus?: string;
  profile: MetricsProfileId | 'auto';
  window: number;
  step: number;
  end?: number;
  latencySlo?: number;
  bearerToken?: string;
  bearerTokenFile?: string;
  caFile?: string;
  timeout: number;
  namespace?: string[];
  requestRateQuery?: string;
  latencyQuery?: string;
  inFlightQuery?: string;
}


/** The stderr of the CLI, which may be a terminal. */
export interface MetricsIo {
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Milliseconds, for the progress line and the default `--end`; injected so tests can pin it. */
  now: () => number;
}

export const METRICS_EXAMPLES = `
  # recommendations from a week of Knative metrics (profile detected)
  pytuner report -f k8s/ --prometheus http://prometheus.monitoring:9090
  # Cloud Run through Google Managed Prometheus
  pytuner report -f service.yaml --profile cloudrun \\
    --prometheus https://monitoring.googleapis.com/v1/projects/PROJECT/location/global/prometheus \\
    --bearer-token-file <(gcloud auth print-access-token)
  # every Knative Service seen in the metrics of two namespaces, without manifests
  pytuner report --prometheus http://localhost:9090 --namespace shop --namespace payments`;

/** Adds the metrics flags to `report`. */
export function addMetricsOptions(command: Command): Command {
  return command
    .option('--prometheus <url>', 'read measured load from this Prometheus (HTTP API; Google Managed Prometheus works) and recommend concurrency, threads, workers and probe budgets', parseUrl)
    .addOption(new Option('--profile <profile>', 'metric names to read').choices([...PROFILE_IDS, 'auto']).default('auto'))
    .addOption(new Option('--window <duration>', 'how far back to read (e.g. 7d, 36h)').argParser(parseDurationSeconds).default(7 * 86_400, '7d'))
    .addOption(new Option('--step <duration>', 'resolution of the range queries (e.g. 5m, 1m)').argParser(parseDurationSeconds).default(DEFAULT_STEP_SECONDS, `${DEFAULT_STEP_SECONDS / 60}m`))
    .option('--end <time>', 'end of the window: RFC 3339 or Unix seconds (default: now)', parseTime)
    .option('--latency-slo <duration>', 'p95 latency objective (e.g. 300ms); default: 1.5 × the p95 seen at low concurrency', parseDurationSeconds)
    .option('--bearer-token <token>', 'send Authorization: Bearer <token> (visible in ps; prefer --bearer-token-file)')
    .option('--bearer-token-file <file>', 'read the bearer token from a file (e.g. a projected service account token)')
    .option('--ca-file <file>', "trust this PEM CA bundle for the Prometheus URL instead of the system's")
    .addOption(new Option('--timeout <duration>', 'per Prometheus request').argParser(parseDurationSeconds).default(30, '30s'))
    .option('-n, --namespace <namespace>', 'with --cluster: read this namespace (repeatable); with --prometheus and no -f: report on every workload seen in the metrics of this namespace', collect)
    .option('--request-rate-query <promql>', 'kubernetes profile: requests/s of one Deployment; {{namespace}}, {{name}}, {{window}} are filled in', parseTemplate)
    .option('--latency-query <promql>', 'kubernetes profile: latency histogram bucket rates of one Deployment by le, seconds', parseTemplate)
    .option('--in-flight-query <promql>', 'kubernetes profile: requests in flight of one Deployment (a gauge, or sum(rate(<histogram>_sum[{{window}}])))', parseTemplate);
}

/** A usage problem with the metrics flags, as a message; undefined when they are consistent. */
export function metricsUsageError(options: MetricsOptions, hasFiles: boolean): string | undefined {
  if (!hasFiles && options.prometheus === undefined) return "error: required option '-f, --file <path...>' not specified (or --prometheus with --namespace)";
  if (options.prometheus === undefined) {
    const stray = (['namespace', 'bearerToken', 'bearerTokenFile', 'caFile', 'requestRateQuery', 'latencyQuery', 'inFlightQuery', 'end', 'latencySlo'] as const).find((k) => options[k] !== undefined);
    return stray === undefined ? undefined : `error: --${kebab(stray)} needs --prometheus`;
  }
  if (!hasFiles && (options.namespace ?? []).length === 0) return 'error: --prometheus without -f needs --namespace (repeatable): the workloads are those seen in the metrics of these namespaces';
  if (hasFiles && options.namespace !== undefined) return 'error: --namespace is for reports without -f; with -f, the manifests say which workloads to read';
  if (options.bearerToken !== undefined && options.bearerTokenFile !== undefined) return 'error: give --bearer-token or --bearer-token-file, not both';
  if (options.step < 1) return 'error: --step must be at least 1s';
  if (options.window < options.step) return `error: --window (${options.window} s) must be at least one --step (${options.step} s)`;
  const points = Math.floor(options.window / options.step);
  if (points > PROMETHEUS_MAX_POINTS) return `error: --window / --step gives ${points} points per series; Prometheus answers at most ${PROMETHEUS_MAX_POINTS}: use a larger --step (e.g. ${Math.ceil(options.window / PROMETHEUS_MAX_POINTS / 60)}m)`;
  return undefined;
}

/** Measured load for the report, and whether some workload has none (a partial report). */
export interface ReportMetrics {
  observations: Map<string, WorkloadObservations | MetricsUnavailable>;
  partial: boolean;
  /** The window's end, Unix seconds: the recommender's `now`. */
  end: number;
}

/**
 * `report`'s metrics step: the workloads of the loaded manifests (or, without `-f`, of `--namespace`), their
 * observations, and the recommender settings for `analyse`; an exit code when a flag's file cannot be read.
 */
export async function reportMetrics(options: MetricsOptions & { prometheus: string }, loaded: LoadedInputs | undefined, sources: SourceMapping[], io: MetricsIo): Promise<ReportMetrics | number> {
  const workloads = loaded === undefined ? undefined : buildInventory(loaded, sources).inventory.workloads;
  try {
    return await collectReportMetrics(options, workloads, io);
  } catch (error) {
    if (!(error instanceof CredentialFileError)) throw error;
    io.stderr.write(`pytuner: error: ${error.message}\n`);
    return EXIT_INPUT;
  }
}

/** What `analyse` takes from the metrics step. */
export function analyseMetricsOptions(metrics: ReportMetrics, options: MetricsOptions): Pick<AnalyseOptions, 'observations' | 'recommender'> {
  const recommender: NonNullable<AnalyseOptions['recommender']> = { now: metrics.end };
  if (options.latencySlo !== undefined) recommender.latencySloSeconds = options.latencySlo;
  return { observations: metrics.observations, recommender };
}

/** The inputs of a report without `-f`: nothing read. */
export const NO_INPUTS: LoadedInputs = { documents: [], sources: [], errors: [], files: 0 };

/**
 * Reads the observations of `workloads` (from `-f`), or of every workload seen in `--namespace`. Prometheus being
 * down is not a crash: each workload gets its reason, the report carries on, and `partial` is set.
 */
export async function collectReportMetrics(options: MetricsOptions & { prometheus: string }, workloads: readonly Workload[] | undefined, io: MetricsIo): Promise<ReportMetrics> {
  const window = collectWindow(options, io.now());
  const credentials = await readPrometheusCredentials({
    ...(options.bearerToken === undefined ? {} : { bearerToken: options.bearerToken }),
    ...(options.bearerTokenFile === undefined ? {} : { bearerTokenFile: options.bearerTokenFile }),
    ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
  });
  // Loaded here, not with the CLI: the client brings undici (about 100 modules, 0.2 s of CPU and 25 MB), which a
  // report without --prometheus never uses.
  const [{ createPrometheusClient }, { collectObservations }] = await Promise.all([import('../input/metrics/client.ts'), import('../input/metrics/collect.ts')]);
  const client = createPrometheusClient({ url: options.prometheus, timeoutMs: options.timeout * 1000, ...credentials });
  const scope: MetricsScope = workloads !== undefined ? { targets: workloads.map(targetOfWorkload) } : { namespaces: options.namespace ?? [] };
  const progress = progressLine(io);
  try {
    const result = await collectObservations(scope, options.profile, window, client, { templates: templates(options), onProgress: progress.update });
    progress.done();
    for (const error of result.errors) io.stderr.write(`pytuner: metrics: ${error}\n`);
    let unavailable = 0;
    for (const entry of result.observations.values()) {
      if ('reason' in entry) {
        unavailable++;
        io.stderr.write(`pytuner: metrics unavailable for ${entry.target.kind} ${entry.target.namespace ? `${entry.target.namespace}/` : ''}${entry.target.name}: ${entry.reason}\n`);
      }
    }
    return { observations: result.observations, partial: unavailable > 0 || result.errors.length > 0, end: window.end };
  } finally {
    progress.done();
    await client.close();
  }
}

/** The window: `--end` (default now, rounded down to a step so repeated runs query the same steps), `--window` back. */
export function collectWindow(options: Pick<MetricsOptions, 'window' | 'step' | 'end'>, nowMs: number): CollectWindow {
  const end = options.end ?? Math.floor(nowMs / 1000 / options.step) * options.step;
  return { start: end - options.window, end, stepSeconds: options.step };
}

function templates(options: MetricsOptions): QueryTemplates {
  const t: QueryTemplates = {};
  if (options.requestRateQuery !== undefined) t.requestRate = options.requestRateQuery;
  if (options.latencyQuery !== undefined) t.latency = options.latencyQuery;
  if (options.inFlightQuery !== undefined) t.inFlight = options.inFlightQuery;
  return t;
}

/** `12/40 Prometheus queries` on one rewritten line, on a terminal only, once the run has taken more than a second. */
export function progressLine(io: MetricsIo): { update: (done: number, total: number) => void; done: () => void } {
  const started = io.now();
  let shown = false;
  if (io.stderr.isTTY !== true) return { update: () => {}, done: () => {} };
  return {
    update: (done, total) => {
      if (!shown && io.now() - started < 1000) return;
      shown = true;
      io.stderr.write(`\r\x1b[Kpytuner: Prometheus queries ${done}/${total}`);
    },
    done: () => {
      if (shown) io.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

/**
 * A duration flag (`7d`, `1h30m`, `300ms`; the grammar of src/parse/duration.ts, as in a TuningPolicy) in seconds,
 * the unit of Prometheus's range queries; above zero.
 */
export function parseDurationSeconds(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError(`expected ${DURATION_EXAMPLES}.`);
  if (ms <= 0) throw new InvalidArgumentError('expected a duration above zero.');
  return ms / 1000;
}

/** RFC 3339 (`2026-05-01T12:00:00Z`) or Unix seconds, as Unix seconds. */
export function parseTime(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) throw new InvalidArgumentError('expected RFC 3339 (2026-05-01T12:00:00Z) or Unix seconds.');
  return ms / 1000;
}

function parseUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw new InvalidArgumentError('expected an http(s) URL, e.g. http://prometheus.monitoring:9090.');
  return value;
}

function parseTemplate(value: string): string {
  const checked = templatePlaceholders(value);
  if ('error' in checked) throw new InvalidArgumentError(`${checked.error}.`);
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
