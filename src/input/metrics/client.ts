/**
 * @module A Prometheus HTTP API client: `/api/v1/query`, `/api/v1/query_range` and the metadata endpoints, nothing
 * else. Queries go as POST form bodies, so long PromQL never meets a URL length limit. Works with any server of the
 * same API, including Google Managed Prometheus (`https://monitoring.googleapis.com/v1/projects/PROJECT/location/global/prometheus`
 * with a bearer token from `gcloud auth print-access-token`). Responses are validated with zod; every failure is a
 * typed `PrometheusError`, never a crash; NaN and ±Inf arrive as numbers for the caller to judge.
 */
import { Agent, request } from 'undici';
import { z } from 'zod';

/** How a request failed: no connection, no answer in time, an HTTP error status, or a body that is not the API's. */
export type PrometheusFailureKind = 'unreachable' | 'timeout' | 'http' | 'bad-response';

/** A failed request to Prometheus, with the endpoint and, for HTTP errors, the status and Prometheus' own error text. */
export class PrometheusError extends Error {
  readonly kind: PrometheusFailureKind;
  readonly endpoint: string;
  readonly status: number | undefined;

  constructor(kind: PrometheusFailureKind, endpoint: string, message: string, status?: number) {
    super(message);
    this.name = 'PrometheusError';
    this.kind = kind;
    this.endpoint = endpoint;
    this.status = status;
  }
}

/** How to reach Prometheus. */
export interface PrometheusClientOptions {
  /** Base URL: `http://prometheus:9090`, or a path prefix such as GMP's `…/location/global/prometheus`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** PEM certificates trusted for HTTPS instead of the system's (a private CA). */
  caPem?: string;
  /** Per request, connection to last byte. */
  timeoutMs: number;
}

/** One series: its labels and its (Unix seconds, value) points; values may be NaN or ±Infinity. */
export interface Series {
  labels: Record<string, string>;
  points: Array<[t: number, value: number]>;
}

/** A query's series, and Prometheus' warnings (a partial answer, e.g. from a federated store that did not respond). */
export interface QueryResult {
  series: Series[];
  warnings: string[];
}

/** Requests made and response bytes read, for the query-cost benchmark. */
export interface QueryStats {
  queries: number;
  bytes: number;
}

/** A range query's bounds, Unix seconds. */
export interface QueryRange {
  start: number;
  end: number;
  stepSeconds: number;
}

/** The client: one instance per Prometheus, closed when done. */
export interface PrometheusClient {
  readonly url: string;
  /** `/api/v1/query_range`: a matrix. */
  queryRange(promql: string, range: QueryRange): Promise<QueryResult>;
  /** `/api/v1/query` at `time`: a vector (each series has one point). */
  query(promql: string, time: number): Promise<QueryResult>;
  /** `/api/v1/label/<label>/values` for series matching `match` between `start` and `end`. */
  labelValues(label: string, match: readonly string[], start: number, end: number): Promise<string[]>;
  /** `/api/v1/labels`: the label names of series matching `match` between `start` and `end`. */
  labelNames(match: readonly string[], start: number, end: number): Promise<string[]>;
  stats(): QueryStats;
  close(): Promise<void>;
}

const Labels = z.record(z.string(), z.string());
const SamplePair = z.tuple([z.number(), z.string()]);
const MatrixData = z.object({
  resultType: z.literal('matrix'),
  // A native-histogram-only series has `histograms` and no `values`: no float points for pytuner.
  result: z.array(z.object({ metric: Labels, values: z.array(SamplePair).default([]) })),
});
const VectorData = z.object({
  resultType: z.literal('vector'),
  result: z.array(z.object({ metric: Labels, value: SamplePair.optional() })),
});
const Success = z.object({ status: z.literal('success'), data: z.unknown(), warnings: z.array(z.string()).optional() });
const Failure = z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() });
const StringList = z.array(z.string());

