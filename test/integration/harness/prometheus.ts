// A Prometheus that holds only the series a test gives it: backfilled into a TSDB with promtool, then served
// on loopback with no scrape targets, so queries at the series' timestamps answer from exactly that data.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findOnPath, isExecutable, scriptPath } from './paths.ts';
import { createServerGroup, exitedError, freeLoopbackPorts, pollUntil, runScript } from './processes.ts';

export interface PrometheusOptions {
  /** OpenMetrics text with timestamps (see openMetrics.ts for what promtool requires of it). */
  openMetrics: string;
  startTimeoutMs?: number;
}

export interface RunningPrometheus {
  /** http://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

export interface PrometheusBinaries {
  prometheus: string;
  promtool: string;
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const binaries = await locatePrometheusBinaries();
  const group = await createServerGroup('pytuner-prometheus-');
  const { dir } = group;
  try {
    const dataDir = join(dir, 'data');
    await backfill(binaries.promtool, join(dir, 'series.om'), options.openMetrics, dataDir);
    const configFile = join(dir, 'prometheus.yml');
    await writeFile(configFile, 'scrape_configs: [] # nothing scraped: the TSDB holds the backfilled series only\n');
    const [port] = (await freeLoopbackPorts(1)) as [number];
    const url = `http://127.0.0.1:${port}`;
    const server = group.start('prometheus', binaries.prometheus, prometheusArgs(configFile, dataDir, port));
    await pollUntil('Prometheus to be ready and to serve the backfilled series', () => servesSeries(url), {
      timeoutMs,
      abortIf: () => exitedError(server),
    });
    return { url, stop: group.stop };
  } catch (err) {
    await group.stop();
    throw err;
  }
}

export interface ScrapingPrometheusOptions {
  /** host:port of each /metrics endpoint to scrape (one job, `pytuner`). */
  targets: string[];
  /** Scrape interval in seconds. */
  intervalSeconds: number;
  startTimeoutMs?: number;
}

/** A Prometheus with an empty TSDB that scrapes `targets`: ready once its first scrape has stored a series. */
export async function startScrapingPrometheus(options: ScrapingPrometheusOptions): Promise<RunningPrometheus> {
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const binaries = await locatePrometheusBinaries();
  const group = await createServerGroup('pytuner-prometheus-');
  const { dir } = group;
  try {
    const configFile = join(dir, 'prometheus.yml');
    const interval = `${options.intervalSeconds}s`;
    const config = { global: { scrape_interval: interval, scrape_timeout: interval }, scrape_configs: [{ job_name: 'pytuner', static_configs: [{ targets: options.targets }] }] };
    // JSON is YAML: no YAML library needed for a config written whole.
    await writeFile(configFile, JSON.stringify(config));
    const [port] = (await freeLoopbackPorts(1)) as [number];
    const url = `http://127.0.0.1:${port}`;
    const server = group.start('prometheus', binaries.prometheus, prometheusArgs(configFile, join(dir, 'data'), port));
    await pollUntil('Prometheus to be ready and to have scraped its targets once', () => servesSeries(url), { timeoutMs, abortIf: () => exitedError(server) });
    return { url, stop: group.stop };
  } catch (err) {
    await group.stop();
    throw err;
  }
}

function prometheusArgs(configFile: string, dataDir: string, port: number): string[] {
  return [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    // Time retention counts back from the newest block (Prometheus 2.x), not from now; a long one keeps
    // every backfilled block, however far apart a test spreads its samples.
    '--storage.tsdb.retention.time=100y',
    `--web.listen-address=127.0.0.1:${port}`,
  ];
}

/** Writes the OpenMetrics text to `file` and turns it into TSDB blocks in `dataDir`. */
async function backfill(promtool: string, file: string, openMetrics: string, dataDir: string): Promise<void> {
  await writeFile(file, openMetrics);
  try {
    await promisify(execFile)(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', file, dataDir]);
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string; stdout?: string };
    throw new Error(`promtool tsdb create-blocks-from openmetrics ${file} failed: ${(stderr || stdout || (err as Error).message).trim()}`);
  }
}

/** Ready, and the backfilled blocks loaded: some metric name is known (over all time, by default). */
async function servesSeries(url: string): Promise<true | undefined> {
  const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(5_000) });
  if (!ready.ok) throw new Error(`/-/ready answered ${ready.status}`);
  const names = (await (await fetch(`${url}/api/v1/label/__name__/values`, { signal: AbortSignal.timeout(5_000) })).json()) as { status: string; data?: string[] };
  if (names.status !== 'success') throw new Error(`/api/v1/label/__name__/values answered ${JSON.stringify(names)}`);
  return (names.data ?? []).length > 0 ? true : undefined;
}

/**
 * prometheus and promtool from PATH, installed by scripts/install-prometheus.sh when either is missing.
 * global-setup.ts calls it once up front, where an install has no time limit; a test's beforeAll has one.
 */
export async function locatePrometheusBinaries(): Promise<PrometheusBinaries> {
  const found = { prometheus: findOnPath('prometheus'), promtool: findOnPath('promtool') };
  if (found.prometheus && found.promtool) return { prometheus: found.prometheus, promtool: found.promtool };
  const script = scriptPath('install-prometheus.sh');
  const { lastLine: dir } = await runScript(script);
  const binary = (name: string): string => {
    const path = join(dir, name);
    if (!isExecutable(path)) throw new Error(`${name} not found in ${dir} after ${script}: install Prometheus >= 2.42 and put prometheus and promtool on PATH`);
    return path;
  };
  return { prometheus: binary('prometheus'), promtool: binary('promtool') };
}

export interface InstantQueryResult {
  metric: Record<string, string>;
  value: number;
}

/** GET /api/v1/query at `time` (Unix seconds); the vector result with its values as numbers. */
export async function instantQuery(url: string, query: string, time: number): Promise<InstantQueryResult[]> {
  const params = new URLSearchParams({ query, time: String(time) });
  const response = await fetch(`${url}/api/v1/query?${params}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success' || !body.data) throw new Error(`query ${query} failed (HTTP ${response.status}): ${body.error ?? JSON.stringify(body)}`);
  if (body.data.resultType !== 'vector') throw new Error(`query ${query} returned a ${body.data.resultType}, not a vector`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}
