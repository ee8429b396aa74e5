import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { analyse } from '../report.ts';
import { observationKey } from '../model/observations.ts';
import { DAY, syntheticObservations } from '../../test/support/syntheticObservations.ts';
import { evaluateTarget, metricsTargetOf, metricsTargets, rulesFor, withMetricsFindings } from './evaluate.ts';

/** A Knative Service as the API server returns it: status, managedFields and all. */
function knativeService(name: string, podSpec: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace: 'shop', uid: 'u1', resourceVersion: '7', generation: 2, managedFields: [{ manager: 'kubectl', operation: 'Apply' }] },
    spec: { template: { spec: podSpec } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  } as KubernetesObject;
}

const gunicorn8Threads = { containers: [{ image: 'europe-docker.pkg.dev/p/orders:1', args: ['gunicorn', '--threads', '8', 'app:app'] }] };

describe('evaluateTarget', () => {
  it('finds the concurrency mismatch of a cached Knative Service, with evidence that names the object and no line', () => {
    const svc = knativeService('orders', { containerConcurrency: 80, ...gunicorn8Threads });
    const { findings, errors } = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor(undefined));
    expect(errors).toEqual([]);
    const mismatch = findings.find((f) => f.rule === 'concurrency.threads-mismatch');
    expect(mismatch?.target).toEqual({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'orders', container: 'user-container' });
    expect(mismatch?.recommended).toEqual({ containerConcurrency: 8 });
    expect(mismatch?.evidence[0]).toEqual({ source: 'manifest', field: 'spec.template.spec.containerConcurrency', text: '80' });
  });

  it('runs only the rules the policy enables', () => {
    const svc = knativeService('orders', { containerConcurrency: 80, ...gunicorn8Threads });
    const all = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor(undefined)).findings.map((f) => f.rule);
    expect(all).toContain('concurrency.threads-mismatch');
    const disabled = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor({ disabled: ['concurrency.threads-mismatch'] }));
    expect(disabled.findings.map((f) => f.rule)).not.toContain('concurrency.threads-mismatch');
    const only = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor({ enabled: ['gunicorn.timeout'] }));
    expect(new Set(only.findings.map((f) => f.rule))).toEqual(new Set(['gunicorn.timeout']));
  });

  it('keeps only findings about the target, not about the objects around it', () => {
    const svc = knativeService('orders', { containerConcurrency: 8, ...gunicorn8Threads });
    const other = knativeService('cart', { containerConcurrency: 80, ...gunicorn8Threads });
    const { findings } = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [other], rulesFor({ enabled: ['concurrency.threads-mismatch'] }));
    expect(findings).toEqual([]);
  });

  it('reports a malformed workload as errors naming the field, never throwing', () => {
    const svc = knativeService('orders', { containerConcurrency: 'eighty', ...gunicorn8Threads });
    const { findings, errors } = evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, svc, [], rulesFor(undefined));
    expect(findings).toEqual([]);
    expect(errors).toEqual([
      { object: 'Service shop/orders', field: 'spec.template.spec.containerConcurrency', message: 'expected an integer 0..1000, got "eighty"' },
    ]);
  });
});

