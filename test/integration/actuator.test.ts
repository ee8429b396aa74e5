// The actuator against the real API server: plans built from live objects (with their managedFields), run by
// src/actuator/apply.ts, and read back. Also the evidence for how workloads are patched (see plan.ts): the report's
// JSON Patch under the actuator's guards; Knative's CRD makes `containers` an atomic list, so server-side apply of one
// env entry would replace the whole list.
import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import { TuningPolicySpec, type TuningPolicySpec as PolicySpec } from '../../src/api/v1alpha1/tuningPolicy.ts';
import type { RecommendedValue, TuningRecommendationStatus } from '../../src/api/v1alpha1/tuningRecommendation.ts';
import { createActuator, recommendationObject } from '../../src/actuator/apply.ts';
import { fieldOwners, field, named, type ManagedFieldsEntry } from '../../src/actuator/managedFields.ts';
import { planActuation, type LiveWorkload, type Plan } from '../../src/actuator/plan.ts';
import { statusAfterActuation } from '../../src/actuator/status.ts';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';

const { objects, custom, apps, kubeConfig } = adminClients();
const IMAGE = 'europe-docker.pkg.dev/demo/api:1.0.0';
const NOW = new Date('2026-03-01T12:00:00Z');

/** Applies `body` as another tool would (a deploy tool, a GitOps controller). */
function applyAs(manager: string, body: KubernetesObject, force = false) {
  return objects.patch(body, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);
}

function knativeService(namespace: string, podSpec: Record<string, unknown>): KubernetesObject {
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'api', namespace }, spec: { template: { spec: podSpec } } } as KubernetesObject;
}

function deployment(namespace: string, container: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: IMAGE, ...container }] } },
    },
  } as KubernetesObject;
}

