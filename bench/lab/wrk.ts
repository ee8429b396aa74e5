/**
 * @module The load generator: Debian's `wrk` (4.1) as a closed loop — `-c N` keeps N keep-alive connections, each
 * sending its next request as soon as the last response arrives, so N requests are in flight at all times: the
 * per-instance concurrency that containerConcurrency caps. wrk is chosen over autocannon because it is C with one
 * epoll thread: on this 2-core machine the load generator shares the cores with the server, and wrk costs a few
 * percent of a core where a Node generator would take a good part of one. A Lua `done()` hook prints wrk's whole
 * latency record (microsecond resolution, one count per distinct value), from which the exact percentiles and the
 * Prometheus histogram buckets are computed.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** wrk's Lua hook: the summary, the errors and every distinct latency (µs) with its count, as `LAB` lines. */
export const WRK_REPORT_LUA = `-- Written by bench/lab/wrk.ts: prints wrk's summary and its whole latency record for the lab to parse.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("LAB requests %d\\n", summary.requests))
  io.write(string.format("LAB duration_us %d\\n", summary.duration))
  io.write(string.format("LAB errors %d %d %d %d %d\\n", e.connect, e.read, e.write, e.status, e.timeout))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format("LAB latency %d %d\\n", value, count))
  end
end
`;

/** wrk's socket and HTTP errors over a run. */
export interface WrkErrors {
  connect: number;
  read: number;
  write: number;
  /** Responses with a status other than 2xx/3xx. */
  status: number;
  /** Requests that took longer than `--timeout` (not in the latency record). */
  timeout: number;
}

/** One distinct latency (seconds) and how many requests had it. */
export interface LatencyCount {
  seconds: number;
  count: number;
}

/** One wrk run, parsed. */
export interface WrkResult {
  requests: number;
  durationSeconds: number;
  errors: WrkErrors;
  /** Ascending by latency. */
  latencies: LatencyCount[];
}

/** Parses the `LAB` lines of a run's stdout; throws when the summary is missing (wrk failed before `done`). */
export function parseWrkReport(stdout: string): WrkResult {
  let requests: number | undefined;
  let durationSeconds: number | undefined;
  let errors: WrkErrors | undefined;
  const latencies: LatencyCount[] = [];
  for (const line of stdout.split('\n')) {
    const [tag, key, ...values] = line.trim().split(/\s+/);
    if (tag !== 'LAB') continue;
    const numbers = values.map(Number);
    if (key === 'requests') requests = numbers[0];
    else if (key === 'duration_us') durationSeconds = (numbers[0] ?? NaN) / 1e6;
    else if (key === 'errors') {
      const [connect = NaN, read = NaN, write = NaN, status = NaN, timeout = NaN] = numbers;
      errors = { connect, read, write, status, timeout };
    } else if (key === 'latency') latencies.push({ seconds: (numbers[0] ?? NaN) / 1e6, count: numbers[1] ?? NaN });
  }
  if (requests === undefined || durationSeconds === undefined || errors === undefined) throw new Error(`wrk printed no LAB summary:\n${stdout.slice(-2000)}`);
  const numbers = [requests, durationSeconds, ...Object.values(errors), ...latencies.flatMap((l) => [l.seconds, l.count])];
  if (numbers.some((n) => !Number.isFinite(n) || n < 0)) throw new Error(`wrk's LAB lines hold a value that is not a number:\n${stdout.slice(-2000)}`);
  latencies.sort((a, b) => a.seconds - b.seconds);
  return { requests, durationSeconds, errors, latencies };
}

/** A closed-loop run. */
export interface WrkRun {
  url: string;
  connections: number;
  seconds: number;
  /** A request slower than this is a timeout (wrk's `--timeout`). */
  timeoutSeconds: number;
}

/** The script file for `-s`, written once into `dir`. */
export async function writeWrkScript(dir: string): Promise<string> {
  const path = join(dir, 'wrk-report.lua');
  await writeFile(path, WRK_REPORT_LUA);
  return path;
}

/**
 * Runs wrk and parses its report. One wrk thread (`-t1`) drives every connection; the run is killed, and rejected,
 * when it lasts `seconds + timeoutSeconds + 5` s (a hung server must not stall the lab).
 */
export function runWrk(run: WrkRun, scriptPath: string): Promise<WrkResult> {
  const args = ['-t1', `-c${run.connections}`, `-d${run.seconds}s`, '--timeout', `${run.timeoutSeconds}s`, '-s', scriptPath, run.url];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const limitMs = (run.seconds + run.timeoutSeconds + 5) * 1000;
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('error', (err) => {
      clearTimeout(killer);
      reject(new Error(`cannot run wrk (${err.message}): install it with scripts/install-python-lab.sh`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      if (signal === 'SIGKILL') return reject(new Error(`wrk ${args.join(' ')} did not finish within ${limitMs / 1000} s`));
      if (code !== 0) return reject(new Error(`wrk ${args.join(' ')} exited with ${code}: ${stderr.trim() || stdout.slice(-500)}`));
      try {
        resolve(parseWrkReport(stdout));
      } catch (err) {
        reject(err);
      }
    });
  });
}