/** Opens a client. `caPem` builds a dedicated connection pool that trusts only those certificates. */
export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const base = options.url.replace(/\/+$/, '');
  const dispatcher = new Agent(options.caPem === undefined ? {} : { connect: { ca: options.caPem } });
  const counts: QueryStats = { queries: 0, bytes: 0 };

  async function call(endpoint: string, form: URLSearchParams, method: 'GET' | 'POST'): Promise<unknown> {
    counts.queries++;
    const signal = AbortSignal.timeout(options.timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.bearerToken !== undefined) headers['authorization'] = `Bearer ${options.bearerToken}`;
    let status: number;
    let text: string;
    try {
      const body = method === 'POST' ? form.toString() : undefined;
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const url = method === 'GET' ? `${base}${endpoint}?${form}` : `${base}${endpoint}`;
      const response = await request(url, { method, headers, body, signal, dispatcher });
      status = response.statusCode;
      const bytes = Buffer.from(await response.body.arrayBuffer());
      counts.bytes += bytes.length;
      text = bytes.toString('utf8');
    } catch (error) {
      throw transportError(endpoint, error, signal.aborted, options);
    }
    return decodeBody(endpoint, status, text);
  }

  async function data(endpoint: string, form: URLSearchParams, method: 'GET' | 'POST' = 'POST'): Promise<{ data: unknown; warnings: string[] }> {
    const body = Success.safeParse(await call(endpoint, form, method));
    if (!body.success) throw badResponse(endpoint, `not a Prometheus API answer (${firstIssue(body.error)})`);
    return { data: body.data.data, warnings: body.data.warnings ?? [] };
  }

  return {
    url: base,
    async queryRange(promql, range) {
      const endpoint = '/api/v1/query_range';
      const form = new URLSearchParams({ query: promql, start: String(range.start), end: String(range.end), step: String(range.stepSeconds) });
      const answer = await data(endpoint, form);
      const matrix = MatrixData.safeParse(answer.data);
      if (!matrix.success) throw badResponse(endpoint, `expected a matrix (${firstIssue(matrix.error)})`);
      const series = matrix.data.result.map((r) => ({ labels: r.metric, points: r.values.map((p) => [p[0], sampleValue(endpoint, p[1])] as [number, number]) }));
      return { series, warnings: answer.warnings };
    },
    async query(promql, time) {
      const endpoint = '/api/v1/query';
      const answer = await data(endpoint, new URLSearchParams({ query: promql, time: String(time) }));
      const vector = VectorData.safeParse(answer.data);
      if (!vector.success) throw badResponse(endpoint, `expected a vector (${firstIssue(vector.error)})`);
      const series = vector.data.result.map((r) => ({
        labels: r.metric,
        points: r.value === undefined ? [] : [[r.value[0], sampleValue(endpoint, r.value[1])] as [number, number]],
      }));
      return { series, warnings: answer.warnings };
    },
    async labelValues(label, match, start, end) {
      const endpoint = `/api/v1/label/${encodeURIComponent(label)}/values`;
      const form = new URLSearchParams({ start: String(start), end: String(end) });
      for (const m of match) form.append('match[]', m);
      const answer = await data(endpoint, form, 'GET'); // this endpoint takes no POST body
      return stringList(endpoint, answer.data);
    },
    async labelNames(match, start, end) {
      const endpoint = '/api/v1/labels';
      const form = new URLSearchParams({ start: String(start), end: String(end) });
      for (const m of match) form.append('match[]', m);
      return stringList(endpoint, (await data(endpoint, form)).data);
    },
    stats: () => ({ ...counts }),
    close: () => dispatcher.close(),
  };
}

/** Prometheus sends sample values as strings: `"1.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`. */
export function sampleValue(endpoint: string, text: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw badResponse(endpoint, `sample value ${JSON.stringify(text.slice(0, 40))} is not a number`);
  return value;
}

/** JSON of a 2xx answer; for any other status, the `http` error with Prometheus' `error` text when the body has one. */
export function decodeBody(endpoint: string, status: number, text: string): unknown {
  let json: unknown;
  let parseError: string | undefined;
  try {
    json = JSON.parse(text);
  } catch (error) {
    parseError = error instanceof Error ? error.message : String(error);
  }
  if (status < 200 || status > 299) {
    const failure = Failure.safeParse(json);
    const detail = failure.success && failure.data.error !== undefined
      ? `${failure.data.error}${failure.data.errorType ? ` (${failure.data.errorType})` : ''}`
      : snippet(text);
    throw new PrometheusError('http', endpoint, `Prometheus answered HTTP ${status} to ${endpoint}: ${detail}`, status);
  }
  if (parseError !== undefined) throw badResponse(endpoint, `the body is not JSON (${parseError}): ${snippet(text)}`);
  const failure = Failure.safeParse(json);
  if (failure.success) throw new PrometheusError('http', endpoint, `Prometheus answered ${endpoint} with an error: ${failure.data.error ?? 'no error text'}`, status);
  return json;
}

function transportError(endpoint: string, error: unknown, timedOut: boolean, options: PrometheusClientOptions): PrometheusError {
  if (timedOut) return new PrometheusError('timeout', endpoint, `Prometheus did not answer ${endpoint} within ${options.timeoutMs / 1000} s`);
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  const message = err.cause?.message ?? err.message ?? String(error);
  const hint = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) ? ' (a private CA? pass it with --ca-file)' : '';
  return new PrometheusError('unreachable', endpoint, `Prometheus at ${options.url} is unreachable: ${message}${code && !message.includes(code) ? ` (${code})` : ''}${hint}`);
}

function badResponse(endpoint: string, detail: string): PrometheusError {
  return new PrometheusError('bad-response', endpoint, `Prometheus sent an answer to ${endpoint} that pytuner cannot read: ${detail}`);
}

function stringList(endpoint: string, data: unknown): string[] {
  const list = StringList.safeParse(data);
  if (!list.success) throw badResponse(endpoint, `expected a list of strings (${firstIssue(list.error)})`);
  return list.data;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/** The start of a body, on one line, for an error message. */
function snippet(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return 'an empty body';
  return JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line);
}
