/**
 * @module The Python web server a container runs, as far as its command line, env and config files say.
 * Produced by `model/server/detect.ts` from plain strings; nothing here runs a command.
 */
import type { Evidence, Setting } from './evidence.ts';

/** Python servers pytuner understands. */
export type ServerKind = 'gunicorn' | 'uvicorn' | 'uwsgi' | 'waitress' | 'hypercorn';

/**
 * How a server turns processes into request slots:
 * - `sync`: one request per worker at a time (gunicorn sync, uwsgi without threads);
 * - `threaded`: workers x threads (gunicorn gthread, uwsgi threads, waitress);
 * - `async`: an event loop per worker, no fixed slot count (uvicorn, hypercorn, gunicorn with uvicorn/gevent/eventlet workers).
 */
export type ConcurrencyModel = 'sync' | 'threaded' | 'async';

/** The effective settings of one server process tree. Settings a server does not have are absent. */
export interface ServerConfig {
  kind: ServerKind;
  /** The full argv as resolved (after `sh -c` unwrapping and env expansion where known). */
  argv: string[];
  /** Where the command line came from. */
  evidence: Evidence;
  model: ConcurrencyModel;
  /** Worker processes (gunicorn/uvicorn/hypercorn `--workers`, uwsgi `--processes`); waitress is always 1. */
  workers: Setting<number>;
  /** Threads per worker (gunicorn `--threads`, uwsgi `--threads`, waitress `--threads`); 1 for servers without threads. */
  threads: Setting<number>;
  /** gunicorn `--worker-class` / `-k`, hypercorn `-k`. */
  workerClass?: Setting<string>;
  /** gunicorn `--timeout`, uwsgi `--harakiri` (seconds a request may run before its worker is killed; 0 = none). */
  timeout?: Setting<number>;
  /** Seconds an idle keep-alive connection is held: gunicorn `--keep-alive`, uvicorn `--timeout-keep-alive`, hypercorn `--keep-alive`. */
  keepAlive?: Setting<number>;
  /** gunicorn `--preload` / `preload_app`; uwsgi loads before fork unless `--lazy-apps`. */
  preload?: Setting<boolean>;
  /** gunicorn/uvicorn/hypercorn `--bind`/`--port`. */
  bind?: Setting<string>;
  /** uwsgi `--lazy-apps`. */
  lazyApps?: Setting<boolean>;
  /** uwsgi `--py-call-osafterfork`. */
  pyCallOsAfterFork?: Setting<boolean>;
  /** uwsgi `--master`. */
  master?: Setting<boolean>;
  /** uwsgi `--enable-threads` (implied by `--threads`): without it, threads the app starts (a profiler agent's) never run. */
  enableThreads?: Setting<boolean>;
  /**
   * uvicorn `--limit-concurrency`, gunicorn `--worker-connections` for gevent/eventlet classes, waitress
   * `--connection-limit`, uwsgi `--gevent`/`--async` cores.
   */
  connectionLimit?: Setting<number>;
  /**
   * Config files named on the command line that pytuner did not read (`-c app.ini`, `--ini`, `--config python:mod`).
   * Settings they may override are reported with lower confidence.
   */
  unreadConfig: Evidence[];
}
