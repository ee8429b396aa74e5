// The controller with measured load: a real Prometheus (backfilled with series a simulated gunicorn service would have
// produced, test/support) next to the real control plane. The recommendation must be what `pytuner report
// --prometheus` computes from the same manifest and the same series; one collection reads every workload of a policy;
// a Prometheus that stops makes MetricsAvailable False with the reason and holds every value from measured load.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyse } from '../../src/report.ts';
import { loadReportInputs } from '../../src/input/files.ts';
import { buildInventory } from '../../src/model/extract/inventory.ts';
import { createPrometheusClient } from '../../src/input/metrics/client.ts';
import { collectObservations } from '../../src/input/metrics/collect.ts';
import { analyseMetricsOptions, collectReportMetrics, type MetricsOptions } from '../../src/cli/metricsOptions.ts';
import type { TuningRecommendation } from '../../src/api/v1alpha1/tuningRecommendation.ts';
import { MEASURED_CONFIDENCE } from '../../src/model/change.ts';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import type { SeriesOptions, WorkloadLoad } from '../support/series.ts';
import { knativeSeries } from '../support/series.ts';
import { faultInjector, type Fault, type Injector } from '../support/seriesProxy.ts';
import { SIM_BOUNDS, simulatedSteps, type SimulatedService } from '../support/seriesFromSim.ts';
import { condition, create, markServiceReady, metricValue, operations, readService, recommendation, startTestController, tuningPolicy } from './controller.support.ts';

const STEP = 300;
const DURATION = 7200;
const WINDOW = '2h';
// The series end on a step boundary an hour ago; the controllers run on a clock shifted so that their "now" is 30 s
// after that end (the window they read ends there) and runs at the real pace (cooldowns pass).
const END = Math.floor((Date.now() / 1000 - 3600) / STEP) * STEP;
const START = END - DURATION;
const SHIFT_MS = Date.now() - (END * 1000 + 30_000);
const shiftedNow = () => new Date(Date.now() - SHIFT_MS);
const OPTIONS: SeriesOptions = { start: START, stepSeconds: STEP, bounds: SIM_BOUNDS };
const poll = { timeout: 30_000, interval: 100 };

/** gunicorn 2 workers × 4 threads (8 request slots) on 2 vCPU, CPU 12 ms and I/O 50 ms per request, load ramping 5 → 40 req/s. */
const SIM: Omit<SimulatedService, 'containerConcurrency'> = { seed: 21, fromRate: 5, toRate: 40, cpuMs: 12, ioMs: 50, workers: 2, threads: 4, vcpus: 2, durationSeconds: DURATION, stepSeconds: STEP };
const GUNICORN_2X4 = ['gunicorn', '--bind', ':8080', '--workers', '2', '--threads', '4', 'app:app'];

/** A Knative Service running gunicorn 2 × 4 in container `app` with 2 vCPU. */
function service(namespace: string, name: string, containerConcurrency?: number): KubernetesObject & { spec: Record<string, unknown> } {
  const podSpec: Record<string, unknown> = {
    containers: [{ name: 'app', image: 'europe-docker.pkg.dev/demo/app:1.0.0', args: GUNICORN_2X4, resources: { limits: { cpu: '2', memory: '1Gi' } } }],
  };
  if (containerConcurrency !== undefined) podSpec['containerConcurrency'] = containerConcurrency;
  // The health path lets startup.probe-missing recommend an httpGet startupProbe (a static value next to the measured ones).
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name, namespace, annotations: { 'pytuner.dev/health-path': '/healthz' } }, spec: { template: { spec: podSpec } } };
}

function load(namespace: string, name: string, containerConcurrency: number, seed: number): WorkloadLoad {
  return { namespace, name, container: 'app', vcpus: 2, steps: simulatedSteps({ ...SIM, seed, containerConcurrency }) };
}

function metricsPolicy(namespace: string, prometheusUrl: string, spec: Record<string, unknown> = {}): KubernetesObject {
  return tuningPolicy(namespace, 'measured', { mode: 'Recommend', metrics: { prometheusUrl, profile: 'knative', window: WINDOW }, ...spec });
}

async function policyStatus(namespace: string, name: string) {
  const policy = (await adminClients().custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name })) as {
    status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason: string; message: string }[] };
  };
  return policy.status;
}

/** Waits for the TuningRecommendation of Service `name` to say MetricsAvailable=True. */
async function measuredRecommendation(namespace: string, name: string): Promise<TuningRecommendation> {
  return vi.waitFor(async () => {
    const rec = await recommendation(namespace, `service-${name}`);
    expect(condition(rec?.status, 'MetricsAvailable')?.status).toBe('True');
    return rec!;
  }, poll);
}

