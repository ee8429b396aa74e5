import { describe, expect, it } from 'vitest';
import type { Finding, Fix, JsonPatchOp } from '../model/finding.ts';
import { mergeArgWords, mergeObjectFixes, mergeValues } from './merge.ts';

const ENV = '/spec/template/spec/containers/0/env';

function finding(rule: string, fix: Fix): Finding {
  return {
    rule,
    severity: 'warning',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'web', container: 'app', file: 'd.yaml', line: 1 },
    message: rule,
    current: {},
    recommended: {},
    evidence: [],
    fix,
  };
}

const patch = (rule: string, ...ops: JsonPatchOp[]) => finding(rule, { jsonPatch: ops });

describe('mergeObjectFixes: JSON patches', () => {
  it('puts tests first, then changes in finding order, then element removals highest index first', () => {
    const merged = mergeObjectFixes([
      patch('a', { op: 'remove', path: `${ENV}/1` }, { op: 'test', path: `${ENV}/1/name`, value: 'OLD' }),
      patch('b', { op: 'replace', path: `${ENV}/0/value`, value: '8' }, { op: 'remove', path: `${ENV}/3` }),
      patch('c', { op: 'add', path: `${ENV}/-`, value: { name: 'NEW', value: '1' } }),
    ]);
    expect(merged.conflicts).toEqual([]);
    expect(merged.jsonPatch).toEqual([
      { op: 'test', path: `${ENV}/1/name`, value: 'OLD' },
      { op: 'replace', path: `${ENV}/0/value`, value: '8' },
      { op: 'add', path: `${ENV}/-`, value: { name: 'NEW', value: '1' } },
      { op: 'remove', path: `${ENV}/3` },
      { op: 'remove', path: `${ENV}/1` },
    ]);
  });

  it('merges two findings that both create the env list, by name, and drops duplicate ops', () => {
    const merged = mergeObjectFixes([
      patch('a', { op: 'add', path: ENV, value: [{ name: 'THREADS', value: '8' }] }, { op: 'test', path: '/spec/replicas', value: 2 }),
      patch('b', { op: 'add', path: ENV, value: [{ name: 'WORKERS', value: '2' }] }, { op: 'test', path: '/spec/replicas', value: 2 }),
      patch('c', { op: 'add', path: ENV, value: [{ name: 'THREADS', value: '8' }] }),
    ]);
    expect(merged.conflicts).toEqual([]);
    expect(merged.merged.map((f) => f.rule)).toEqual(['a', 'b', 'c']);
    expect(merged.jsonPatch).toEqual([
      { op: 'test', path: '/spec/replicas', value: 2 },
      { op: 'add', path: ENV, value: [{ name: 'THREADS', value: '8' }, { name: 'WORKERS', value: '2' }] },
    ]);
  });

  it('leaves out, whole, a finding that sets a path to a different value', () => {
    const b = patch('b', { op: 'add', path: `${ENV}/-`, value: { name: 'X', value: '1' } }, { op: 'replace', path: '/spec/replicas', value: 3 });
    const merged = mergeObjectFixes([patch('a', { op: 'replace', path: '/spec/replicas', value: 2 }), b]);
    expect(merged.jsonPatch).toEqual([{ op: 'replace', path: '/spec/replicas', value: 2 }]);
    expect(merged.conflicts).toEqual([{ finding: b, with: 'a', path: '/spec/replicas' }]);
  });

  it('treats two appends of the same env var with different values as a conflict', () => {
    const merged = mergeObjectFixes([
      patch('a', { op: 'add', path: `${ENV}/-`, value: { name: 'THREADS', value: '8' } }),
      patch('b', { op: 'add', path: `${ENV}/-`, value: { name: 'THREADS', value: '4' } }),
    ]);
    expect(merged.conflicts.map((c) => [c.finding.rule, c.with, c.path])).toEqual([['b', 'a', `${ENV}/-`]]);
  });

  it('treats a change inside a value another finding replaces as a conflict', () => {
    const probe = '/spec/template/spec/containers/0/startupProbe';
    const merged = mergeObjectFixes([
      patch('a', { op: 'replace', path: probe, value: { tcpSocket: { port: 8080 } } }),
      patch('b', { op: 'replace', path: `${probe}/failureThreshold`, value: 30 }),
    ]);
    expect(merged.conflicts.map((c) => [c.finding.rule, c.path])).toEqual([['b', `${probe}/failureThreshold`]]);
  });

  it('treats an insert at an index as a conflict with another finding addressing that array by index', () => {
    const merged = mergeObjectFixes([
      patch('a', { op: 'replace', path: `${ENV}/2/value`, value: '1' }),
      patch('b', { op: 'add', path: `${ENV}/0`, value: { name: 'FIRST', value: '1' } }),
    ]);
    expect(merged.conflicts.map((c) => [c.finding.rule, c.with])).toEqual([['b', 'a']]);
  });

  it('checks two findings of the same rule (two containers) against each other', () => {
    const merged = mergeObjectFixes([patch('a', { op: 'replace', path: '/spec/replicas', value: 2 }), patch('a', { op: 'replace', path: '/spec/replicas', value: 3 })]);
    expect(merged.conflicts).toHaveLength(1);
  });
});

