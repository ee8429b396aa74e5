/**
 * @module The lab's workloads: one endpoint each (pure-Python CPU and I/O wait in chosen amounts), the server that runs
 * it, the shapes the brute force tries, and the configurations users get without tuning.
 */
import type { ServerKind } from './server.ts';
import type { LabConfig, ShapeFamily } from './search.ts';

/** A configuration users get without tuning, with the name the table shows. */
export interface DefaultSetting {
  name: string;
  config: LabConfig;
}

/** One workload of the lab. */
export interface LabScenario {
  name: string;
  summary: string;
  server: ServerKind;
  /** CPU milliseconds of the pure-Python loop per request, and milliseconds of I/O wait. */
  cpuMs: number;
  ioMs: number;
  /** The shapes the oracle's sweep tries. */
  families: ShapeFamily[];
  /** The configuration of the observed day (Cloud Run's containerConcurrency 80 and the guide's server command). */
  observed: LabConfig;
  defaults: DefaultSetting[];
  /**
   * On the Knative path, measure the observed day a second time through Knative 1.18's queue-proxy and autoscaler and
   * ask pytuner with the `knative-legacy` profile (one scenario: the day costs about 5 minutes).
   */
  legacyDay?: boolean;
}

/** vCPU of the lab's instance: this machine's cores. */
export const LAB_VCPUS = 2;

/** WSGI shapes: 1–4 sync workers, 1–4 gthread workers whose threads cover the concurrency, 2 workers splitting it. */
const WSGI_FAMILIES: ShapeFamily[] = [...[1, 2, 3, 4].flatMap((workers): ShapeFamily[] => [{ workers, rule: 'sync' }, { workers, rule: 'cover' }]), { workers: 2, rule: 'split' }];

/** ASGI shapes: 1–4 event-loop workers. */
const ASGI_FAMILIES: ShapeFamily[] = [1, 2, 3, 4].map((workers) => ({ workers, rule: 'async' as const }));

/** The Cloud Run Python guide's `gunicorn --workers 1 --threads 8` behind Cloud Run's default containerConcurrency 80. */
const GUIDE_WSGI: LabConfig = { workers: 1, threads: 8, concurrency: 80 };

const WSGI_DEFAULTS: DefaultSetting[] = [
  { name: 'Cloud Run 80, gunicorn 1×8', config: GUIDE_WSGI },
  // Cloud Run's concurrency page: "start with a lower concurrency, such as 8", threads equal to the concurrency.
  { name: 'cc 8, gunicorn 1×8', config: { workers: 1, threads: 8, concurrency: 8 } },
];

const ASGI_DEFAULTS: DefaultSetting[] = [
  { name: 'Cloud Run 80, 1 worker', config: { workers: 1, threads: 0, concurrency: 80 } },
  { name: 'cc 8, 1 worker', config: { workers: 1, threads: 0, concurrency: 8 } },
];

/** The five workloads of `npm run lab`. */
export const LAB_SCENARIOS: readonly LabScenario[] = [
  {
    name: 'cpu-bound',
    summary: 'Flask on gunicorn: 30 ms of pure-Python CPU per request, no I/O',
    server: 'gunicorn',
    cpuMs: 30,
    ioMs: 0,
    families: WSGI_FAMILIES,
    observed: GUIDE_WSGI,
    defaults: WSGI_DEFAULTS,
    legacyDay: true,
  },
  {
    name: 'io-bound',
    summary: 'Flask on gunicorn: 50 ms of blocking I/O wait per request (time.sleep), no loop',
    server: 'gunicorn',
    cpuMs: 0,
    ioMs: 50,
    families: WSGI_FAMILIES,
    observed: GUIDE_WSGI,
    defaults: WSGI_DEFAULTS,
  },
  {
    name: 'mixed',
    summary: 'Flask on gunicorn: 10 ms of pure-Python CPU, then 40 ms of blocking I/O wait',
    server: 'gunicorn',
    cpuMs: 10,
    ioMs: 40,
    families: WSGI_FAMILIES,
    observed: GUIDE_WSGI,
    defaults: WSGI_DEFAULTS,
  },
  {
    name: 'asgi-uvicorn',
    summary: 'raw ASGI app on uvicorn: 2 ms of CPU on the event loop, then await asyncio.sleep(40 ms)',
    server: 'uvicorn',
    cpuMs: 2,
    ioMs: 40,
    families: ASGI_FAMILIES,
    observed: { workers: 1, threads: 0, concurrency: 80 },
    defaults: ASGI_DEFAULTS,
  },
  {
    name: 'asgi-gunicorn',
    summary: 'the same ASGI app on gunicorn -k uvicorn.workers.UvicornWorker',
    server: 'gunicorn-uvicorn',
    cpuMs: 2,
    ioMs: 40,
    families: ASGI_FAMILIES,
    observed: { workers: 1, threads: 0, concurrency: 80 },
    defaults: ASGI_DEFAULTS,
  },
];

/** The request path of a scenario's endpoint. */
export function requestPath(scenario: Pick<LabScenario, 'cpuMs' | 'ioMs'>): string {
  return `/work?cpu=${scenario.cpuMs}&io=${scenario.ioMs}`;
}
