// The controller's findings as policy reports, on the real API server with the real CRDs (wgpolicyk8s.io PolicyReport
// from Kyverno's module, openreports.io Report from its API module; scripts/install-crd-modules.sh): one report per
// namespace whose results are the TuningRecommendations' findings, a fixed finding's result removed, a deleted
// workload's results removed, no write when nothing changed, and nothing written when the option is off.
import type { KubernetesObject } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import type { RunningController } from '../../src/controller/main.ts';
import type { TuningRecommendation } from '../../src/api/v1alpha1/tuningRecommendation.ts';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import { GUNICORN_1X8, create, knativeService, metricValue, operations, readService, recommendation, spawnController, startTestController, tuningPolicy } from './controller.support.ts';

const poll = { timeout: 20_000, interval: 100 };

interface ReportResultView {
  policy: string;
  result: string;
  message: string;
  source: string;
  resources: { apiVersion: string; kind: string; name: string; namespace: string; uid: string }[];
  properties?: Record<string, string>;
  timestamp: { seconds: number };
}
interface StoredReport extends KubernetesObject {
  source?: string;
  summary: Record<string, number>;
  results?: ReportResultView[];
}

const API = {
  wgpolicyk8s: { group: 'wgpolicyk8s.io', version: 'v1alpha2', plural: 'policyreports' },
  openreports: { group: 'openreports.io', version: 'v1alpha1', plural: 'reports' },
} as const;

/** The report objects in `namespace` (of either API). */
async function reports(api: keyof typeof API, namespace: string): Promise<StoredReport[]> {
  const list = (await adminClients().custom.listNamespacedCustomObject({ ...API[api], namespace })) as { items: StoredReport[] };
  return list.items;
}

/** The result a report reader should show for a stored finding's severity (the README's table). */
const EXPECTED_RESULT: Record<string, string> = { critical: 'fail', warning: 'warn', info: 'pass' };

/** What the TuningRecommendations of `workloads` hold, as `name rule result message` lines, sorted. */
async function findingLines(namespace: string, workloads: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const name of workloads) {
    const rec = (await recommendation(namespace, `service-${name}`)) as TuningRecommendation;
    for (const f of rec.status?.findings ?? []) lines.push(`${name} ${f.rule} ${EXPECTED_RESULT[f.severity]} ${f.message}`);
  }
  return lines.sort();
}

function resultLines(report: StoredReport): string[] {
  return (report.results ?? []).map((r) => `${r.resources[0]!.name} ${r.policy} ${r.result} ${r.message}`).sort();
}

/** Waits until the controller has evaluated both services and their recommendations list findings. */
async function recommended(namespace: string, names: string[]): Promise<void> {
  await vi.waitFor(async () => {
    for (const name of names) expect((await recommendation(namespace, `service-${name}`))?.status?.findings?.length ?? 0).toBeGreaterThan(0);
  }, poll);
}

