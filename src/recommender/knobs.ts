/**
 * @module Where each Python server takes its worker and thread counts, as `ServerKnob`s for `fixServerSetting`
 * (`src/rules/fixes.ts`): the flag, the config-file key, and the change to make when nothing sets it.
 */
import type { ServerKind } from '../model/server.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { ServerKnob } from '../rules/fixes.ts';
import { appendEnvWords, setEnv } from '../rules/fixes.ts';

/** The workers knob of a server; `undefined` for waitress (one process). */
export function workersKnob(kind: ServerKind, workload: Workload, container: ContainerFacts, value: number): ServerKnob | undefined {
  switch (kind) {
    case 'gunicorn':
      // gunicorn's default worker count is int(os.environ.get("WEB_CONCURRENCY", 1)).
      return { flag: { long: '--workers', short: '-w' }, confKey: 'workers', anchor: 'gunicorn', whenUnset: () => setEnv(workload, container, 'WEB_CONCURRENCY', String(value)), unsetEnv: 'WEB_CONCURRENCY' };
    case 'uvicorn':
      // uvicorn: "--workers INTEGER  Number of worker processes. Defaults to the $WEB_CONCURRENCY environment variable if available, or 1".
      return { flag: { long: '--workers' }, confKey: 'workers', anchor: 'uvicorn', whenUnset: () => setEnv(workload, container, 'WEB_CONCURRENCY', String(value)), unsetEnv: 'WEB_CONCURRENCY' };
    case 'hypercorn':
      return { flag: { long: '--workers', short: '-w' }, confKey: 'workers', anchor: 'hypercorn', whenUnset: () => undefined };
    case 'uwsgi':
      // uWSGI reads any option from UWSGI_<OPTION> environment variables.
      return { flag: { long: '--processes', short: '-p' }, confKey: 'processes', anchor: 'uwsgi', whenUnset: () => setEnv(workload, container, 'UWSGI_PROCESSES', String(value)), unsetEnv: 'UWSGI_PROCESSES' };
    case 'waitress':
      return undefined;
  }
}

/** The threads knob of a server; `undefined` for event-loop servers (uvicorn, hypercorn). */
export function threadsKnob(kind: ServerKind, workload: Workload, container: ContainerFacts, value: number): ServerKnob | undefined {
  switch (kind) {
    case 'gunicorn':
      // gunicorn reads GUNICORN_CMD_ARGS as extra command-line words; a --threads on the command line would win.
      return { flag: { long: '--threads' }, confKey: 'threads', anchor: 'gunicorn', whenUnset: () => appendEnvWords(workload, container, 'GUNICORN_CMD_ARGS', `--threads ${value}`), unsetEnv: 'GUNICORN_CMD_ARGS' };
    case 'uwsgi':
      return { flag: { long: '--threads' }, confKey: 'threads', anchor: 'uwsgi', whenUnset: () => setEnv(workload, container, 'UWSGI_THREADS', String(value)), unsetEnv: 'UWSGI_THREADS' };
    case 'waitress':
      return { flag: { long: '--threads' }, confKey: 'threads', anchor: 'waitress-serve', whenUnset: () => undefined };
    case 'uvicorn':
    case 'hypercorn':
      return undefined;
  }
}