/** What Knative's controller would write: the latest generation observed and Ready=True. */
async function markKnativeReady(namespace: string): Promise<LiveWorkload> {
  const live = await read(knativeService(namespace, {}));
  await custom.patchNamespacedCustomObjectStatus(
    {
      group: 'serving.knative.dev',
      version: 'v1',
      namespace,
      plural: 'services',
      name: 'api',
      // With lastTransitionTime, as Knative's controller writes it: Knative's webhook turns a missing one into null.
      body: { status: { observedGeneration: live.metadata.generation, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: NOW.toISOString().replace(/\.\d{3}Z$/, 'Z') }] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return read(live as KubernetesObject);
}

/** What the Deployment controller would write after a finished rollout of `replicas`. */
async function markRolledOut(namespace: string): Promise<LiveWorkload> {
  const live = await read(deployment(namespace, {}));
  await apps.patchNamespacedDeploymentStatus(
    { name: 'web', namespace, body: { status: { observedGeneration: live.metadata.generation, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return read(live as KubernetesObject);
}

async function read(ref: KubernetesObject): Promise<LiveWorkload> {
  const { apiVersion, kind, metadata } = ref;
  return (await objects.read({ apiVersion, kind, metadata: { name: metadata?.name ?? '', namespace: metadata?.namespace ?? '' } })) as unknown as LiveWorkload;
}

function policy(spec: Record<string, unknown>): { metadata: { name: string }; spec: PolicySpec } {
  return { metadata: { name: 'tune' }, spec: TuningPolicySpec.parse({ mode: 'Apply', ...spec }) };
}

function recommending(...values: Omit<RecommendedValue, 'confidence'>[]): TuningRecommendationStatus {
  return { recommendations: values.map((v) => ({ confidence: 0.9, ...v })) };
}

function podSpecOf(live: LiveWorkload): Record<string, unknown> {
  return (live.spec as { template: { spec: Record<string, unknown> } }).template.spec;
}

function containersOf(live: LiveWorkload): { name: string; image?: string; env?: { name: string; value?: string }[] }[] {
  return podSpecOf(live).containers as { name: string; image?: string; env?: { name: string; value?: string }[] }[];
}

const CONTAINERS = [field('spec'), field('template'), field('spec'), field('containers')];
const CONCURRENCY = [field('spec'), field('template'), field('spec'), field('containerConcurrency')];

function owners(live: LiveWorkload, path: Parameters<typeof fieldOwners>[1]): string[] {
  return fieldOwners(live.metadata.managedFields as ManagedFieldsEntry[], path, '');
}

async function eventsAbout(namespace: string, name: string): Promise<{ reason?: string; type?: string; note?: string; reportingController?: string }[]> {
  const list = await objects.list('events.k8s.io/v1', 'Event', namespace);
  return (list.items as { regarding?: { name?: string }; reason?: string; type?: string; note?: string; reportingController?: string }[])
    .filter((e) => e.regarding?.name === name)
    .map(({ reason, type, note, reportingController }) => ({ reason, type, note, reportingController }));
}

function expectApply(plan: Plan): Extract<Plan, { kind: 'apply' }> {
  expect(plan.kind).toBe('apply');
  return plan as Extract<Plan, { kind: 'apply' }>;
}

describe('actuator: Knative Service', () => {
  const actuator = createActuator(kubeConfig, { reportingInstance: 'actuator-test', clock: () => NOW });

  it('patches containerConcurrency (JSON Patch, pytuner then owns it), leaving the deploy tool its containers, and emits an Event with old and new values', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', knativeService(namespace, { containerConcurrency: 80, containers: [{ name: 'app', image: IMAGE }] }));
    // The deploy tool owns containerConcurrency 80: force is needed; here the policy allows taking it over.
    const live = await markKnativeReady(namespace);
    const plan = planActuation({
      policy: policy({ patch: { containerConcurrency: true }, force: true }),
      recommendation: recommending({ setting: 'containerConcurrency', rule: 'concurrency.latency', value: 20 }),
      live,
      now: NOW,
    });
    const apply = expectApply(plan);
    expect(apply.changes).toEqual([
      { field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', from: '80', to: '40', rule: 'concurrency.latency', recommended: '20', limitedBy: 'step' },
    ]);
    expect(apply.writes).toMatchObject([
      {
        method: 'json-patch',
        ops: [
          { op: 'replace', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
          { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 },
          { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 40 },
        ],
      },
    ]);

    const result = await actuator.execute(plan);
    expect(result.eventFailures).toEqual([]);
    expect(result.outcomes.map((o) => o.kind)).toEqual(['written']);
    expect(result.applied.map((c) => c.to)).toEqual(['40']);

    const after = await read(live as KubernetesObject);
    expect(podSpecOf(after).containerConcurrency).toBe(40);
    // toMatchObject: Knative's defaulting adds a readinessProbe and resources to every container.
    expect(containersOf(after)).toMatchObject([{ name: 'app', image: IMAGE }]);
    expect(owners(after, CONCURRENCY)).toEqual(['pytuner']);
    expect(owners(after, CONTAINERS)).toEqual(['deploy-tool']);
    expect(await eventsAbout(namespace, 'api')).toEqual([
      { reason: 'TuningApplied', type: 'Normal', note: 'containerConcurrency 80 → 40 (concurrency.latency, limited by step from 20)', reportingController: 'pytuner.dev/controller' },
    ]);
  });

  it('reports a containerConcurrency owned by another manager as a conflict and writes nothing', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('argocd-controller', knativeService(namespace, { containerConcurrency: 80, containers: [{ name: 'app', image: IMAGE }] }));
    const live = await markKnativeReady(namespace);
    const plan = planActuation({
      policy: policy({ patch: { containerConcurrency: true } }),
      recommendation: recommending({ setting: 'containerConcurrency', rule: 'concurrency.latency', value: 40 }),
      live,
      now: NOW,
    });
    expect(plan).toMatchObject({
      kind: 'none',
      reason: 'conflict',
      conflicts: [{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', manager: 'argocd-controller' }],
    });
    const result = await actuator.execute(plan);
    expect(result.outcomes).toEqual([]);
    const after = await read(live as KubernetesObject);
    expect(after.metadata).toMatchObject({ generation: live.metadata.generation });
    expect(podSpecOf(after).containerConcurrency).toBe(80);
    expect(await eventsAbout(namespace, 'api')).toEqual([
      {
        reason: 'TuningConflict',
        type: 'Warning',
        note: 'spec.template.spec.containerConcurrency is managed by argocd-controller; pytuner left it unchanged (set spec.force: true in TuningPolicy tune to take it over)',
        reportingController: 'pytuner.dev/controller',
      },
    ]);
  });

  it('refuses a patch whose field was taken after the plan was made (stale), and the plan on the object as it is now names the manager', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', knativeService(namespace, { containers: [{ name: 'app', image: IMAGE }] }));
    const live = await markKnativeReady(namespace);
    const plan = planActuation({
      policy: policy({ patch: { containerConcurrency: true } }),
      recommendation: recommending({ setting: 'containerConcurrency', rule: 'concurrency.unbounded', value: 8 }),
      live,
      now: NOW,
    });
    expectApply(plan);
    await applyAs('gitops', knativeService(namespace, { containerConcurrency: 100 }));

    const result = await actuator.execute(plan);
    // The API server runs the ops on the stored object before it compares resourceVersions: the `test` of the value
    // read (Knative's default 0) fails first, with 422.
    expect(result.outcomes).toMatchObject([{ kind: 'failed', httpStatus: 422, retry: 'stale' }]);
    expect(result.applied).toEqual([]);
    const now = await markKnativeReady(namespace); // the new generation rolled out
    expect(podSpecOf(now).containerConcurrency).toBe(100);
    const again = planActuation({
      policy: policy({ patch: { containerConcurrency: true } }),
      recommendation: recommending({ setting: 'containerConcurrency', rule: 'concurrency.unbounded', value: 8 }),
      live: now,
      now: NOW,
    });
    expect(again).toMatchObject({ kind: 'none', reason: 'conflict', conflicts: [{ field: 'spec.template.spec.containerConcurrency', setting: 'containerConcurrency', manager: 'gitops' }] });
  });

  it('shows why container fields are not server-side applied: Knative containers are atomic, so one env entry would replace the whole list', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', knativeService(namespace, { containers: [{ name: 'app', image: IMAGE, env: [{ name: 'LOG_LEVEL', value: 'info' }] }] }));

    const refused = await apiFailure(applyAs('pytuner', knativeService(namespace, { containers: [{ name: 'app', env: [{ name: 'THREADS', value: '8' }] }] })));
    expect(refused.httpStatus).toBe(409);
    expect(refused.details?.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "deploy-tool"', field: '.spec.template.spec.containers' }]);

    // Forced, the apply would own the list and the list would be exactly what it sent, without the image and LOG_LEVEL: a
    // CRD-only API server stores that, Knative's webhook refuses it, and the Service keeps its containers.
    const forced = await apiFailure(applyAs('pytuner', knativeService(namespace, { containers: [{ name: 'app', env: [{ name: 'THREADS', value: '8' }] }] }), true));
    expect(forced.httpStatus).toBe(400);
    expect(forced.message).toContain('admission webhook "validation.webhook.serving.knative.dev" denied the request');
    expect(forced.message).toContain('missing field(s): spec.template.spec.containers[0].image');
    expect(containersOf(await read(knativeService(namespace, {})))).toMatchObject([{ name: 'app', image: IMAGE, env: [{ name: 'LOG_LEVEL', value: 'info' }] }]);
  });

  it('reports THREADS as a conflict while another manager owns the containers list, and with force patches it by JSON Patch, keeping the image', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', knativeService(namespace, { containers: [{ name: 'app', image: IMAGE, env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'THREADS', value: '4' }] }] }));
    const live = await markKnativeReady(namespace);
    const recommendation = recommending({ setting: 'threads', rule: 'concurrency.threads-mismatch', container: 'app', env: 'THREADS', value: 8 });

    const held = planActuation({ policy: policy({ patch: { threadsEnv: true } }), recommendation, live, now: NOW });
    expect(held).toMatchObject({
      kind: 'none',
      reason: 'conflict',
      conflicts: [{ field: 'spec.template.spec.containers[name=app].env[name=THREADS].value', setting: 'threads', manager: 'deploy-tool' }],
    });

    const forced = expectApply(planActuation({ policy: policy({ patch: { threadsEnv: true }, force: true }), recommendation, live, now: NOW }));
    expect(forced.writes).toEqual([
      {
        method: 'json-patch',
        target: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace, name: 'api', uid: live.metadata.uid },
        ops: [
          { op: 'replace', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
          { op: 'test', path: '/spec/template/spec/containers/0/env/1/name', value: 'THREADS' },
          { op: 'replace', path: '/spec/template/spec/containers/0/env/1/value', value: '8' },
        ],
        changes: forced.changes,
        handBack: [expect.objectContaining({ manager: 'deploy-tool', operation: 'Apply' })],
      },
    ]);
    const result = await actuator.execute(forced);
    expect(result.outcomes.map((o) => o.kind)).toEqual(['written']);

    const after = await read(live as KubernetesObject);
    expect(containersOf(after)).toMatchObject([{ name: 'app', image: IMAGE, env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'THREADS', value: '8' }] }]);
    // The JSON Patch (operation Update) moved the atomic list to pytuner; the actuator handed it back, so the deploy
    // tool's next apply, not forced, succeeds (and sets THREADS back: flap detection's part).
    expect(owners(after, CONTAINERS)).toEqual(['deploy-tool']);
    await applyAs('deploy-tool', knativeService(namespace, { containers: [{ name: 'app', image: IMAGE, env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'THREADS', value: '4' }] }] }));
    expect(containersOf(await read(live as KubernetesObject))).toMatchObject([{ name: 'app', image: IMAGE, env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'THREADS', value: '4' }] }]);
  });

  it('fails a patch of a workload deleted since it was read (404, terminal), creating nothing', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', knativeService(namespace, { containers: [{ name: 'app', image: IMAGE }] }));
    const live = await markKnativeReady(namespace);
    const plan = planActuation({
      policy: policy({ patch: { containerConcurrency: true } }),
      recommendation: recommending({ setting: 'containerConcurrency', rule: 'concurrency.unbounded', value: 8 }),
      live,
      now: NOW,
    });
    await objects.delete(live as KubernetesObject);

    const result = await actuator.execute(plan);
    expect(result.outcomes).toMatchObject([{ kind: 'failed', httpStatus: 404, retry: 'terminal' }]);
    expect((await objects.list('serving.knative.dev/v1', 'Service', namespace)).items).toEqual([]);
  });

  it('fails a JSON Patch whose test guard no longer holds (422, stale: plan again), writing nothing, even without the resourceVersion guard', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('pytuner-test-setup', knativeService(namespace, { containers: [{ name: 'app', image: IMAGE, env: [{ name: 'THREADS', value: '4' }] }] }));
    const live = await markKnativeReady(namespace);
    // The test guards alone: a plan of the object without its resourceVersion (which would answer 409 first).
    const { resourceVersion: _read, ...metadata } = live.metadata;
    const plan = planActuation({
      policy: policy({ patch: { threadsEnv: true }, force: true }),
      recommendation: recommending({ setting: 'threads', rule: 'concurrency.threads-mismatch', container: 'app', env: 'THREADS', value: 8 }),
      live: { ...live, metadata },
      now: NOW,
    });
    const moved = [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'THREADS', value: '6' }];
    await applyAs('pytuner-test-setup', knativeService(namespace, { containers: [{ name: 'app', image: IMAGE, env: moved }] }));

    const result = await actuator.execute(plan);
    expect(result.outcomes).toMatchObject([{ kind: 'failed', httpStatus: 422, retry: 'stale' }]);
    expect(containersOf(await read(live as KubernetesObject))[0]?.env).toEqual(moved);
  });

  it('refuses a JSON Patch once anyone wrote the object since it was read, even elsewhere (409 on its resourceVersion), writing nothing', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('pytuner-test-setup', knativeService(namespace, { containers: [{ name: 'app', image: IMAGE }] }));
    const live = await markKnativeReady(namespace);
    const plan = planActuation({
      policy: policy({ patch: { threadsEnv: true }, force: true }),
      recommendation: recommending({ setting: 'threads', rule: 'concurrency.threads-mismatch', container: 'app', env: 'THREADS', value: 8 }),
      live,
      now: NOW,
    });
    // Someone labels the Service: every `test` of the patch still holds, only the resourceVersion moved.
    await custom.patchNamespacedCustomObject(
      { group: 'serving.knative.dev', version: 'v1', namespace, plural: 'services', name: 'api', body: { metadata: { labels: { team: 'payments' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    const result = await actuator.execute(plan);
    expect(result.outcomes).toMatchObject([{ kind: 'failed', httpStatus: 409, retry: 'stale' }]);
    expect(result.outcomes[0]?.kind === 'failed' && result.outcomes[0].message).toMatch(/the object has been modified; please apply your changes to the latest version and try again$/);
    expect(result.eventFailures).toEqual([]);
    expect(containersOf(await read(live as KubernetesObject))[0]?.env).toBeUndefined();
  });
});

describe('actuator: Deployment', () => {
  const actuator = createActuator(kubeConfig, { reportingInstance: 'actuator-test', clock: () => NOW });

  it('patches THREADS as one env entry: the deploy tool keeps the image and its other env entries, pytuner owns only THREADS', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', deployment(namespace, { env: [{ name: 'PORT', value: '8080' }] }));
    const live = await markRolledOut(namespace);
    const plan = expectApply(
      planActuation({
        policy: policy({ patch: { threadsEnv: true } }),
        recommendation: recommending({ setting: 'threads', rule: 'concurrency.threads-mismatch', container: 'app', env: 'THREADS', value: 8, current: 4 }),
        live,
        now: NOW,
      }),
    );
    expect(plan.writes).toMatchObject([
      {
        method: 'json-patch',
        ops: [
          { op: 'replace', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
          { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'THREADS', value: '8' } },
        ],
      },
    ]);
    const result = await actuator.execute(plan);
    expect(result.outcomes.map((o) => o.kind)).toEqual(['written']);

    const after = await read(live as KubernetesObject);
    expect(containersOf(after)).toMatchObject([{ name: 'app', image: IMAGE, env: [{ name: 'PORT', value: '8080' }, { name: 'THREADS', value: '8' }] }]);
    const env = (name: string) => [...CONTAINERS, named('app'), field('env'), named(name), field('value')];
    expect(owners(after, env('THREADS'))).toEqual(['pytuner']);
    expect(owners(after, env('PORT'))).toEqual(['deploy-tool']);
    expect(owners(after, [...CONTAINERS, named('app'), field('image')])).toEqual(['deploy-tool']);
    expect(await eventsAbout(namespace, 'web')).toEqual([
      { reason: 'TuningApplied', type: 'Normal', note: 'THREADS unset → 8 (concurrency.threads-mismatch)', reportingController: 'pytuner.dev/controller' },
    ]);
  });

  it('does not patch while a rollout is in progress', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', deployment(namespace, {}));
    const live = await read(deployment(namespace, {})); // no controller ran: nothing observed, nothing updated
    expect(
      planActuation({
        policy: policy({ patch: { threadsEnv: true } }),
        recommendation: recommending({ setting: 'threads', rule: 'concurrency.threads-mismatch', container: 'app', env: 'THREADS', value: 8 }),
        live,
        now: NOW,
      }),
    ).toMatchObject({ kind: 'none', reason: 'rollout-in-progress', message: 'Deployment web: generation 1 not observed yet (observedGeneration 0)' });
  });

  it('reports THREADS owned by another manager as a conflict without writing; force takes it over', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('flux', deployment(namespace, { env: [{ name: 'THREADS', value: '4' }] }));
    const live = await markRolledOut(namespace);
    const recommendation = recommending({ setting: 'threads', rule: 'concurrency.threads-mismatch', container: 'app', env: 'THREADS', value: 8 });

    const held = planActuation({ policy: policy({ patch: { threadsEnv: true } }), recommendation, live, now: NOW });
    expect(held).toMatchObject({ kind: 'none', reason: 'conflict', conflicts: [{ manager: 'flux', setting: 'threads' }] });
    await actuator.execute(held);
    const unchanged = await read(live as KubernetesObject);
    expect(unchanged.metadata).toMatchObject({ generation: live.metadata.generation });

    const forced = expectApply(planActuation({ policy: policy({ patch: { threadsEnv: true }, force: true }), recommendation, live: unchanged, now: NOW }));
    expect(forced.writes).toMatchObject([{ method: 'json-patch' }]);
    expect((await actuator.execute(forced)).outcomes.map((o) => o.kind)).toEqual(['written']);
    const after = await read(live as KubernetesObject);
    expect(containersOf(after)[0]?.env).toEqual([{ name: 'THREADS', value: '8' }]);
    expect(owners(after, [...CONTAINERS, named('app'), field('env'), named('THREADS'), field('value')])).toEqual(['pytuner']);
  });
});

