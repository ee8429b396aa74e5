/**
 * @module Measured load for the controller. One collection per TuningPolicy and metrics source reads every workload
 * the policy selects at once, with `collectObservations` (the reader of `pytuner report --prometheus`): the profile's
 * per-namespace queries, whatever the number of workloads. The snapshot is kept for a refresh interval and shared by
 * every reconcile in it; concurrent reconciles wait for the same collection. A collection that failed is kept too, for
 * at most 30 s, so a Prometheus that is down is asked again twice a minute, not on every reconcile. A workload the
 * snapshot does not cover (created, or its container or vCPU changed, since) makes the next read collect again.
 * Credentials (a bearer token file, a CA bundle: `--prometheus-*` flags) are the controller's, not a policy's: they are
 * sent only to the Prometheus they were given for (`--prometheus-url`), so a TuningPolicy whose author points
 * `prometheusUrl` elsewhere never receives the token. The files are read again at each collection (token rotation).
 */
import type { Logger } from 'pino';
import type { MetricsSource } from '../api/v1alpha1/tuningPolicy.ts';
import { createPrometheusClient, PrometheusError, type PrometheusClient, type PrometheusClientOptions } from '../input/metrics/client.ts';
import { CredentialFileError, readPrometheusCredentials, type PrometheusCredentials } from '../input/metrics/credentials.ts';
import { collectObservations } from '../input/metrics/collect.ts';
import type { MetricsTarget } from '../input/metrics/target.ts';
import { observationKey } from '../model/observations.ts';
import { describeError } from './informers.ts';
import { StringPool } from './interning.ts';
import type { ControllerMetrics } from './metrics.ts';
import { DEFAULT_STEP_SECONDS, metricsWindow, packedObservations, type CollectionFailureKind, type MetricsSnapshot } from './metricsBasis.ts';
import { CONTROLLER_DEFAULTS as D } from '../config/controller.ts';

/** Default refresh interval (`--metrics-interval`, src/config/controller.ts). */
export const DEFAULT_METRICS_INTERVAL_MS = D.metricsIntervalMs;

/** Default timeout of one request to Prometheus (`--metrics-timeout`, src/config/controller.ts). */
export const DEFAULT_METRICS_TIMEOUT_MS = D.metricsTimeoutMs;

/** A failed collection is retried after at most this long (or the interval, when shorter). */
const FAILURE_RETRY_MS = 30_000;

/** Snapshots unused for this many intervals (a deleted policy) are dropped. */
const IDLE_INTERVALS = 3;

/** What the reader needs. */
export interface MetricsReaderOptions {
  intervalMs: number;
  /** Per request to Prometheus. */
  timeoutMs: number;
  stepSeconds?: number;
  /** The reconcile clock: a window ends at now, rounded down to a step. */
  now: () => Date;
  /** Monotonic milliseconds for expiry; default `performance.now()`. */
  clock?: () => number;
  log: Logger;
  metrics: Pick<ControllerMetrics, 'metricsCollections' | 'metricsQueries' | 'errors'>;
  /** The controller's credentials for one Prometheus; none: every Prometheus is read anonymously. */
  access?: PrometheusAccess;
}

/**
 * The controller's credentials for the Prometheus at `url` (`--prometheus-url`, `--prometheus-bearer-token-file`,
 * `--prometheus-ca-file`): used for a policy whose prometheusUrl is `url` or a path under it, and for no other.
 */
export interface PrometheusAccess {
  url: string;
  /** A projected service-account token or a mounted Secret key; read again at each collection. */
  bearerTokenFile?: string;
  /** PEM bundle trusted instead of the system's CAs for this Prometheus. */
  caFile?: string;
}

/** Whether `policyUrl` is the Prometheus `accessUrl` names: same scheme, host and port, and a path at or under its path. */
export function accessCovers(accessUrl: string, policyUrl: string): boolean {
  if (!URL.canParse(accessUrl) || !URL.canParse(policyUrl)) return false;
  const access = new URL(accessUrl);
  const policy = new URL(policyUrl);
  if (access.protocol !== policy.protocol || access.host !== policy.host || policy.username !== '' || policy.password !== '') return false;
  const base = access.pathname.replace(/\/+$/, '');
  const path = policy.pathname.replace(/\/+$/, '');
  return path === base || path.startsWith(`${base}/`);
}

/** A read for one policy. */
export interface MetricsRequest {
  policy: { namespace: string; name: string };
  source: MetricsSource;
  /** The workload being reconciled: a snapshot that does not cover it is collected again. */
  target?: MetricsTarget;
  /** Every workload the policy selects now; called only when a collection runs. */
  targets: () => MetricsTarget[];
}

/** A snapshot, or why the policy's source cannot be read at all. */
export type MetricsRead = { snapshot: MetricsSnapshot } | { error: string };

interface Entry {
  snapshot?: MetricsSnapshot;
  /** Each covered target's key and its facts (targetFacts): a changed container or vCPU is a different target. */
  covered: Map<string, string>;
  expiresAt: number;
  lastUsed: number;
  pending?: Promise<MetricsRead>;
}

