import { describe, expect, it } from 'vitest';
import type { Finding, Fix, Target } from '../model/finding.ts';
import { planFixes } from './fixPlan.ts';

const service: Target = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'orders', file: 'svc.yaml', line: 1 };
const other: Target = { ...service, name: 'cart', line: 20 };

function finding(rule: string, fix: Fix, target: Target = service): Finding {
  return { rule, severity: 'warning', target, message: rule, current: {}, recommended: {}, evidence: [], fix };
}

const env = '/spec/template/spec/containers/0/env';

describe('planFixes', () => {
  it('merges the findings of one object into one patch: tests first, each op once, list removals highest index first', () => {
    const a = finding('a', { jsonPatch: [{ op: 'remove', path: `${env}/1` }, { op: 'test', path: '/x', value: 1 }, { op: 'replace', path: '/x', value: 2 }] });
    const b = finding('b', { jsonPatch: [{ op: 'test', path: '/x', value: 1 }, { op: 'add', path: `${env}/-`, value: { name: 'B', value: '1' } }, { op: 'remove', path: `${env}/3` }] });
    const c = finding('c', { jsonPatch: [{ op: 'add', path: `${env}/-`, value: { name: 'C', value: '1' } }] }, other);
    const plan = planFixes([a, b, c]);
    expect(plan.conflicts).toEqual([]);
    expect(plan.objects.map((o) => [o.target.name, o.findings.map((f) => f.rule), o.ops])).toEqual([
      ['orders', ['a', 'b'], [
        { op: 'test', path: '/x', value: 1 },
        { op: 'replace', path: '/x', value: 2 },
        { op: 'add', path: `${env}/-`, value: { name: 'B', value: '1' } },
        { op: 'remove', path: `${env}/3` },
        { op: 'remove', path: `${env}/1` },
      ]],
      ['cart', ['c'], [{ op: 'add', path: `${env}/-`, value: { name: 'C', value: '1' } }]],
    ]);
  });

  it('fixes neither of two findings that write one path differently, or inside what the other writes', () => {
    const timeout = finding('gunicorn.timeout', { jsonPatch: [{ op: 'add', path: env, value: [{ name: 'GUNICORN_CMD_ARGS', value: '--timeout 0' }] }] });
    const preload = finding('startup.heavy-init', { jsonPatch: [{ op: 'add', path: env, value: [{ name: 'GUNICORN_CMD_ARGS', value: '--preload' }] }] });
    const inside = finding('inside', { jsonPatch: [{ op: 'add', path: `${env}/-`, value: { name: 'X', value: '1' } }] }, other);
    const list = finding('list', { jsonPatch: [{ op: 'add', path: env, value: [] }] }, other);
    const same = finding('same', { jsonPatch: [{ op: 'add', path: '/spec/template/spec/containerConcurrency', value: 8 }] });
    const twice = finding('twice', { jsonPatch: [{ op: 'add', path: '/spec/template/spec/containerConcurrency', value: 8 }] });
    const plan = planFixes([timeout, preload, inside, list, same, twice]);
    expect(plan.conflicts.map((c) => [c.findings.map((f) => f.rule), c.where])).toEqual([
      [['gunicorn.timeout', 'startup.heavy-init'], env],
      [['inside', 'list'], `${env}/-`],
    ]);
    expect(plan.objects.map((o) => o.findings.map((f) => f.rule))).toEqual([['same', 'twice']]);
  });

  it('conflicts on two appends of the same env var name, on tests that disagree, and on an insert that moves indexed items', () => {
    const one = finding('one', { jsonPatch: [{ op: 'add', path: `${env}/-`, value: { name: 'A', value: '1' } }] });
    const two = finding('two', { jsonPatch: [{ op: 'add', path: `${env}/-`, value: { name: 'A', value: '2' } }] });
    expect(planFixes([one, two]).conflicts).toHaveLength(1);
    const t1 = finding('t1', { jsonPatch: [{ op: 'test', path: '/x', value: 1 }] });
    const t2 = finding('t2', { jsonPatch: [{ op: 'test', path: '/x', value: 2 }] });
    expect(planFixes([t1, t2]).conflicts).toHaveLength(1);
    const insert = finding('insert', { jsonPatch: [{ op: 'add', path: `${env}/0`, value: { name: 'Z' } }] });
    const indexed = finding('indexed', { jsonPatch: [{ op: 'replace', path: `${env}/2/value`, value: '1' }] });
    expect(planFixes([insert, indexed]).conflicts).toHaveLength(1);
  });

  it('groups line edits by file, once each, and fixes neither of two overlapping different edits', () => {
    const dockerfile = { kind: 'Dockerfile', name: 'Dockerfile', file: 'Dockerfile' };
    const slim = finding('image.slim-base', { edits: [{ file: 'Dockerfile', line: 1, before: 'FROM python:3.12', after: 'FROM python:3.12-slim' }] }, dockerfile);
    const again = finding('again', { edits: [{ file: 'Dockerfile', line: 1, before: 'FROM python:3.12', after: 'FROM python:3.12-slim' }] }, dockerfile);
    const cmd1 = finding('w', { edits: [{ file: 'Dockerfile', line: 5, before: 'CMD a \\\n  b', after: 'CMD a \\\n  c' }] }, dockerfile);
    const cmd2 = finding('t', { edits: [{ file: 'Dockerfile', line: 6, before: '  b', after: '  d' }] }, dockerfile);
    const plan = planFixes([slim, again, cmd1, cmd2]);
    expect(plan.files).toEqual([{ file: 'Dockerfile', edits: [{ edit: slim.fix?.edits?.[0], findings: [slim, again] }] }]);
    expect(plan.conflicts.map((c) => [c.findings.map((f) => f.rule), c.where])).toEqual([[['w', 't'], 'Dockerfile:5']]);
  });

  it('lists fixes that only create objects or run commands as not fixable in place', () => {
    const iam = finding('profiler.iam-role', { create: [{ kind: 'IAMPolicyMember' }], commands: ['gcloud ...'] });
    const notes = finding('notes-only', { notes: ['read this'] });
    const plan = planFixes([iam, notes]);
    expect(plan.notInPlace).toEqual([iam]);
    expect(plan.objects).toEqual([]);
  });
});