describe('actuator: TuningRecommendation and IAMPolicyMember', () => {
  const actuator = createActuator(kubeConfig, { reportingInstance: 'actuator-test', clock: () => NOW });

  it('creates the TuningRecommendation owned by its workload, content included, in one write; an equal one is not written again', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', deployment(namespace, {}));
    const live = await markRolledOut(namespace);
    const recommendation = recommending({ setting: 'threads', rule: 'concurrency.threads-mismatch', container: 'app', env: 'THREADS', value: 8 });
    const plan = planActuation({ policy: policy({ patch: { threadsEnv: true } }), recommendation, live, now: NOW });
    const result = await actuator.execute(plan);
    const status = statusAfterActuation({ ...recommendation, lastEvaluated: '2026-03-01T12:00:00Z' }, result, 'tune', NOW);

    const first = await actuator.writeRecommendation({ ...recommendationObject(live, 'tune'), status });
    expect(first.written).toBe(true);
    expect(first.recommendation.metadata).toMatchObject({
      name: 'deployment-web',
      namespace,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: live.metadata.uid }],
    });
    expect(first.recommendation.spec).toEqual({ targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, policy: 'tune' });
    expect(first.recommendation.status).toEqual(status);
    expect(first.recommendation.status?.applied).toMatchObject({
      at: '2026-03-01T12:00:00Z',
      policy: 'tune',
      generation: 2,
      fields: ['spec.template.spec.containers[name=app].env[name=THREADS].value'],
    });
    expect(first.recommendation.status?.previous).toEqual({ 'spec.template.spec.containers[name=app].env[name=THREADS].value': '' });

    const again = { ...recommendationObject(live, 'tune'), status: statusAfterActuation(first.recommendation.status, result, 'tune', NOW) };
    const second = await actuator.writeRecommendation(again, first.recommendation);
    expect(second.written).toBe(false);
    const reread = await objects.read({ apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningRecommendation', metadata: { name: 'deployment-web', namespace } });
    expect(reread.metadata?.resourceVersion).toBe(first.recommendation.metadata.resourceVersion);
    // The write's answer is the metadata alone; what it returns is what the server stored.
    expect((reread as KubernetesObject & { status?: unknown }).status).toEqual(first.recommendation.status);
    expect([reread.metadata?.uid, reread.metadata?.labels, reread.metadata?.ownerReferences]).toEqual([first.recommendation.metadata.uid, first.recommendation.metadata.labels, first.recommendation.metadata.ownerReferences]);
    // A new policy label is a change even with the same status.
    expect((await actuator.writeRecommendation({ ...recommendationObject(live, 'other'), status: again.status }, first.recommendation)).written).toBe(true);

    // Within the cooldown, the next plan writes nothing and says when to come back.
    expect(planActuation({ policy: policy({ patch: { threadsEnv: true } }), recommendation: first.recommendation.status, live: await markRolledOut(namespace), now: new Date('2026-03-01T12:10:00Z') })).toMatchObject({
      kind: 'none',
      reason: 'cooldown',
      retryAfterMs: 50 * 60_000,
    });
  });

  it('writes the status whole: a field left out of the next status (a cleared conflict) is removed', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', deployment(namespace, {}));
    const live = await markRolledOut(namespace);
    const conflicted: TuningRecommendationStatus = {
      lastEvaluated: '2026-03-01T12:00:00Z',
      conflicts: [{ field: 'spec.template.spec.containers[name=app].env[name=THREADS].value', setting: 'threads', manager: 'flux' }],
    };
    const first = await actuator.writeRecommendation({ ...recommendationObject(live, 'tune'), status: conflicted });
    expect(first.recommendation.status).toEqual(conflicted);
    const second = await actuator.writeRecommendation({ ...recommendationObject(live, 'tune'), status: { lastEvaluated: '2026-03-01T13:00:00Z' } }, first.recommendation);
    expect(second).toMatchObject({ written: true, recommendation: { status: { lastEvaluated: '2026-03-01T13:00:00Z' } } });
    expect(second.recommendation.status?.conflicts).toBeUndefined();
    const stored = await objects.read({ apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningRecommendation', metadata: { name: 'deployment-web', namespace } });
    expect((stored as KubernetesObject & { status?: unknown }).status).toEqual({ lastEvaluated: '2026-03-01T13:00:00Z' });
  });

  it('creates a recommendation it has no copy of, patches one it has: labels another manager added stay, a copy that is out of date still lands', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', deployment(namespace, {}));
    const live = await markRolledOut(namespace);
    const ref = { apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningRecommendation', metadata: { name: 'deployment-web', namespace } };
    const first = await actuator.writeRecommendation({ ...recommendationObject(live, 'tune'), status: { lastEvaluated: '2026-03-01T12:00:00Z' } });
    expect((first.recommendation.metadata.managedFields as ManagedFieldsEntry[] | undefined)?.map((m) => [m.manager, m.operation])).toEqual([['pytuner', 'Update']]);
    await objects.patch({ ...ref, metadata: { ...ref.metadata, labels: { 'team/owner': 'payments' } } } as KubernetesObject, undefined, undefined, 'kubectl-label', undefined, PatchStrategy.MergePatch);

    // Patched from the creation's copy: a new policy (label and spec) and status; the other label stays.
    const second = await actuator.writeRecommendation({ ...recommendationObject(live, 'other'), status: { lastEvaluated: '2026-03-01T13:00:00Z' } }, first.recommendation);
    expect(second.recommendation.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'pytuner', 'pytuner.dev/policy': 'other', 'team/owner': 'payments' });
    expect(second.recommendation.spec.policy).toBe('other');

    // No copy although it exists (a previous leader wrote it): the create answers 409, and it is patched instead.
    const third = await actuator.writeRecommendation({ ...recommendationObject(live, 'other'), status: { lastEvaluated: '2026-03-01T14:00:00Z' } });
    expect(third.recommendation.status).toEqual({ lastEvaluated: '2026-03-01T14:00:00Z' });
    expect(third.recommendation.metadata.labels?.['team/owner']).toBe('payments');

    // A copy of an object deleted since: the patch answers 404, and it is created again.
    await objects.delete(ref as KubernetesObject);
    await vi.waitFor(async () => expect(await objects.read(ref).then(() => 'there', () => 'gone')).toBe('gone'));
    const fourth = await actuator.writeRecommendation({ ...recommendationObject(live, 'other'), status: { lastEvaluated: '2026-03-01T15:00:00Z' } }, third.recommendation);
    expect(fourth.recommendation.metadata.uid).not.toBe(third.recommendation.metadata.uid);
    expect((await objects.read(ref)).metadata?.resourceVersion).toBe(fourth.recommendation.metadata.resourceVersion);
  });

  it('creates the profiler IAMPolicyMember only when the policy allows it', async () => {
    const namespace = await uniqueNamespace('act');
    await applyAs('deploy-tool', deployment(namespace, {}));
    const live = await markRolledOut(namespace);
    const recommendation = recommending({
      setting: 'profilerIamPolicyMember',
      rule: 'profiler.iam-role',
      iamPolicyMember: {
        name: 'api-cloudprofiler-agent',
        member: 'serviceAccount:api@demo-project.iam.gserviceaccount.com',
        role: 'roles/cloudprofiler.agent',
        resourceRef: { kind: 'Project', external: 'projects/demo-project' },
      },
    });
    expect(planActuation({ policy: policy({ patch: { threadsEnv: true } }), recommendation, live, now: NOW })).toMatchObject({
      kind: 'none',
      reason: 'nothing-to-do',
      skipped: [{ setting: 'profilerIamPolicyMember', reason: 'not-allowed' }],
    });

    const plan = expectApply(planActuation({ policy: policy({ patch: { profilerIamPolicyMember: true } }), recommendation, live, now: NOW }));
    expect((await actuator.execute(plan)).outcomes.map((o) => o.kind)).toEqual(['written']);
    const member = await objects.read({ apiVersion: 'iam.cnrm.cloud.google.com/v1beta1', kind: 'IAMPolicyMember', metadata: { name: 'api-cloudprofiler-agent', namespace } });
    expect((member as unknown as { spec: unknown }).spec).toEqual({
      member: 'serviceAccount:api@demo-project.iam.gserviceaccount.com',
      role: 'roles/cloudprofiler.agent',
      resourceRef: { kind: 'Project', external: 'projects/demo-project' },
    });
  });
});
