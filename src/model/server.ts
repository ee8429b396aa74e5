/**
 * @module The Python web server a container runs, as far as its command line, env and config files say.
 * Produced by `model/server/detect.ts` from plain strings; nothing here runs a command.
 */
import type { Evidence, Setting } from './evidence.ts';

/** Python servers pytuner understands. */
export type ServerKind =
  | 'gunicorn' | 'uvicorn' | 'uwsgi' | 'waitress' | 'hypercorn' | 'granian' | 'functions-framework' | 'daphne' | 'litestar'
  | 'flask-dev' | 'django-runserver' | 'streamlit' | 'gradio';

/**
 * How a server turns processes into request slots:
 * - `sync`: one request per worker at a time (gunicorn sync, uwsgi without threads);
 * - `threaded`: workers x threads (gunicorn gthread, uwsgi threads, waitress);
 * - `async`: no fixed slot count: an event loop per worker (uvicorn, hypercorn, granian ASGI/RSGI, gunicorn with
 *   uvicorn/gevent/eventlet/asgi workers), or a thread started per connection (Werkzeug's and Django's development servers).
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
  /**
   * Set when the server runs as a development server (uvicorn `--reload`, `fastapi dev`, `flask run`, Django's
   * `runserver`, `app.run(debug=True)`): where that was read.
   */
  development?: Evidence;
  /**
   * An interactive app server (streamlit, gradio): it serves one UI over websockets; WSGI/ASGI worker and thread
   * tuning does not apply. Holds the note a report shows instead.
   */
  interactive?: string;
  /** Settings whose default the server computes from `os.cpu_count()` (the host's CPUs, not the container's quota). */
  cpuCountDefaults?: Evidence[];
}