describe('mergeObjectFixes: apply fragments', () => {
  const fragment = (containers: unknown[]) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers } } } });

  it('deep-merges fragments, containers and env by name', () => {
    const merged = mergeObjectFixes([
      finding('a', { applyFragment: fragment([{ name: 'app', env: [{ name: 'THREADS', value: '8' }] }]) }),
      finding('b', { applyFragment: fragment([{ name: 'app', env: [{ name: 'WORKERS', value: '2' }], startupProbe: { periodSeconds: 1 } }]) }),
    ]);
    expect(merged.applyFragment).toEqual(
      fragment([{ name: 'app', env: [{ name: 'THREADS', value: '8' }, { name: 'WORKERS', value: '2' }], startupProbe: { periodSeconds: 1 } }]),
    );
  });

  it('leaves out a finding whose fragment disagrees, naming the field', () => {
    const merged = mergeObjectFixes([
      finding('a', { applyFragment: fragment([{ name: 'app', env: [{ name: 'THREADS', value: '8' }] }]) }),
      finding('b', { applyFragment: fragment([{ name: 'app', env: [{ name: 'THREADS', value: '4' }] }]) }),
    ]);
    expect(merged.merged.map((f) => f.rule)).toEqual(['a']);
    expect(merged.conflicts.map((c) => c.path)).toEqual(['spec.template.spec.containers[name=app].env[name=THREADS].value']);
  });
});

describe('mergeValues', () => {
  it('refuses to merge lists without a merge key (e.g. args)', () => {
    expect(mergeValues({ args: ['a'] }, { args: ['b'] })).toEqual({ ok: false, path: 'args' });
    expect(mergeValues({ args: ['a'] }, { args: ['a'] })).toEqual({ ok: true, value: { args: ['a'] } });
  });
});

describe('mergeArgWords (GUNICORN_CMD_ARGS)', () => {
  it('appends the flags each edit added to the same original', () => {
    expect(mergeArgWords('--timeout 0', '--preload')).toBe('--timeout 0 --preload');
    expect(mergeArgWords('--workers 2 --timeout 0', '--workers 2 --preload')).toBe('--workers 2 --timeout 0 --preload');
    expect(mergeArgWords('--threads $THREADS --preload', '--threads $THREADS')).toBe('--threads $THREADS --preload');
    expect(mergeArgWords('--workers 2', '--workers 2 --access-logformat "%(h)s %(r)s"')).toBe('--workers 2 --access-logformat "%(h)s %(r)s"');
    // Words taken from the second value are re-quoted for shlex.
    expect(mergeArgWords('--timeout 0', '--access-logformat "%(h)s %(r)s"')).toBe("--timeout 0 --access-logformat '%(h)s %(r)s'");
  });

  it('refuses when an edit changed a value inside the original, or both add the same flag', () => {
    expect(mergeArgWords('--timeout 0 --workers 2', '--timeout 30 --workers 2 --preload')).toBeUndefined();
    expect(mergeArgWords('--workers 2 --timeout 0', '--workers 2 --timeout 60')).toBeUndefined();
    expect(mergeArgWords('--timeout=0', '--timeout=60')).toBeUndefined();
    expect(mergeArgWords('--bind :8080 *', '--preload')).toBeUndefined();
  });

  it('merges GUNICORN_CMD_ARGS in a created env list, in appends, in replaces guarded by name, and in fragments', () => {
    const args = (value: string) => [{ name: 'GUNICORN_CMD_ARGS', value }];
    const created = mergeObjectFixes([patch('timeout', { op: 'add', path: ENV, value: args('--timeout 0') }), patch('preload', { op: 'add', path: ENV, value: args('--preload') })]);
    expect(created.jsonPatch).toEqual([{ op: 'add', path: ENV, value: args('--timeout 0 --preload') }]);
    const appended = mergeObjectFixes([
      patch('timeout', { op: 'add', path: `${ENV}/-`, value: args('--timeout 0')[0] }),
      patch('preload', { op: 'add', path: `${ENV}/-`, value: args('--preload')[0] }),
    ]);
    expect(appended.jsonPatch).toEqual([{ op: 'add', path: `${ENV}/-`, value: { name: 'GUNICORN_CMD_ARGS', value: '--timeout 0 --preload' } }]);
    const guard = { op: 'test', path: `${ENV}/2/name`, value: 'GUNICORN_CMD_ARGS' } as const;
    const replaced = mergeObjectFixes([
      patch('timeout', guard, { op: 'replace', path: `${ENV}/2/value`, value: '-w 2 --timeout 0' }),
      patch('preload', guard, { op: 'replace', path: `${ENV}/2/value`, value: '-w 2 --preload' }),
    ]);
    expect(replaced.jsonPatch).toEqual([guard, { op: 'replace', path: `${ENV}/2/value`, value: '-w 2 --timeout 0 --preload' }]);
    const unguarded = mergeObjectFixes([patch('a', { op: 'replace', path: `${ENV}/2/value`, value: 'x' }), patch('b', { op: 'replace', path: `${ENV}/2/value`, value: 'x y' })]);
    expect(unguarded.conflicts).toHaveLength(1);
    const fragment = (value: string) => ({ spec: { containers: [{ name: 'app', env: args(value) }] } });
    const fragments = mergeObjectFixes([finding('timeout', { applyFragment: fragment('--timeout 0') }), finding('preload', { applyFragment: fragment('--preload') })]);
    expect(fragments.applyFragment).toEqual(fragment('--timeout 0 --preload'));
  });

  it('appends two differently named env vars without calling it a conflict', () => {
    const merged = mergeObjectFixes([
      patch('lazy', { op: 'add', path: `${ENV}/-`, value: { name: 'UWSGI_LAZY_APPS', value: 'true' } }),
      patch('fork', { op: 'add', path: `${ENV}/-`, value: { name: 'UWSGI_PY_CALL_OSAFTERFORK', value: 'true' } }),
    ]);
    expect(merged.conflicts).toEqual([]);
    expect(merged.jsonPatch).toHaveLength(2);
  });
});
