import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { heavyInit } from './startup.heavy-init.ts';
import { PRELOAD_CAVEATS } from './preload.ts';

const check = (...w: Parameters<typeof inventory>) => heavyInit.check(inventory(...w).build());

describe('startup.heavy-init', () => {
  it('reports several workers importing the app and adds --preload through GUNICORN_CMD_ARGS', () => {
    const [finding, ...rest] = check(deployment('web').container((c) => c.gunicorn({ workers: 4 })));
    expect(rest).toEqual([]);
    expect(finding!.changes?.map((c) => [c.setting, c.from, c.to, c.location])).toEqual([['preload', false, true, { kind: 'env', container: 'app', name: 'GUNICORN_CMD_ARGS', words: '--preload' }]]);
    expect({ ...finding, changes: undefined }).toEqual({
      changes: undefined,
      rule: 'startup.heavy-init',
      severity: 'info',
      target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web', container: 'app', file: 'web.yaml', line: 1 },
      message: "gunicorn imports the app in each of its 4 workers (no --preload): every cold start pays the import time and the app's memory 4 times; consider --preload",
      current: { workers: 4, preload: false },
      recommended: { preload: true },
      evidence: [
        { source: 'manifest', file: 'web.yaml', field: '--workers', text: '--workers 4' },
        { source: 'default', field: '--preload default' },
      ],
      fix: {
        jsonPatch: [{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'GUNICORN_CMD_ARGS', value: '--preload' }] }],
        applyFragment: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'default' },
          spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'GUNICORN_CMD_ARGS', value: '--preload' }] }] } } },
        },
        notes: PRELOAD_CAVEATS,
      },
    });
  });

  it('edits preload_app = False in gunicorn.conf.py', () => {
    const [finding] = check(deployment('web').container((c) => c.gunicorn({ workers: 2, preload: { conf: false } })));
    expect(finding!.fix).toEqual({ edits: [{ file: 'gunicorn.conf.py', line: 1, before: 'preload_app = False', after: 'preload_app = True' }], notes: PRELOAD_CAVEATS });
  });

  it('stays silent for one worker, --preload, unknown workers and other servers', () => {
    expect(check(knativeService('a').cloudRun().container((c) => c.gunicorn({ workers: 1, threads: 8 })))).toEqual([]);
    expect(check(deployment('b').container((c) => c.gunicorn({ workers: 4, preload: true })))).toEqual([]);
    expect(check(deployment('c').container((c) => c.gunicorn({ workers: { unknown: true } })))).toEqual([]);
    expect(check(deployment('d').container((c) => c.uwsgi({ processes: 4 })))).toEqual([]);
  });
});