/** What `pytuner report -f <manifest> --prometheus <url>` reports for the same service over the same window. */
async function reportFor(object: KubernetesObject, prometheusUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'pytuner-controller-metrics-'));
  try {
    const file = join(dir, 'service.yaml');
    // Through JSON: the client holds timestamps as Dates, the API server writes them as strings.
    writeFileSync(file, dump(JSON.parse(JSON.stringify(object))));
    const loaded = await loadReportInputs([file], []);
    const options: MetricsOptions & { prometheus: string } = { prometheus: prometheusUrl, profile: 'knative', window: DURATION, step: STEP, end: END, timeout: 20 };
    const workloads = buildInventory(loaded, []).inventory.workloads;
    const metrics = await collectReportMetrics(options, workloads, { stderr: process.stderr, now: () => Date.now() });
    return analyse(loaded, analyseMetricsOptions(metrics, options));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('controller with measured load from Prometheus', () => {
  let prometheus: RunningPrometheus;
  let shop: string;
  let faults: string;
  const injectors: Injector[] = [];

  beforeAll(async () => {
    [shop, faults] = await Promise.all([uniqueNamespace('ctl-metrics'), uniqueNamespace('ctl-metrics-faults')]);
    const loads = [load(shop, 'orders', 0, 21), load(shop, 'cart', 0, 22), load(shop, 'payments', 0, 23), load(faults, 'orders', 0, 21)];
    prometheus = await startPrometheus({ openMetrics: knativeSeries(loads, OPTIONS, 'pod-labels') });
  });
  afterAll(async () => {
    await Promise.all(injectors.map((i) => i.close()));
    await prometheus?.stop();
  });

  it('recommends from measured load what pytuner report --prometheus does, reading all the policy\'s workloads in one collection', async () => {
    // As Knative's webhook stored it (containerConcurrency 0, the defaulted fields), which is what the controller reads.
    const orders = await create(service(shop, 'orders'));
    await create(service(shop, 'cart'));
    await create(metricsPolicy(shop, prometheus.url));
    const controller = await startTestController(shop, { now: shiftedNow, metricsIntervalMs: 60_000 });

    const rec = await measuredRecommendation(shop, 'orders');
    expect(rec.status?.basis).toBe('metrics');
    expect(condition(rec.status, 'MetricsAvailable')).toMatchObject({ reason: 'Observed' });
    expect(condition(rec.status, 'MetricsAvailable')?.message).toMatch(new RegExp(`^24 steps of measured load \\(profile knative, window 2h, ${prometheus.url.replace(/\./g, '\\.')}\\)`));

    // The same object and the same series through the CLI's metrics step and analyse.
    const report = await reportFor(orders, prometheus.url);
    const measured = report.findings.filter((f) => f.rule.startsWith('metrics.'));
    // 12 ms of CPU per request on 2 vCPU at the 60 % CPU target: 100 req/s per instance, served by about 8 in flight.
    // 12 ms requests hold a worker's GIL in turns of the 5 ms switch interval, so at 35 % of a core each worker serves
    // 0.35 / 5 ms = 70 req/s: the current 2 workers serve the CPU bound, and there is no workers finding.
    expect(measured.map((f) => f.rule)).toEqual(['metrics.container-concurrency', 'metrics.threads']);
    expect(rec.status?.findings?.filter((f) => f.rule.startsWith('metrics.')).map(({ rule, severity, message }) => ({ rule, severity, message }))).toEqual(
      measured.map(({ rule, severity, message }) => ({ rule, severity, message })),
    );
    const expected = measured[0]!;
    const value = expected.recommended['containerConcurrency'] as number;
    // By hand: 100 req/s (the CPU bound) × 62–80 ms (12 ms CPU + 50 ms I/O, plus some waiting) = 6.2–8 in flight.
    expect(value).toBeGreaterThanOrEqual(6);
    expect(value).toBeLessThanOrEqual(8);
    expect(expected.confidence).toBeDefined();
    const [concurrency, ...others] = rec.status?.recommendations ?? [];
    expect(concurrency).toEqual({
      setting: 'containerConcurrency',
      rule: 'metrics.container-concurrency',
      value,
      // containerConcurrency is 0 (unlimited), so there is no step to take from it: the next step is the target.
      target: value,
      next: value,
      lowerBound: 1,
      upperBound: 1000,
      confidence: MEASURED_CONFIDENCE[expected.confidence!],
    });
    // The value's evidence is its finding's: the manifest field (said by concurrency.unbounded, critical, so first),
    // then each PromQL the value was derived from with what was derived, each line said once in status.findings.
    const findingOf = (rule: string) => rec.status?.findings?.find((f) => f.rule === rule);
    expect(findingOf('concurrency.unbounded')?.evidence?.split('; ')).toContain('spec.template.spec.containerConcurrency 0 (manifest)');
    expect(findingOf('metrics.container-concurrency')?.evidence).toBe(
      ['(a line as in concurrency.unbounded)', ...expected.evidence.filter((e) => e.source === 'metrics').map((e) => `${e.field} ${e.text} (metrics)`)].join('; '),
    );
    expect(findingOf('metrics.container-concurrency')?.evidence).toMatch(/; histogram_quantile\(0\.95, .*http_server_request_duration_seconds_bucket\{namespace=/);
    // metrics.threads derives from the same PromQL: it refers to those lines instead of repeating them.
    expect(findingOf('metrics.threads')?.evidence).toMatch(/\((a line|\d+ lines) as in metrics\.container-concurrency\)/);
    // threads and workers are written in args: recommended in findings, with no value the actuator could write.
    expect(others.map((v) => v.setting)).toEqual(['startupProbe']);
    // The static rules still run; their containerConcurrency (8 slots) gives way to the measured one.
    expect(rec.status?.findings?.find((f) => f.rule === 'concurrency.unbounded')?.recommended).toEqual({ containerConcurrency: '8' });

    const cart = await measuredRecommendation(shop, 'cart');
    expect(cart.status?.findings?.map((f) => f.rule)).toContain('metrics.container-concurrency');
    await vi.waitFor(async () => {
      expect(condition(await policyStatus(shop, 'measured'), 'MetricsAvailable')).toMatchObject({
        status: 'True',
        reason: 'Observed',
        message: `2 of 2 workloads have measured load (profile knative, window 2h, ${prometheus.url})`,
      });
    }, poll);

    // One collection for the policy, and as many queries as for one workload of the namespace: the cost is per namespace.
    const client = createPrometheusClient({ url: prometheus.url, timeoutMs: 20_000 });
    const window = { start: END - DURATION, end: END, stepSeconds: STEP };
    const target = (name: string) => ({ kind: 'Service' as const, namespace: shop, name, platform: 'knative' as const, container: 'app', vcpu: 2 });
    try {
      await collectObservations({ targets: [target('orders')] }, 'knative', window, client);
      const one = client.stats().queries;
      await collectObservations({ targets: [target('orders'), target('cart')] }, 'knative', window, client);
      expect(client.stats().queries - one).toBe(one);
      const metrics = (await operations(controller.port, '/metrics')).body;
      expect(metricValue(metrics, 'pytuner_metrics_collections_total{result="success"}')).toBe(1);
      expect(metricValue(metrics, 'pytuner_metrics_queries_total')).toBe(one);

      // A workload created within the refresh interval is not in the snapshot: the policy is read again, once.
      await create(service(shop, 'payments'));
      const payments = await measuredRecommendation(shop, 'payments');
      expect(payments.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', rule: 'metrics.container-concurrency' });
      const after = (await operations(controller.port, '/metrics')).body;
      expect(metricValue(after, 'pytuner_metrics_collections_total{result="success"}')).toBe(2);
      expect(metricValue(after, 'pytuner_metrics_queries_total')).toBe(2 * one);
    } finally {
      await client.close();
    }
  });

  it('an answer pytuner cannot read, or none in time: MetricsAvailable False with the reason, until Prometheus answers again', async () => {
    let fault: Fault = { pass: true };
    const injector = await faultInjector(prometheus.url, () => fault);
    injectors.push(injector);
    await create(service(faults, 'orders'));
    await create(metricsPolicy(faults, injector.url));
    await startTestController(faults, { now: shiftedNow, metricsIntervalMs: 500, metricsTimeoutMs: 500 });
    await measuredRecommendation(faults, 'orders');

    // A collection in flight when the fault starts may fail on a later request; the next one fails on the first.
    fault = { status: 200, body: '<html>a login page</html>' };
    const garbage = await vi.waitFor(async () => {
      const r = await recommendation(faults, 'service-orders');
      const unreadable = condition(r?.status, 'MetricsAvailable');
      expect(unreadable).toMatchObject({ status: 'False', reason: 'PrometheusBadResponse' });
      // The answer itself never reaches status (prometheusUrl may point anywhere: read-back SSRF), only its kind.
      expect(unreadable?.message).toBe(`Prometheus sent an answer to /api/v1/label/__name__/values that pytuner cannot read (profile knative, window 2h, ${injector.url})`);
      expect(JSON.stringify(r?.status)).not.toContain('login page');
      return r!;
    }, poll);
    expect(garbage.status?.findings?.find((f) => f.rule === 'metrics.unavailable')?.severity).toBe('warning');
    expect(garbage.status?.recommendations?.map((v) => v.setting)).toEqual(['startupProbe']);

    fault = 'hang';
    await vi.waitFor(async () => {
      const r = await recommendation(faults, 'service-orders');
      expect(condition(r?.status, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'PrometheusTimeout' });
      expect(condition(r?.status, 'MetricsAvailable')?.message).toMatch(/^Prometheus did not answer \/api\/v1\/label\/__name__\/values in time /);
    }, poll);

    fault = { pass: true };
    const back = await measuredRecommendation(faults, 'orders');
    expect(back.status?.recommendations?.[0]).toMatchObject({ setting: 'containerConcurrency', rule: 'metrics.container-concurrency' });
  });

  it('Prometheus stopped: MetricsAvailable False with the reason, values from measured load held, no patch in Apply mode, still running', async () => {
    const namespace = await uniqueNamespace('ctl-metrics-down');
    const own = await startPrometheus({ openMetrics: knativeSeries([load(namespace, 'orders', 0, 21)], OPTIONS, 'pod-labels') });
    let stopped = false;
    try {
      await create(service(namespace, 'orders'));
      await markServiceReady(namespace, 'orders');
      // Measured load alone gives about 8 (the CPU bound), the static slots 8 too: the lower bound 10 makes the measured
      // value differ from the static one, so a flip between them would show.
      const bounds = { concurrency: { min: 10, max: 12 } };
      await create(metricsPolicy(namespace, own.url, { mode: 'Apply', cooldown: '2s', bounds, patch: { containerConcurrency: true } }));
      const controller = await startTestController(namespace, { now: shiftedNow, metricsIntervalMs: 1_000 });

      // Prometheus up: containerConcurrency is patched from measured load, within the policy's bounds.
      const patched = await vi.waitFor(async () => {
        const r = await recommendation(namespace, 'service-orders');
        expect(r?.status?.applied).toBeDefined();
        return r!;
      }, poll);
      expect(patched.status?.applied?.changes).toEqual([{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', from: '0', to: '10', rule: 'metrics.container-concurrency' }]);
      expect((await readService(namespace, 'orders')).spec.template.spec['containerConcurrency']).toBe(10);

      await own.stop();
      stopped = true;
      // A collection in flight at the stop may see its connection closed; the next one is refused.
      const down = await vi.waitFor(async () => {
        const r = await recommendation(namespace, 'service-orders');
        expect(condition(r?.status, 'MetricsAvailable')).toMatchObject({
          status: 'False',
          reason: 'PrometheusUnreachable',
          message: `Prometheus at ${own.url} is unreachable (ECONNREFUSED) (profile knative, window 2h, ${own.url})`,
        });
        return r!;
      }, poll);
      expect(down.status?.basis).toBe('rules');
      const rules = down.status?.findings?.map((f) => f.rule) ?? [];
      expect(rules).toContain('metrics.unavailable');
      expect(rules).toContain('concurrency.threads-mismatch');
      expect(rules).not.toContain('metrics.container-concurrency');
      // The static rules want 8 (the slots) back: not offered, or the workload would flip between 8 and 10 with Prometheus.
      expect(down.status?.recommendations?.map((v) => v.setting)).toEqual(['startupProbe']);
      expect(condition(down.status, 'Ready')?.message).toContain('not offered from the static rules: containerConcurrency 8 (concurrency.threads-mismatch)');

      // The new revision becomes Ready and the cooldown is over: nothing from measured load to apply, nothing patched.
      const generation = await markServiceReady(namespace, 'orders');
      expect(generation).toBe(2);
      const held = await vi.waitFor(async () => {
        const r = await recommendation(namespace, 'service-orders');
        expect(condition(r?.status, 'Applied')?.reason).toBe('NotApplicable');
        return r!;
      }, poll);
      expect(condition(held.status, 'Applied')?.message).toBe('startupProbe: spec.patch.startupProbe is false in TuningPolicy measured');
      expect(held.status?.applied).toEqual(patched.status?.applied);
      const live = await readService(namespace, 'orders');
      expect(live.metadata?.generation).toBe(2);
      expect(live.spec.template.spec['containerConcurrency']).toBe(10);
      await vi.waitFor(async () => {
        expect(condition(await policyStatus(namespace, 'measured'), 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'PrometheusUnreachable' });
      }, poll);

      expect(controller.running()).toBe(true);
      expect((await operations(controller.port, '/healthz')).status).toBe(200);
      const metrics = (await operations(controller.port, '/metrics')).body;
      expect(metricValue(metrics, 'pytuner_metrics_collections_total{result="failed"}')).toBeGreaterThanOrEqual(1);
      expect(metricValue(metrics, 'pytuner_errors_total{type="metrics_query"}')).toBeGreaterThanOrEqual(1);
      expect(metricValue(metrics, 'pytuner_patches_applied_total{kind="Service",field="containerConcurrency"}')).toBe(1);
    } finally {
      if (!stopped) await own.stop();
    }
  });
});
