/**
 * @module `profiler.uwsgi-osafterfork`: uWSGI turns off Python signal handling in forked workers unless
 * `--py-call-osafterfork` is set, and the profiler's wall-time sampler runs on signals. The profiler guide: "you have CPU
 * time profiles but no wall time profiles ... enable custom signal handling by setting py-call-osafterfork to true".
 * @see docs/rules/profiler.uwsgi-osafterfork.md
 */
import type { Rule } from './types.ts';
import { uwsgiProfilerRule } from './uwsgiFork.ts';

/** `profiler.uwsgi-osafterfork`: profiled uWSGI without `--py-call-osafterfork`. */
export const uwsgiOsAfterFork: Rule = uwsgiProfilerRule({
  id: 'profiler.uwsgi-osafterfork',
  summary: 'Cloud Profiler under uWSGI without --py-call-osafterfork: forked workers ignore signals, so wall-time profiles stay empty',
  option: 'py-call-osafterfork',
  setting: (server) => server.pyCallOsAfterFork,
  consequence: 'Python signal handlers do not run in the forked workers, so the profiler collects no wall-time profiles',
});
