/**
 * @module `profiler.uwsgi-lazy-apps`: under uWSGI the app (and the profiler started in it) is loaded once in the
 * master and the workers are forked from it; the agent's threads do not survive the fork, so workers send no profiles.
 * The profiler guide: "To run the application initialisation in all the worker processes, set lazy-apps to true".
 * @see docs/rules/profiler.uwsgi-lazy-apps.md
 */
import type { Rule } from './types.ts';
import { uwsgiProfilerRule } from './uwsgiFork.ts';

/** `profiler.uwsgi-lazy-apps`: profiled uWSGI without `--lazy-apps`. */
export const uwsgiLazyApps: Rule = uwsgiProfilerRule({
  id: 'profiler.uwsgi-lazy-apps',
  summary: 'Cloud Profiler under uWSGI without --lazy-apps: the agent runs only in the master, workers send no profiles',
  option: 'lazy-apps',
  setting: (server) => server.lazyApps,
  consequence: 'a profiler started while loading the app runs only in the master, so the workers send no CPU or wall-time profiles',
});