/** MetricsReader keeps one snapshot per policy and metrics source; see the module comment. */
export class MetricsReader {
  readonly #options: MetricsReaderOptions;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: MetricsReaderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** The policy's snapshot: the cached one while fresh and covering the target, else a new collection. */
  async read(request: MetricsRequest): Promise<MetricsRead> {
    const now = this.#clock();
    this.#sweep(now);
    const key = entryKey(request);
    let entry = this.#entries.get(key);
    if (entry === undefined) this.#entries.set(key, (entry = { covered: new Map(), expiresAt: 0, lastUsed: now }));
    entry.lastUsed = now;
    if (entry.pending !== undefined) await entry.pending;
    if (entry.snapshot !== undefined && this.#clock() < entry.expiresAt && covers(entry, request.target)) return { snapshot: entry.snapshot };
    entry.pending ??= this.#collect(entry, request).finally(() => {
      (entry as Entry).pending = undefined;
    });
    return entry.pending;
  }

  async #collect(entry: Entry, request: MetricsRequest): Promise<MetricsRead> {
    const { source, policy } = request;
    const window = metricsWindow(source, this.#options.now().getTime(), this.#options.stepSeconds ?? DEFAULT_STEP_SECONDS);
    if ('error' in window) return { error: window.error };
    const targets = uniqueTargets([...request.targets(), ...(request.target === undefined ? [] : [request.target])]);
    const log = this.#options.log.child({ policy: `${policy.namespace}/${policy.name}`, prometheus: source.prometheusUrl, profile: source.profile });
    const credentials = await this.#credentials(source.prometheusUrl, log);
    if ('failure' in credentials) return this.#stored(entry, { source, window, observations: new Map(), failure: credentials.failure }, targets);
    const client = createPrometheusClient({ url: source.prometheusUrl, timeoutMs: this.#options.timeoutMs, ...credentials } satisfies PrometheusClientOptions);
    const recorder = recordingFailures(client);
    const started = performance.now();
    let snapshot: MetricsSnapshot;
    try {
      const collection = await collectObservations({ targets }, source.profile, window, recorder.client);
      snapshot = { source, window, observations: packedObservations(collection.observations) };
      if (recorder.first !== undefined) snapshot.failure = { kind: failureKind(recorder.first), message: recorder.first.message };
      if (recorder.full !== undefined) log.warn({ failure: recorder.full.message }, 'a request to Prometheus failed (its answer is logged here only, never copied into status)');
    } catch (error) {
      // collectObservations turns Prometheus' failures into reasons; anything else is a bug, kept from the controller.
      log.error({ err: describeError(error) }, 'reading metrics failed');
      snapshot = { source, window, observations: new Map(), failure: { kind: 'internal', message: `reading metrics failed: ${describeError(error)}` } };
    } finally {
      await client.close().catch(() => undefined);
    }
    const queries = client.stats().queries;
    const read = [...snapshot.observations.values()].filter((o) => !('reason' in o)).length;
    const result = snapshot.failure === undefined ? 'success' : read > 0 ? 'partial' : 'failed';
    this.#options.metrics.metricsQueries.inc(queries);
    this.#options.metrics.metricsCollections.inc({ result });
    if (snapshot.failure !== undefined) {
      this.#options.metrics.errors.inc({ type: 'metrics_query' });
      log.warn({ failure: snapshot.failure, queries, workloads: targets.length, read }, 'metrics could not be read');
    } else {
      log.info({ queries, workloads: targets.length, read, ms: Math.round(performance.now() - started) }, 'metrics read');
    }
    return this.#stored(entry, snapshot, targets);
  }

  /**
   * The controller's credentials when `url` is the Prometheus they were given for, none otherwise; a failure (the
   * file named in the log, not in status) when they cannot be read.
   */
  async #credentials(url: string, log: Logger): Promise<PrometheusCredentials | { failure: MetricsSnapshot['failure'] & object }> {
    const access = this.#options.access;
    if (access === undefined || !accessCovers(access.url, url)) return {};
    try {
      return await readPrometheusCredentials({
        ...(access.bearerTokenFile === undefined ? {} : { bearerTokenFile: access.bearerTokenFile }),
        ...(access.caFile === undefined ? {} : { caFile: access.caFile }),
        names: { bearerTokenFile: '--prometheus-bearer-token-file', caFile: '--prometheus-ca-file' },
      });
    } catch (error) {
      if (!(error instanceof CredentialFileError)) throw error;
      this.#options.metrics.errors.inc({ type: 'metrics_query' });
      log.error({ err: error.message }, 'the credentials for Prometheus could not be read');
      return { failure: { kind: 'credentials', message: `the controller's credentials for ${access.url} could not be read (its log says why)` } };
    }
  }

  /** Keeps `snapshot` as the entry's for its lifetime (an interval; a failed one at most FAILURE_RETRY_MS). */
  #stored(entry: Entry, snapshot: MetricsSnapshot, targets: readonly MetricsTarget[]): MetricsRead {
    entry.snapshot = snapshot;
    entry.covered = new Map(targets.map((t) => [observationKey(t), targetFacts(t)]));
    const lifetime = snapshot.failure === undefined ? this.#options.intervalMs : Math.min(this.#options.intervalMs, FAILURE_RETRY_MS);
    entry.expiresAt = this.#clock() + lifetime;
    return { snapshot };
  }

  /** Drops the snapshots no reconcile has read for a while (their policy is gone or no longer names the source). */
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.pending === undefined && now - entry.lastUsed > IDLE_INTERVALS * this.#options.intervalMs) this.#entries.delete(key);
    }
  }
}