async function setContainerConcurrency(namespace: string, name: string, value: number): Promise<void> {
  await adminClients().custom.patchNamespacedCustomObject(
    { group: 'serving.knative.dev', version: 'v1', namespace, plural: 'services', name, body: { spec: { template: { spec: { containerConcurrency: value } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** Reconciles finished so far (every result), from the controller's /metrics. */
async function reconciles(controller: RunningController): Promise<number> {
  const { body } = await operations(controller.port, '/metrics');
  return ['success', 'requeue', 'error', 'terminal_error'].reduce((sum, result) => sum + (metricValue(body, `pytuner_reconciles_total{result="${result}"}`) ?? 0), 0);
}

/** Policy report applies so far, from the controller's /metrics. */
async function reportWrites(controller: RunningController): Promise<number> {
  const { body } = await operations(controller.port, '/metrics');
  return metricValue(body, 'pytuner_policy_report_writes_total{operation="apply"}') ?? 0;
}

describe('controller policy reports', () => {
  it('writes one PolicyReport per namespace whose results are the findings; drops fixed findings and deleted workloads; does not rewrite an unchanged report', async () => {
    const namespace = await uniqueNamespace('ctl-polrep');
    await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await create(knativeService(namespace, 'carts', { containerConcurrency: 40, args: GUNICORN_1X8 }));
    await create(tuningPolicy(namespace, 'default', { mode: 'Recommend' }));
    const controller = await startTestController(namespace, { policyReports: { api: 'wgpolicyk8s', flushDelayMs: 100 } });
    await recommended(namespace, ['orders', 'carts']);

    const expected = await findingLines(namespace, ['orders', 'carts']);
    expect(expected.some((l) => l.startsWith('orders concurrency.threads-mismatch fail'))).toBe(true);
    await vi.waitFor(async () => {
      const [report] = await reports('wgpolicyk8s', namespace);
      expect(report && resultLines(report)).toEqual(expected);
    }, poll);
    const [report] = (await reports('wgpolicyk8s', namespace)) as [StoredReport];
    expect(report.metadata?.name).toBe('pytuner');
    expect(report.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'pytuner' });
    expect(report.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['pytuner', 'Apply']]);
    const orders = await readService(namespace, 'orders');
    const mismatch = report.results!.find((r) => r.resources[0]!.name === 'orders' && r.policy === 'concurrency.threads-mismatch')!;
    expect(mismatch.source).toBe('pytuner');
    expect(mismatch.resources).toEqual([{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace, name: 'orders', uid: orders.metadata?.uid }]);
    expect(mismatch.properties).toMatchObject({ 'current.containerConcurrency': '80', 'recommended.containerConcurrency': '8' });
    expect(mismatch.timestamp.seconds).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(report.summary['fail']).toBe(report.results!.filter((r) => r.result === 'fail').length);

    // Nothing changed: an unrelated label makes the controller reconcile orders again, and the report is not written
    // (an identical apply would not change resourceVersion either: the controller's count of writes tells).
    const before = await reconciles(controller);
    const writes = await reportWrites(controller);
    expect(writes).toBeGreaterThanOrEqual(1);
    await adminClients().custom.patchNamespacedCustomObject(
      { group: 'serving.knative.dev', version: 'v1', namespace, plural: 'services', name: 'orders', body: { metadata: { labels: { team: 'shop' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await vi.waitFor(async () => expect(await reconciles(controller)).toBeGreaterThan(before), poll);
    await controller.reportsWritten();
    expect((await reports('wgpolicyk8s', namespace))[0]?.metadata?.resourceVersion).toBe(report.metadata?.resourceVersion);
    expect(await reportWrites(controller)).toBe(writes);

    // The finding fixed: orders' threads-mismatch result goes, carts' stays.
    await setContainerConcurrency(namespace, 'orders', 8);
    await vi.waitFor(async () => {
      const rec = await recommendation(namespace, 'service-orders');
      expect(rec?.status?.findings?.map((f) => f.rule)).not.toContain('concurrency.threads-mismatch');
    }, poll);
    await vi.waitFor(async () => {
      const [now] = await reports('wgpolicyk8s', namespace);
      const lines = resultLines(now!);
      expect(lines.filter((l) => l.startsWith('orders concurrency.threads-mismatch'))).toEqual([]);
      expect(lines.filter((l) => l.startsWith('carts concurrency.threads-mismatch'))).toHaveLength(1);
      expect(lines).toEqual(await findingLines(namespace, ['orders', 'carts']));
    }, poll);

    // carts deleted: its results go with it.
    await adminClients().objects.delete({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'carts', namespace } });
    await vi.waitFor(async () => {
      const [now] = await reports('wgpolicyk8s', namespace);
      expect((now?.results ?? []).filter((r) => r.resources[0]!.name === 'carts')).toEqual([]);
      expect(resultLines(now!)).toEqual(await findingLines(namespace, ['orders']));
    }, poll);
    // Four rounds of change and report write: more than the default minute on a busy machine.
  }, 120_000);

  it('after a restart rewrites no unchanged report, and deletes one whose workloads went while it was down', async () => {
    const namespace = await uniqueNamespace('ctl-polrep-restart');
    await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await create(tuningPolicy(namespace, 'default', { mode: 'Recommend' }));
    const options = { policyReports: { api: 'wgpolicyk8s' as const, flushDelayMs: 100 } };
    const first = await startTestController(namespace, options);
    await recommended(namespace, ['orders']);
    await vi.waitFor(async () => expect((await reports('wgpolicyk8s', namespace))[0]?.results?.length ?? 0).toBeGreaterThan(0), poll);
    const written = (await reports('wgpolicyk8s', namespace))[0]!;
    await first.stop();

    // Same findings: the new leader reads the report back and has nothing to write.
    const second = await startTestController(namespace, options);
    // Its two keys, the policy and the Service, both reconciled.
    await vi.waitFor(async () => expect(await reconciles(second)).toBeGreaterThanOrEqual(2), poll);
    await second.reportsWritten();
    expect(await reportWrites(second)).toBe(0);
    const after = (await reports('wgpolicyk8s', namespace))[0]!;
    expect(after.metadata?.resourceVersion).toBe(written.metadata?.resourceVersion);
    await second.stop();

    // The only workload deleted while no controller ran: the next one deletes the namespace's report.
    await adminClients().objects.delete({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'orders', namespace } });
    const third = await startTestController(namespace, options);
    await vi.waitFor(async () => expect(await reports('wgpolicyk8s', namespace)).toEqual([]), poll);
    const { body } = await operations(third.port, '/metrics');
    expect(metricValue(body, 'pytuner_policy_report_writes_total{operation="delete"}')).toBe(1);
  });

  it('pytuner controller --policy-reports openreports writes an openreports.io Report instead', async () => {
    const namespace = await uniqueNamespace('ctl-openrep');
    await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await create(tuningPolicy(namespace, 'default', { mode: 'Recommend' }));
    const child = spawnController(['--namespace', namespace, '--policy-reports', 'openreports']);
    await child.port();
    await recommended(namespace, ['orders']);
    const expected = await findingLines(namespace, ['orders']);
    await vi.waitFor(async () => {
      const [report] = await reports('openreports', namespace);
      expect(report?.source).toBe('pytuner');
      expect(resultLines(report!)).toEqual(expected);
    }, poll);
    expect(await reports('wgpolicyk8s', namespace)).toEqual([]);
  });

  it('writes no report when policy reports are off (the default)', async () => {
    const namespace = await uniqueNamespace('ctl-norep');
    await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await create(tuningPolicy(namespace, 'default', { mode: 'Recommend' }));
    const controller = await startTestController(namespace);
    await recommended(namespace, ['orders']);
    await controller.reportsWritten();
    // Longer than the default delay before a report is written.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await reports('wgpolicyk8s', namespace)).toEqual([]);
    expect(await reports('openreports', namespace)).toEqual([]);
  });
});
