// The controller in-process against the real control plane: each test has its own namespace, a controller that
// watches only that namespace, and sets the workloads' status itself (no Knative or deployment controller runs).
// Every Service write goes through the real Knative webhook, which stores an unset containerConcurrency as 0.
import { describe, expect, it, vi } from 'vitest';
import { setHeaderOptions } from '@kubernetes/client-node';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import {
  GUNICORN_1X8,
  applyAs,
  condition,
  containerConcurrencyOwners,
  create,
  eventsAbout,
  knativeService,
  markDeploymentRolledOut,
  markServiceReady,
  metricValue,
  operations,
  readService,
  recommendation,
  startTestController,
  tuningPolicy,
} from './controller.support.ts';

const poll = { timeout: 20_000, interval: 100 };

describe('controller', () => {
  it('recommends in Recommend mode without touching the Service', async () => {
    const namespace = await uniqueNamespace('ctl-rec');
    const created = await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8, annotations: { 'pytuner.dev/health-path': '/healthz' } }));
    await create(tuningPolicy(namespace, 'default', { mode: 'Recommend' }));
    const controller = await startTestController(namespace);

    const rec = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(r?.status?.findings).toBeDefined();
      return r!;
    }, poll);
    expect(rec.spec).toEqual({ targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders' }, policy: 'default' });
    expect(rec.metadata.ownerReferences).toEqual([{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'orders', uid: created.metadata?.uid }]);
    const mismatch = rec.status?.findings?.find((f) => f.rule === 'concurrency.threads-mismatch');
    expect(mismatch).toMatchObject({ severity: 'critical', container: 'app', current: { containerConcurrency: '80', requestSlots: '8' }, recommended: { containerConcurrency: '8' } });
    expect(rec.status?.recommendations).toEqual([
      expect.objectContaining({ setting: 'containerConcurrency', rule: 'concurrency.threads-mismatch', value: 8, current: 80, confidence: 1 }),
      expect.objectContaining({ setting: 'startupProbe', rule: 'startup.probe-missing', container: 'app', startupProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 60 } }),
    ]);
    expect(rec.status?.basis).toBe('rules');
    expect(condition(rec.status, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'StaticOnly' });
    expect(condition(rec.status, 'Applied')).toMatchObject({ status: 'False', reason: 'RecommendOnly' });
    expect(rec.status?.summary?.recommended).toBe('containerConcurrency 8, startupProbe httpGet /healthz:8080 [app]');
    expect(rec.status?.applied).toBeUndefined();

    const live = await readService(namespace, 'orders');
    expect(live.metadata?.generation).toBe(1);
    expect(live.spec.template.spec['containerConcurrency']).toBe(80);
    expect((live.metadata?.managedFields ?? []).map((m) => m.manager)).not.toContain('pytuner');

    // The policy's status counts its targets and says the values come from the rules alone.
    await vi.waitFor(async () => {
      const policy = (await adminClients().custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'default' })) as {
        status?: { targets?: number; recommendations?: number; observedGeneration?: number; conditions?: { type: string; status: string; reason: string; message: string }[] };
      };
      expect(policy.status).toMatchObject({ targets: 1, recommendations: 1, observedGeneration: 1 });
      expect(condition(policy.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled', message: '1 workload governed' });
      expect(condition(policy.status, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'StaticOnly' });
    }, poll);
    // Recommend mode writes the recommendation and nothing else: no Event (one write per changed recommendation). The
    // policy's status above was written by a later reconcile than the recommendation's, so an Event would be in by now.
    expect(await eventsAbout(namespace, 'orders')).toEqual([]);

    const ready = await operations(controller.port, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toContain('[+]caches: synced (core=on pytuner=on knative=on configConnector=on)');
    const metrics = await operations(controller.port, '/metrics');
    expect(metricValue(metrics.body, 'pytuner_recommendations{rule="concurrency.threads-mismatch"}')).toBe(1);
    expect(metricValue(metrics.body, 'pytuner_reconciles_total{result="requeue"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics.body, 'pytuner_patches_applied_total')).toBeUndefined();

  });

  it('applies containerConcurrency once in Apply mode, then not again until the cooldown has passed', async () => {
    const namespace = await uniqueNamespace('ctl-apply');
    // The deploy tool leaves containerConcurrency out; Knative's webhook stores it as 0 (unlimited).
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8 }), 'deploy-tool');
    const deployed = await readService(namespace, 'orders');
    expect(deployed.spec.template.spec['containerConcurrency']).toBe(0);
    expect(containerConcurrencyOwners(deployed)).toEqual([]);
    await markServiceReady(namespace, 'orders');
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', cooldown: '8s', patch: { containerConcurrency: true } }));
    const controller = await startTestController(namespace);

    const patched = await vi.waitFor(async () => {
      const live = await readService(namespace, 'orders');
      expect(live.spec.template.spec['containerConcurrency']).toBe(8);
      return live;
    }, poll);
    expect(patched.metadata?.generation).toBe(2);
    expect(containerConcurrencyOwners(patched)).toEqual(['pytuner']);
    const applied = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(r?.status?.applied).toBeDefined();
      return r!;
    }, poll);
    expect(applied.status?.applied).toMatchObject({
      policy: 'apply',
      generation: 2,
      fields: ['spec.template.spec.containerConcurrency'],
      changes: [{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', to: '8', rule: 'concurrency.unbounded' }],
    });
    // The roll-back value is the 0 Knative stored, not "unset".
    expect(applied.status?.previous).toEqual({ 'spec.template.spec.containerConcurrency': '0' });
    await vi.waitFor(async () => {
      expect(await eventsAbout(namespace, 'orders')).toEqual([{ reason: 'TuningApplied', type: 'Normal', note: 'containerConcurrency 0 → 8 (concurrency.unbounded)' }]);
    }, poll);

    // The deploy tool doubles the threads: pytuner now wants 16, but the cooldown holds the change back.
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8.map((a) => (a === '8' ? '16' : a)) }), 'deploy-tool');
    const held = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(r?.status?.recommendations?.[0]?.value).toBe(16);
      expect(condition(r?.status, 'Applied')?.reason).toBe('Cooldown');
      return r!;
    }, poll);
    expect(held.status?.applied?.at).toBe(applied.status?.applied?.at);
    expect((await readService(namespace, 'orders')).spec.template.spec['containerConcurrency']).toBe(8);

    // After the cooldown (and once the new revision is Ready) the next step is applied.
    await markServiceReady(namespace, 'orders');
    await vi.waitFor(async () => expect((await readService(namespace, 'orders')).spec.template.spec['containerConcurrency']).toBe(16), { timeout: 30_000, interval: 250 });
    await vi.waitFor(async () => {
      const events = (await eventsAbout(namespace, 'orders')).filter((e) => e.reason === 'TuningApplied').map((e) => e.note);
      expect(events.sort()).toEqual(['containerConcurrency 0 → 8 (concurrency.unbounded)', 'containerConcurrency 8 → 16 (concurrency.threads-mismatch)']);
    }, poll);
    const metrics = await operations(controller.port, '/metrics');
    expect(metricValue(metrics.body, 'pytuner_patches_applied_total{kind="Service",field="containerConcurrency"}')).toBe(2);
  });

  it('reports a field owned by another manager as a conflict and an Event, and does not write it', async () => {
    const namespace = await uniqueNamespace('ctl-conflict');
    await applyAs(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }), 'gitops');
    await markServiceReady(namespace, 'orders');
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', patch: { containerConcurrency: true } }));
    const controller = await startTestController(namespace);

    const rec = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(r?.status?.conflicts).toBeDefined();
      return r!;
    }, poll);
    expect(rec.status?.conflicts).toEqual([{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', manager: 'gitops' }]);
    expect(condition(rec.status, 'Conflict')).toMatchObject({ status: 'True', reason: 'FieldManagerConflict', message: 'spec.template.spec.containerConcurrency is managed by gitops' });
    expect(condition(rec.status, 'Applied')).toMatchObject({ status: 'False', reason: 'Conflict' });
    await vi.waitFor(async () => {
      expect(await eventsAbout(namespace, 'orders')).toEqual([
        {
          reason: 'TuningConflict',
          type: 'Warning',
          note: 'spec.template.spec.containerConcurrency is managed by gitops; pytuner left it unchanged (set spec.force: true in TuningPolicy apply to take it over)',
        },
      ]);
    }, poll);
    const live = await readService(namespace, 'orders');
    expect(live.spec.template.spec['containerConcurrency']).toBe(80);
    expect(live.metadata?.generation).toBe(1);
    expect(containerConcurrencyOwners(live)).toEqual(['gitops']);
    const metrics = await operations(controller.port, '/metrics');
    expect(metricValue(metrics.body, 'pytuner_apply_conflicts_total{kind="Service"}')).toBeGreaterThanOrEqual(1);
  });

  it('writes a startup probe only with a known health path and a port the kubelet can reach', async () => {
    const namespace = await uniqueNamespace('ctl-probe');
    const healthPath = { 'pytuner.dev/health-path': '/healthz' };
    const loopback = ['gunicorn', '--workers', '1', '--threads', '8', '--bind', '127.0.0.1:8080', 'app:app'];
    for (const [name, spec] of [
      ['known', { containerConcurrency: 8, args: GUNICORN_1X8, annotations: healthPath }],
      ['nopath', { containerConcurrency: 8, args: GUNICORN_1X8 }],
      ['loopback', { containerConcurrency: 8, args: loopback, annotations: healthPath }],
    ] as const) {
      await applyAs(knativeService(namespace, name, spec), 'deploy-tool');
      await markServiceReady(namespace, name);
    }
    // force: Knative's containers list is atomic, so the JSON patch of a probe takes it over from deploy-tool.
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', force: true, patch: { startupProbe: true } }));
    await startTestController(namespace);

    await vi.waitFor(async () => {
      const live = await readService(namespace, 'known');
      const container = (live.spec.template.spec['containers'] as Array<Record<string, unknown>>)[0];
      expect(container?.['startupProbe']).toEqual({ httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 60 });
    }, poll);
    for (const name of ['nopath', 'loopback']) {
      const rec = await vi.waitFor(async () => {
        const r = await recommendation(namespace, `service-${name}`);
        expect(r?.status?.findings?.some((f) => f.rule === 'startup.probe-missing')).toBe(true);
        return r!;
      }, poll);
      expect(rec.status?.recommendations ?? []).toEqual([]);
      expect(rec.status?.findings?.find((f) => f.rule === 'startup.probe-missing')?.recommended).toEqual({ preload: 'true' });
      const live = await readService(namespace, name);
      expect(live.metadata?.generation).toBe(1);
      expect((live.spec.template.spec['containers'] as Array<Record<string, unknown>>)[0]?.['startupProbe']).toBeUndefined();
    }
  });

  it('does nothing to a paused workload', async () => {
    const namespace = await uniqueNamespace('ctl-paused');
    await applyAs(knativeService(namespace, 'orders', { args: GUNICORN_1X8, annotations: { 'pytuner.dev/paused': 'true' } }), 'deploy-tool');
    await markServiceReady(namespace, 'orders');
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', patch: { containerConcurrency: true } }));
    await startTestController(namespace);

    const rec = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(condition(r?.status, 'Applied')?.reason).toBe('Paused');
      return r!;
    }, poll);
    expect(condition(rec.status, 'Applied')?.message).toBe('Service orders has pytuner.dev/paused: "true"');
    const live = await readService(namespace, 'orders');
    expect(live.metadata?.generation).toBe(1);
    expect(live.spec.template.spec['containerConcurrency']).toBe(0);
    expect(await eventsAbout(namespace, 'orders')).toEqual([]);
  });

  it('creates the profiler role\'s IAMPolicyMember only once the policy allows it', async () => {
    const namespace = await uniqueNamespace('ctl-iam');
    const { core, apps, custom } = adminClients();
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reports', annotations: { 'iam.gke.io/gcp-service-account': 'reports@analytics-prod.iam.gserviceaccount.com' } } } });
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'reports' },
        spec: {
          selector: { matchLabels: { app: 'reports' } },
          template: {
            metadata: { labels: { app: 'reports' } },
            spec: {
              serviceAccountName: 'reports',
              containers: [{ name: 'reports', image: 'python:3.13-slim', args: ['gunicorn', '--workers', '2', '--bind', ':8080', 'reports:app'], env: [{ name: 'GOOGLE_CLOUD_PROFILER_SERVICE', value: 'reports' }] }],
            },
          },
        },
      },
    });
    await markDeploymentRolledOut(namespace, 'reports');
    // Apply mode, but only startupProbe allowed: the IAMPolicyMember is recommended, not created.
    await create(tuningPolicy(namespace, 'apply', { mode: 'Apply', patch: { startupProbe: true }, rules: { enabled: ['profiler.iam-role'] } }));
    await startTestController(namespace);
    const listMembers = async () =>
      ((await custom.listNamespacedCustomObject({ group: 'iam.cnrm.cloud.google.com', version: 'v1beta1', namespace, plural: 'iampolicymembers' })) as { items: Array<{ metadata: { name: string }; spec: Record<string, unknown> }> }).items;

    const rec = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'deployment-reports');
      expect(condition(r?.status, 'Applied')?.reason).toBe('NotApplicable');
      return r!;
    }, poll);
    expect(rec.status?.recommendations).toEqual([
      expect.objectContaining({
        setting: 'profilerIamPolicyMember',
        rule: 'profiler.iam-role',
        iamPolicyMember: {
          name: 'reports-cloudprofiler-agent',
          member: 'serviceAccount:reports@analytics-prod.iam.gserviceaccount.com',
          role: 'roles/cloudprofiler.agent',
          resourceRef: { kind: 'Project', external: 'projects/analytics-prod' },
        },
      }),
    ]);
    expect(await listMembers()).toEqual([]);

    await custom.patchNamespacedCustomObject(
      { group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'apply', body: { spec: { patch: { profilerIamPolicyMember: true } } } },
      setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    );
    const members = await vi.waitFor(async () => {
      const items = await listMembers();
      expect(items).toHaveLength(1);
      return items;
    }, poll);
    expect(members[0]?.metadata.name).toBe('reports-cloudprofiler-agent');
    expect(members[0]?.spec).toEqual({
      member: 'serviceAccount:reports@analytics-prod.iam.gserviceaccount.com',
      role: 'roles/cloudprofiler.agent',
      resourceRef: { kind: 'Project', external: 'projects/analytics-prod' },
    });
    // The grant now exists among the inputs, so the rule is satisfied and nothing further is recommended.
    await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'deployment-reports');
      expect(r?.status?.findings).toEqual([]);
    }, poll);
  });
});
