import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { uwsgiLazyApps } from './profiler.uwsgi-lazy-apps.ts';
import { uwsgiOsAfterFork } from './profiler.uwsgi-osafterfork.ts';

const profiled = (options: Parameters<import('../../test/builders/index.ts').ContainerBuilder['uwsgi']>[0]) =>
  inventory(deployment('web').container((c) => c.env('ENABLE_PROFILER', 'yes').uwsgi(options))).build();

describe('profiler.uwsgi-lazy-apps', () => {
  it('reports forked workers without --lazy-apps and sets UWSGI_LAZY_APPS', () => {
    const [finding, ...rest] = uwsgiLazyApps.check(profiled({ processes: 4, master: true }));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'profiler.uwsgi-lazy-apps',
      severity: 'warning',
      message:
        'uWSGI forks 4 workers from its master (no --lazy-apps): a profiler started while loading the app runs only in the master, so the workers send no CPU or wall-time profiles; set --lazy-apps (or UWSGI_LAZY_APPS=true)',
      current: { 'lazy-apps': false },
      recommended: { 'lazy-apps': true },
    });
    expect(finding!.fix!.jsonPatch).toEqual([{ op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'UWSGI_LAZY_APPS', value: 'true' } }]);
  });

  it('stays silent with --lazy-apps, without a profiler, without a fork, and for other servers', () => {
    expect(uwsgiLazyApps.check(profiled({ processes: 4, lazyApps: true }))).toEqual([]);
    expect(uwsgiLazyApps.check(inventory(deployment('w').container((c) => c.uwsgi({ processes: 4 }))).build())).toEqual([]);
    expect(uwsgiLazyApps.check(profiled({ processes: 1 }))).toEqual([]);
    expect(uwsgiLazyApps.check(inventory(knativeService('w').container((c) => c.env('ENABLE_PROFILER', '1').gunicorn({ workers: 4 }))).build())).toEqual([]);
  });

  it('still reports one process under --master (the master forks it), and is info when an unread ini may set the option', () => {
    expect(uwsgiLazyApps.check(profiled({ processes: 1, master: true }))).toHaveLength(1);
    const [finding] = uwsgiLazyApps.check(profiled({ processes: 2, unreadConfig: ['uwsgi.ini'] }));
    expect(finding!.severity).toBe('info');
    expect(finding!.fix!.notes).toEqual(['pytuner did not read uwsgi.ini; if it sets lazy-apps, this finding does not apply']);
  });
});

describe('profiler.uwsgi-osafterfork', () => {
  it('reports forked workers without --py-call-osafterfork and sets UWSGI_PY_CALL_OSAFTERFORK', () => {
    const [finding] = uwsgiOsAfterFork.check(profiled({ processes: 2, threads: 4, lazyApps: true }));
    expect(finding!.message).toBe(
      'uWSGI forks 2 workers from its master (no --py-call-osafterfork): Python signal handlers do not run in the forked workers, so the profiler collects no wall-time profiles; set --py-call-osafterfork (or UWSGI_PY_CALL_OSAFTERFORK=true)',
    );
    expect(finding!.fix!.applyFragment).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'UWSGI_PY_CALL_OSAFTERFORK', value: 'true' }] }] } } },
    });
  });

  it('stays silent with --py-call-osafterfork', () => {
    expect(uwsgiOsAfterFork.check(profiled({ processes: 2, pyCallOsAfterFork: true }))).toEqual([]);
  });
});
