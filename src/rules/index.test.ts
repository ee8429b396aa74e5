import { describe, expect, it } from 'vitest';
import { deployment, inventory } from '../../test/builders/index.ts';
import type { Inventory } from '../model/workload.ts';
import { RULES, honouringIgnore, ignoredRules, ruleById, ruleDocPath } from './index.ts';

describe('rules registry', () => {
  it('lists every rule once, with ids that are stable lower-case dotted names', () => {
    const ids = RULES.map((r) => r.id);
    expect(ids).toEqual([
      'concurrency.threads-mismatch',
      'concurrency.unbounded',
      'gunicorn.workers-vs-cpu',
      'gunicorn.timeout',
      'uvicorn.workers',
      'startup.probe-missing',
      'startup.heavy-init',
      'profiler.iam-role',
      'profiler.service-name',
      'profiler.uwsgi-lazy-apps',
      'profiler.uwsgi-osafterfork',
      'profiler.background-cpu',
      'profiler.alpine-build',
      'image.slim-base',
      'server.dev-server',
      'server.listen-address',
      'process.shell-pid1',
      'runtime.cpu-count',
      'profiler.python-version',
      'cloudrun.cpu-scaling',
    ]);
    for (const id of ids) expect(id).toMatch(/^[a-z]+\.[a-z0-9-]+$/);
  });

  it('finds rules by id and names their doc page', () => {
    expect(ruleById('gunicorn.timeout')?.severity).toBe('warning');
    expect(ruleById('profiler.iam-role')?.severity).toBe('critical');
    expect(ruleById('nope')).toBeUndefined();
    expect(ruleDocPath('image.slim-base')).toBe('docs/rules/image.slim-base.md');
  });

  it('skips a workload for the rules its pytuner.dev/ignore annotation lists, and only those', () => {
    const web = deployment('web')
      .annotation('pytuner.dev/ignore', 'startup.heavy-init, gunicorn.workers-vs-cpu')
      .container((c) => c.cpu(2).gunicorn({ workers: 4 }));
    expect(ignoredRules(web.build())).toEqual(new Set(['startup.heavy-init', 'gunicorn.workers-vs-cpu']));
    const findings = RULES.flatMap((rule) => rule.check(inventory(web).build()));
    expect(findings.map((f) => f.rule)).toEqual(['startup.probe-missing']);
    const plain = deployment('web').container((c) => c.cpu(2).gunicorn({ workers: 4 }));
    expect(RULES.flatMap((rule) => rule.check(inventory(plain).build())).map((f) => f.rule)).toEqual(['gunicorn.workers-vs-cpu', 'startup.probe-missing', 'startup.heavy-init']);
  });

  it('gives a rule the inventory as it is when no workload ignores it, and a copy without those that do', () => {
    const seen: Inventory[] = [];
    const rule = honouringIgnore({ id: 'startup.heavy-init', severity: 'info', summary: 'records what it is given', check: (given) => (seen.push(given), []) });
    const plain = inventory(deployment('a'), deployment('b').annotation('pytuner.dev/ignore', 'gunicorn.timeout')).build();
    rule.check(plain);
    expect(seen[0]).toBe(plain);
    const ignoring = inventory(deployment('a'), deployment('b').annotation('pytuner.dev/ignore', 'gunicorn.timeout,startup.heavy-init')).build();
    rule.check(ignoring);
    expect(seen[1]).not.toBe(ignoring);
    expect(seen[1]?.workloads.map((w) => w.ref.name)).toEqual(['a']);
    expect(ignoring.workloads.map((w) => w.ref.name)).toEqual(['a', 'b']);
    expect(ignoredRules(plain.workloads[0]!)).toEqual(new Set());
  });
});