/** A refusal (401, 403) is told apart from other HTTP errors: the fix is the controller's credentials. */
function failureKind(error: PrometheusError): CollectionFailureKind {
  return error.kind === 'http' && (error.status === 401 || error.status === 403) ? 'unauthorized' : error.kind;
}

/** One snapshot per policy and source: a changed URL, profile or window is a new collection. */
function entryKey(request: MetricsRequest): string {
  const { policy, source } = request;
  return JSON.stringify([policy.namespace, policy.name, source.prometheusUrl, source.profile, source.window]);
}

/** Whether a snapshot answers for `target`: it was asked for with the same facts, or Prometheus failed for everyone. */
function covers(entry: Entry, target: MetricsTarget | undefined): boolean {
  if (target === undefined) return true;
  const failedForAll = entry.snapshot?.failure !== undefined && [...entry.snapshot.observations.values()].every((o) => 'reason' in o);
  return failedForAll || entry.covered.get(observationKey(target)) === targetFacts(target);
}

/** The facts of targets, one copy of each: most workloads of a namespace share them (platform, container name, vCPU). */
const FACTS = new StringPool(4_096);

/**
 * A target's facts besides its kind and name (which its key holds) as JSON, one pooled copy per distinct text: as
 * the whole target's JSON it was a string of its own per workload (about 130 B each, 2.6 MB at 20,000).
 */
function targetFacts(target: MetricsTarget): string {
  const { kind: _kind, name: _name, ...facts } = target;
  return FACTS.intern(JSON.stringify(facts));
}

function uniqueTargets(targets: readonly MetricsTarget[]): MetricsTarget[] {
  return [...new Map(targets.map((t) => [observationKey(t), t])).values()];
}

/**
 * What of a failed request to Prometheus may reach a status. A TuningPolicy's prometheusUrl can point at anything its
 * author chooses; copying the answer (an error body, a login page, a network error naming hosts and ports) into
 * TuningPolicy or TuningRecommendation status would read in-cluster endpoints back to them (server-side request
 * forgery). Status gets the kind, the HTTP status, the endpoint path and a transport error code; the controller's log
 * gets the whole text.
 */
export function classifiedFailure(error: PrometheusError, url: string): PrometheusError {
  const { kind, endpoint, status } = error;
  switch (kind) {
    case 'http':
      return new PrometheusError(kind, endpoint, status === undefined || (status >= 200 && status <= 299) ? `Prometheus answered ${endpoint} with an error` : `Prometheus answered HTTP ${status} to ${endpoint}`, status);
    case 'timeout':
      return new PrometheusError(kind, endpoint, `Prometheus did not answer ${endpoint} in time`, status);
    case 'unreachable': {
      const code = /\b(E[A-Z]{3,}|[A-Z_]*CERT[A-Z_]*|SELF_SIGNED[A-Z_]*|UNABLE_TO_VERIFY[A-Z_]*)\b/.exec(error.message)?.[1];
      return new PrometheusError(kind, endpoint, `Prometheus at ${url} is unreachable${code === undefined ? '' : ` (${code})`}`, status);
    }
    case 'bad-response':
      return new PrometheusError(kind, endpoint, `Prometheus sent an answer to ${endpoint} that pytuner cannot read`, status);
  }
}

/**
 * The client, throwing classified failures (classifiedFailure) and remembering the first, with the full error for the
 * log (collectObservations turns the failures into the reasons status shows).
 */
function recordingFailures(inner: PrometheusClient): { client: PrometheusClient; first: PrometheusError | undefined; full: PrometheusError | undefined } {
  const recorder: { client: PrometheusClient; first: PrometheusError | undefined; full: PrometheusError | undefined } = { client: inner, first: undefined, full: undefined };
  const record = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof PrometheusError)) throw error;
      const safe = classifiedFailure(error, inner.url);
      recorder.first ??= safe;
      recorder.full ??= error;
      throw safe;
    }
  };
  recorder.client = {
    url: inner.url,
    queryRange: (promql, range) => record(() => inner.queryRange(promql, range)),
    query: (promql, time) => record(() => inner.query(promql, time)),
    labelValues: (label, match, start, end) => record(() => inner.labelValues(label, match, start, end)),
    labelNames: (match, start, end) => record(() => inner.labelNames(match, start, end)),
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
  return recorder;
}
