import { describe, expect, it } from 'vitest';
import { parseTuningPolicy, policySelects, ruleEnabled, TuningPolicySpec } from './tuningPolicy.ts';
import { recommendationName, summarise, toStatusFinding, toStatusValues } from './tuningRecommendation.ts';

describe('TuningPolicySpec', () => {
  it('fills every default of an empty spec (the API server fills the same: test/integration/crds.test.ts)', () => {
    expect(TuningPolicySpec.parse({})).toEqual({
      selector: { kinds: ['Service', 'Deployment'] },
      mode: 'Recommend',
      objectives: {},
      bounds: { concurrency: { min: 1, max: 1000 } },
      cooldown: '1h',
      patch: { containerConcurrency: false, threadsEnv: false, workers: false, startupProbe: false, profilerIamPolicyMember: false },
      minConfidence: 'medium',
      force: false,
    });
  });
});

describe('parseTuningPolicy', () => {
  it('names the field of each problem', () => {
    expect(parseTuningPolicy({ apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { name: 'p' }, spec: { mode: 'Auto', cooldown: '1 hour' } })).toEqual({
      ok: false,
      errors: [
        { field: 'spec.mode', message: 'Invalid option: expected one of "Off"|"Recommend"|"Apply"' },
        { field: 'spec.cooldown', message: 'a duration such as 300ms, 90s, 5m, 1h30m, 7d or 2w' },
      ],
    });
  });

  it('returns the policy with defaults', () => {
    const parsed = parseTuningPolicy({ apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { name: 'p', namespace: 'shop', uid: 'u' }, spec: { mode: 'Apply', patch: { threadsEnv: true } } });
    expect(parsed.ok && parsed.policy.spec.cooldown).toBe('1h');
  });

  it("refuses what the CRD's CEL rules refuse, with the same message on the same field, for a policy that skipped admission", () => {
    const policy = (spec: Record<string, unknown>) => parseTuningPolicy({ apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { name: 'p' }, spec });
    expect(policy({ mode: 'Apply' })).toEqual({ ok: false, errors: [{ field: 'spec.patch', message: 'mode Apply needs at least one field allowed in spec.patch' }] });
    expect(
      policy({
        bounds: { concurrency: { min: 50, max: 10 } },
        objectives: { latencySLO: '300ms', latencyP95Factor: 1.5 },
        rules: { enabled: ['concurrency.unbounded'], disabled: ['concurrency.unbounded'] },
        selector: { matchExpressions: [{ key: 'tier', operator: 'In' }, { key: 'canary', operator: 'Exists', values: ['x'] }] },
        metrics: { prometheusUrl: 'ftp://prometheus:9090' },
      }),
    ).toEqual({
      ok: false,
      errors: [
        { field: 'spec.selector.matchExpressions.0', message: 'In and NotIn need values; Exists and DoesNotExist take none' },
        { field: 'spec.selector.matchExpressions.1', message: 'In and NotIn need values; Exists and DoesNotExist take none' },
        { field: 'spec.objectives', message: 'set latencySLO or latencyP95Factor, not both' },
        { field: 'spec.bounds.concurrency.min', message: 'bounds.concurrency.min must be <= bounds.concurrency.max' },
        { field: 'spec.rules', message: 'a rule id cannot be both enabled and disabled' },
        { field: 'spec.metrics.prometheusUrl', message: 'prometheusUrl must be an http:// or https:// URL' },
      ],
    });
  });
});

describe('policySelects', () => {
  it('selects by kind and labels', () => {
    const spec = TuningPolicySpec.parse({ selector: { kinds: ['Service'], matchLabels: { team: 'shop' } } });
    expect(policySelects(spec, 'Service', { team: 'shop' })).toBe(true);
    expect(policySelects(spec, 'Deployment', { team: 'shop' })).toBe(false);
    expect(policySelects(spec, 'Service', { team: 'search' })).toBe(false);
  });
});

describe('ruleEnabled', () => {
  it('runs every rule by default, only the enabled ones when listed, never the disabled ones', () => {
    expect(ruleEnabled(undefined, 'concurrency.unbounded')).toBe(true);
    expect(ruleEnabled({ enabled: ['concurrency.unbounded'] }, 'concurrency.unbounded')).toBe(true);
    expect(ruleEnabled({ enabled: ['concurrency.unbounded'] }, 'image.slim-base')).toBe(false);
    expect(ruleEnabled({ disabled: ['image.slim-base'] }, 'image.slim-base')).toBe(false);
  });
});

describe('TuningRecommendation helpers', () => {
  it('names a recommendation after the kind and name of its target', () => {
    expect(recommendationName({ kind: 'Service', name: 'api' })).toBe('service-api');
    expect(recommendationName({ kind: 'Deployment', name: 'api' })).toBe('deployment-api');
  });

  it('cuts a name longer than 253 characters and ends it in a hash of the whole, so long names do not collide', () => {
    const exact = 'a'.repeat(253 - 'deployment-'.length);
    expect(recommendationName({ kind: 'Deployment', name: exact })).toBe(`deployment-${exact}`);
    const long = (tail: string) => recommendationName({ kind: 'Deployment', name: `${'web.'.repeat(62)}${tail}` });
    const [first, second] = [long('orders'), long('payments')];
    expect(first).not.toBe(second);
    for (const name of [first, second]) {
      expect(name.length).toBeLessThanOrEqual(253);
      // A DNS subdomain: dot-separated labels of [a-z0-9-], each starting and ending with a letter or digit.
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
      expect(name.startsWith('deployment-web.web.')).toBe(true);
    }
    expect(long('orders')).toBe(first);
  });

  it('renders finding values as strings and evidence as one line, and counts severities', () => {
    expect(toStatusValues({ containerConcurrency: 80, preload: true, startupProbe: null, base: 'python:3.12-slim' })).toEqual({ containerConcurrency: '80', preload: 'true', startupProbe: 'null', base: 'python:3.12-slim' });
    const finding = toStatusFinding({
      rule: 'concurrency.unbounded',
      severity: 'critical',
      target: { kind: 'Service', name: 'api', container: 'app', file: 'service.yaml' },
      message: 'containerConcurrency 0 lets the queue-proxy send unlimited requests',
      current: { containerConcurrency: 0 },
      recommended: { containerConcurrency: 8 },
      evidence: [
        { source: 'manifest', file: 'service.yaml', line: 14, field: 'spec.template.spec.containerConcurrency', text: '0' },
        { source: 'default', field: 'gunicorn --threads' },
      ],
    });
    expect(finding).toEqual({
      rule: 'concurrency.unbounded',
      severity: 'critical',
      container: 'app',
      message: 'containerConcurrency 0 lets the queue-proxy send unlimited requests',
      current: { containerConcurrency: '0' },
      recommended: { containerConcurrency: '8' },
      evidence: 'spec.template.spec.containerConcurrency 0 (service.yaml:14); gunicorn --threads (default)',
    });
    expect(summarise([finding, { severity: 'warning' }, { severity: 'critical' }])).toEqual({ findings: 3, critical: 2, warning: 1, info: 0 });
  });
});