describe('withMetricsFindings', () => {
  // gunicorn 1 worker × $(THREADS) threads on 1 vCPU behind containerConcurrency 80: the recommender's known service.
  const podSpec = {
    containerConcurrency: 80,
    containers: [
      {
        name: 'app',
        image: 'europe-docker.pkg.dev/p/orders:1',
        args: ['gunicorn', '--bind', ':8080', '--workers', '1', '--threads', '$(THREADS)', 'app:app'],
        env: [{ name: 'THREADS', value: '8' }],
        resources: { limits: { cpu: '1' } },
      },
    ],
  };
  const target = { kind: 'Service', namespace: 'shop', name: 'orders' } as const;
  const entry = syntheticObservations(DAY, { target });

  it('adds what recommendFindings gives the same workload in a report: the same findings, messages and values', () => {
    const svc = knativeService('orders', podSpec);
    const evaluated = withMetricsFindings(evaluateTarget(target, svc, [], rulesFor(undefined)), target, { entry, recommender: { now: entry.window.end }, rules: undefined });
    const measured = evaluated.findings.filter((f) => f.rule.startsWith('metrics.'));
    // metrics.workers too: one worker's GIL at 35% of a core serves 0.35 / 3 ms = 116.7 req/s, below the CPU bound's
    // 1 vCPU × 0.6 / 3 ms = 200, so the recommender asks for 2 workers.
    expect(measured.map((f) => f.rule)).toEqual(['metrics.container-concurrency', 'metrics.threads', 'metrics.workers']);

    const document = { file: 'service.yaml', line: 1, docIndex: 0, object: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'orders', namespace: 'shop' }, spec: { template: { spec: podSpec } } } };
    const report = analyse({ documents: [document], sources: [], errors: [], files: 1 }, { observations: new Map([[observationKey(target), entry]]), recommender: { now: entry.window.end } });
    const expected = report.findings.filter((f) => f.rule.startsWith('metrics.'));
    const comparable = ({ rule, severity, message, current, recommended, confidence }: (typeof measured)[number]) => ({ rule, severity, message, current, recommended, confidence });
    expect(measured.map(comparable)).toEqual(expected.map(comparable));
    expect(measured[0]?.target).toEqual({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'shop', name: 'orders', container: 'app' });
    expect(measured[0]?.confidence).toBe('medium');
  });

  it('switches metrics findings on and off with the policy\'s rule ids', () => {
    const svc = knativeService('orders', podSpec);
    const evaluated = withMetricsFindings(evaluateTarget(target, svc, [], rulesFor(undefined)), target, { entry, recommender: { now: entry.window.end }, rules: { disabled: ['metrics.threads'] } });
    expect(evaluated.findings.filter((f) => f.rule.startsWith('metrics.')).map((f) => f.rule)).toEqual(['metrics.container-concurrency', 'metrics.workers']);
  });

  it('reports metrics that could not be read as metrics.unavailable, with the reason', () => {
    const svc = knativeService('orders', podSpec);
    const unavailable = { target, reason: 'Prometheus at http://p:9090 is unreachable: connect ECONNREFUSED' };
    const evaluated = withMetricsFindings(evaluateTarget(target, svc, [], rulesFor({ enabled: ['metrics.unavailable'] })), target, { entry: unavailable, recommender: {}, rules: undefined });
    expect(evaluated.findings.map((f) => [f.rule, f.message])).toEqual([['metrics.unavailable', 'metrics for Service shop/orders could not be read (Prometheus at http://p:9090 is unreachable: connect ECONNREFUSED): no recommendation from measured load']]);
  });
});

describe('metricsTargets', () => {
  it('makes the metrics target of each valid workload, as pytuner report -f does, and skips the invalid ones', () => {
    const orders = knativeService('orders', { containers: [{ name: 'app', image: 'python:3.13', args: ['gunicorn', 'app:app'], resources: { limits: { cpu: '2' } } }] });
    const broken = knativeService('broken', { containerConcurrency: 'eighty', containers: [{ image: 'python:3.13' }] });
    expect(metricsTargets([orders, broken])).toEqual([{ kind: 'Service', namespace: 'shop', name: 'orders', platform: 'knative', container: 'app', vcpu: 2 }]);
    expect(metricsTargetOf(evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'orders' }, orders, [], []))).toEqual(metricsTargets([orders])[0]);
    expect(metricsTargetOf(evaluateTarget({ kind: 'Service', namespace: 'shop', name: 'broken' }, broken, [], []))).toBeUndefined();
  });

  it('reads each workload object once: a policy asks again for the same cached objects after every write', () => {
    const orders = knativeService('orders', { containers: [{ name: 'app', image: 'python:3.13', args: ['gunicorn', 'app:app'] }] });
    const reports = knativeService('reports', { containers: [{ name: 'app', image: 'python:3.13', args: ['gunicorn', 'app:app'] }] });
    const first = metricsTargets([orders, reports]);
    const again = metricsTargets([reports, orders]);
    expect(again[0]).toBe(first[1]);
    expect(again[1]).toBe(first[0]);
    // A changed workload is a new cached object: read anew.
    const changed = knativeService('orders', { containers: [{ name: 'server', image: 'python:3.13', args: ['gunicorn', 'app:app'] }] });
    expect(metricsTargets([changed])[0]).toMatchObject({ name: 'orders', container: 'server' });
  });
});
