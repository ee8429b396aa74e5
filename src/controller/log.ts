/**
 * @module The controller's logger: pino JSON lines on stderr (or a given stream). Every line about a workload comes
 * from a child logger carrying its `{kind, namespace, name}` (`targetLogger`), so `jq 'select(.name=="api")'` finds
 * everything about one target.
 */
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { CONTROLLER_DEFAULTS } from '../config/controller.ts';

/** createLogger builds the root logger; `destination` defaults to stderr (stdout stays free for command output). */
export function createLogger(options: { level?: Level | 'silent'; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      // Not pino's `name`: a workload's lines carry the workload's name under that key, and JSON with two "name"
      // keys keeps only one of them in most readers.
      base: { logger: 'pytuner-controller', pid: process.pid },
      level: options.level ?? CONTROLLER_DEFAULTS.logLevel,
      // ISO times read better than epoch milliseconds in `kubectl logs`.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous, as klog writes: the controller ends with process.exit() (src/cli/controller.ts), and an
    // asynchronous write still waiting on a full stderr pipe then is lost, as sonic-boom's exit flush cannot finish it
    // (test/cli/controller-log.test.ts).
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/**
 * How far the process has come since it started: wall time and CPU time of all its threads, in ms. Logged at the
 * start-up milestones (starting, started, ready), so a slow start in a small pod shows where it went without a
 * profiler; bench/startup.ts reads them per phase. `process.uptime()` rather than `performance.now()` (the same
 * origin, the process start): the global `performance` loads node:perf_hooks on first use, about 3 ms of CPU before
 * ready that nothing else on the start-up path needs.
 */
export function processClock(): { sinceStartMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  return { sinceStartMs: Math.round(process.uptime() * 1000), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
}

/** The target of a reconcile, as logged. */
export interface TargetFields {
  kind: string;
  namespace: string;
  name: string;
}

/** targetLogger is a child logger that puts the target into every line it writes. */
export function targetLogger(log: Logger, target: TargetFields): Logger {
  return log.child({ kind: target.kind, namespace: target.namespace, name: target.name });
}
