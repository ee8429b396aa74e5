// pytuner's own CRDs (crds/*.yaml, generated from src/api/v1alpha1 by scripts/gen-crds.ts) in the real API server:
// defaults applied by the server equal zod's, invalid objects are refused at admission with the field named, the
// status subresource and the printer columns work.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiextensionsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { TuningPolicy, TuningPolicySpec } from '../../src/api/v1alpha1/tuningPolicy.ts';
import { TuningRecommendation } from '../../src/api/v1alpha1/tuningRecommendation.ts';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';

const { custom, kubeConfig } = adminClients();
const GROUP = { group: 'pytuner.dev', version: 'v1alpha1' };
const POLICIES = { ...GROUP, plural: 'tuningpolicies' };
const RECOMMENDATIONS = { ...GROUP, plural: 'tuningrecommendations' };

function createPolicy(namespace: string, name: string, spec: Record<string, unknown>) {
  return custom.createNamespacedCustomObject({
    ...POLICIES,
    namespace,
    body: { apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { name }, spec },
    fieldValidation: 'Strict',
  });
}

function createRecommendation(namespace: string, name: string, spec: Record<string, unknown>) {
  return custom.createNamespacedCustomObject({
    ...RECOMMENDATIONS,
    namespace,
    body: { apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningRecommendation', metadata: { name }, spec },
    fieldValidation: 'Strict',
  });
}

/** The causes of a refusal as `field: message` lines, sorted. */
async function refusal(request: Promise<unknown>): Promise<{ httpStatus: number; causes: string[] }> {
  const status = await apiFailure(request);
  return { httpStatus: status.httpStatus, causes: (status.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`).sort() };
}

async function kubectl(...args: string[]): Promise<string> {
  const { kubeconfigPath, binDir } = inject('controlPlane');
  const { stdout } = await promisify(execFile)(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfigPath, ...args], { encoding: 'utf8' });
  return stdout;
}

describe('TuningPolicy CRD', () => {
  it('is installed from crds/ with short name tp, the status subresource and the printer columns', async () => {
    expect(inject('controlPlane').crdNames).toEqual(expect.arrayContaining(['tuningpolicies.pytuner.dev', 'tuningrecommendations.pytuner.dev']));
    const crd = await kubeConfig.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: 'tuningpolicies.pytuner.dev' });
    expect(crd.spec.names.shortNames).toEqual(['tp']);
    expect(crd.spec.versions[0]?.subresources?.status).toEqual({});
    expect(crd.spec.versions[0]?.additionalPrinterColumns?.map((c) => c.name)).toEqual(['Mode', 'Targets', 'Applied', 'Conflicts', 'Ready', 'Age']);
  });

  it('accepts an empty spec and stores the defaults zod would fill in', async () => {
    const namespace = await uniqueNamespace('crd');
    const created = (await createPolicy(namespace, 'defaults', {})) as { spec: unknown };
    expect(created.spec).toEqual({
      selector: { kinds: ['Service', 'Deployment'] },
      mode: 'Recommend',
      objectives: {},
      bounds: { concurrency: { min: 1, max: 1000 } },
      cooldown: '1h',
      patch: { containerConcurrency: false, threadsEnv: false, workers: false, startupProbe: false, profilerIamPolicyMember: false },
      minConfidence: 'medium',
      force: false,
    });
    expect(created.spec).toEqual(TuningPolicySpec.parse({}));
    expect(TuningPolicy.safeParse(created).success).toBe(true);
  });

  it('fills nested defaults inside a partly written spec', async () => {
    const namespace = await uniqueNamespace('crd');
    const created = (await createPolicy(namespace, 'partial', {
      mode: 'Apply',
      patch: { containerConcurrency: true },
      bounds: { concurrency: { max: 80 } },
      metrics: { prometheusUrl: 'http://prometheus.monitoring:9090' },
      selector: { kinds: ['Service'], matchLabels: { team: 'shop' } },
    })) as { spec: Record<string, unknown> };
    expect(created.spec).toMatchObject({
      patch: { containerConcurrency: true, threadsEnv: false, workers: false, startupProbe: false, profilerIamPolicyMember: false },
      bounds: { concurrency: { min: 1, max: 80 } },
      metrics: { prometheusUrl: 'http://prometheus.monitoring:9090', profile: 'knative', window: '168h' },
      selector: { kinds: ['Service'], matchLabels: { team: 'shop' } },
    });
  });

  it('refuses a policy that breaks the schema, naming each field (CEL rules wait until the schema passes)', async () => {
    const namespace = await uniqueNamespace('crd');
    expect(
      await refusal(
        createPolicy(namespace, 'bad', {
          mode: 'Auto',
          cooldown: '1 hour',
          objectives: { latencyP95Factor: 20 },
          selector: { kinds: [] },
          bounds: { concurrency: { min: 50, max: 10 } },
        }),
      ),
    ).toEqual({
      httpStatus: 422,
      causes: [
        '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
        "spec.cooldown: Invalid value: \"1 hour\": spec.cooldown in body should match '^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w))+)$'",
        'spec.mode: Unsupported value: "Auto": supported values: "Off", "Recommend", "Apply"',
        'spec.objectives.latencyP95Factor: Invalid value: 20: spec.objectives.latencyP95Factor in body should be less than or equal to 10',
        'spec.selector.kinds: Invalid value: 0: spec.selector.kinds in body should have at least 1 items',
      ],
    });
  });

  it('refuses a policy that breaks a cross-field CEL rule, naming the field', async () => {
    const namespace = await uniqueNamespace('crd');
    expect(
      await refusal(
        createPolicy(namespace, 'bad', {
          bounds: { concurrency: { min: 50, max: 10 } },
          objectives: { latencySLO: '300ms', latencyP95Factor: 1.5 },
          rules: { enabled: ['concurrency.unbounded'], disabled: ['concurrency.unbounded'] },
          selector: { matchExpressions: [{ key: 'tier', operator: 'In' }] },
        }),
      ),
    ).toEqual({
      httpStatus: 422,
      causes: [
        'spec.bounds.concurrency.min: Invalid value: bounds.concurrency.min must be <= bounds.concurrency.max',
        'spec.objectives: Invalid value: set latencySLO or latencyP95Factor, not both',
        'spec.rules: Invalid value: a rule id cannot be both enabled and disabled',
        'spec.selector.matchExpressions[0]: Invalid value: In and NotIn need values; Exists and DoesNotExist take none',
      ],
    });
  });

  it('refuses Apply mode that may patch nothing', async () => {
    const namespace = await uniqueNamespace('crd');
    expect(await refusal(createPolicy(namespace, 'apply-nothing', { mode: 'Apply' }))).toEqual({
      httpStatus: 422,
      causes: ['spec.patch: Required value: mode Apply needs at least one field allowed in spec.patch'],
    });
  });

  it('refuses a misspelt field when the client asks for strict field validation', async () => {
    const namespace = await uniqueNamespace('crd');
    const status = await apiFailure(createPolicy(namespace, 'typo', { mdoe: 'Apply' }));
    expect(status.httpStatus).toBe(400);
    expect(status.message).toBe('TuningPolicy in version "v1alpha1" cannot be handled as a TuningPolicy: strict decoding error: unknown field "spec.mdoe"');
  });

  it('keeps status behind the status subresource: status writes leave spec and generation alone', async () => {
    const namespace = await uniqueNamespace('crd');
    const created = (await createPolicy(namespace, 'status', {})) as { metadata: { generation: number } };
    const status = { observedGeneration: 1, targets: 3, recommendations: 2, applied: 0, conflicts: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: '2026-03-01T12:00:00Z' }] };
    const written = (await custom.patchNamespacedCustomObjectStatus(
      { ...POLICIES, namespace, name: 'status', body: { status, spec: { mode: 'Off' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { spec: { mode: string }; status: unknown; metadata: { generation: number } };
    expect(written.status).toEqual(status);
    expect(written.spec.mode).toBe('Recommend');
    expect(written.metadata.generation).toBe(created.metadata.generation);

    // And the main resource ignores status.
    const viaMain = (await custom.patchNamespacedCustomObject(
      { ...POLICIES, namespace, name: 'status', body: { status: { targets: 99 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { status: { targets: number } };
    expect(viaMain.status.targets).toBe(3);
  });

  it('prints Mode, Targets and Applied, and Conflicts and Ready with -o wide', async () => {
    const namespace = await uniqueNamespace('crd');
    await createPolicy(namespace, 'shop', { mode: 'Apply', patch: { threadsEnv: true } });
    await custom.patchNamespacedCustomObjectStatus(
      { ...POLICIES, namespace, name: 'shop', body: { status: { targets: 4, applied: 2, conflicts: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: '2026-03-01T12:00:00Z' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const table = await kubectl('get', 'tp', '-n', namespace, '-o', 'wide');
    const [header, row] = table.trim().split('\n').map((line) => line.trim().split(/\s+/));
    expect(header).toEqual(['NAME', 'MODE', 'TARGETS', 'APPLIED', 'CONFLICTS', 'READY', 'AGE']);
    expect(row?.slice(0, 6)).toEqual(['shop', 'Apply', '4', '2', '1', 'True']);
  });
});

describe('TuningRecommendation CRD', () => {
  const spec = { targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'api' }, policy: 'shop' };

  it('prints the recommended values (target), basis and confidence, VPA-style; Kind, Critical and Policy with -o wide (short name trec)', async () => {
    const namespace = await uniqueNamespace('crd');
    await createRecommendation(namespace, 'service-api', spec);
    const probe = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 1 };
    await custom.patchNamespacedCustomObject(
      {
        ...RECOMMENDATIONS,
        namespace,
        name: 'service-api',
        body: {
          status: {
            basis: 'metrics',
            summary: { findings: 3, critical: 1, warning: 2, info: 0, confidence: 0.6 },
            findings: [{ rule: 'concurrency.unbounded', severity: 'critical', message: 'containerConcurrency 0 lets the queue-proxy send unlimited requests', current: { containerConcurrency: '0' }, recommended: { containerConcurrency: '8' } }],
            recommendations: [
              { setting: 'containerConcurrency', rule: 'metrics.container-concurrency', value: 4, current: 80, target: 10, next: 40, lowerBound: 10, upperBound: 100, confidence: 0.6, evidence: ['spec.template.spec.containerConcurrency 80'] },
              { setting: 'threads', rule: 'metrics.threads', container: 'app', env: 'THREADS', value: 12, current: 8, target: 12, next: 12, lowerBound: 1, confidence: 0.9 },
              { setting: 'startupProbe', rule: 'startup.probe-missing', container: 'app', startupProbe: probe, confidence: 1 },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // The API server's own Table (what kubectl get prints): every column, -o wide ones with priority 1.
    const table = (await custom.listNamespacedCustomObject({ ...RECOMMENDATIONS, namespace }, setHeaderOptions('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io'))) as {
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[] }[];
    };
    const cells = Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name, table.rows[0]?.cells[i]]));
    expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Target', 'Concurrency', 'Threads', 'Workers', 'Probe', 'Basis', 'Confidence', 'Findings', 'Applied', 'Age']);
    expect(table.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name)).toEqual(['Kind', 'Critical', 'Drifting', 'Policy']);
    // The target within the bounds (10), not the uncapped 4 nor the next step 40; no workers value.
    expect(cells).toMatchObject({ Name: 'service-api', Target: 'api', Kind: 'Service', Concurrency: 10, Threads: 12, Probe: '/healthz', Basis: 'metrics', Confidence: 0.6, Findings: 3, Critical: 1, Policy: 'shop' });
    expect(cells['Workers'] ?? null).toBeNull();
    // kubectl shows the same table.
    const [header, row] = (await kubectl('get', 'trec', '-n', namespace)).trim().split('\n').map((line) => line.trim().split(/\s+/));
    expect(header).toEqual(['NAME', 'TARGET', 'CONCURRENCY', 'THREADS', 'WORKERS', 'PROBE', 'BASIS', 'CONFIDENCE', 'FINDINGS', 'APPLIED', 'AGE']);
    expect(row?.slice(0, 4)).toEqual(['service-api', 'api', '10', '12']);
    const read = await custom.getNamespacedCustomObject({ ...RECOMMENDATIONS, namespace, name: 'service-api' });
    expect(TuningRecommendation.safeParse(read).success).toBe(true);
  });

  it('refuses a targetRef whose apiVersion does not match its kind, and a change of targetRef', async () => {
    const namespace = await uniqueNamespace('crd');
    expect(await refusal(createRecommendation(namespace, 'mismatch', { ...spec, targetRef: { apiVersion: 'apps/v1', kind: 'Service', name: 'api' } }))).toEqual({
      httpStatus: 422,
      causes: ['spec.targetRef.apiVersion: Invalid value: targetRef.apiVersion must be serving.knative.dev/v1 for a Service and apps/v1 for a Deployment'],
    });
    await createRecommendation(namespace, 'service-api', spec);
    expect(
      await refusal(
        custom.patchNamespacedCustomObject(
          { ...RECOMMENDATIONS, namespace, name: 'service-api', body: { spec: { targetRef: { name: 'other' } } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      ),
    ).toEqual({ httpStatus: 422, causes: ['spec.targetRef: Invalid value: targetRef is immutable'] });
  });

  it('refuses a recommended value without what its setting needs', async () => {
    const namespace = await uniqueNamespace('crd');
    await createRecommendation(namespace, 'service-api', spec);
    const write = (recommendations: unknown[]) =>
      custom.patchNamespacedCustomObject(
        { ...RECOMMENDATIONS, namespace, name: 'service-api', body: { status: { recommendations } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    expect(
      await refusal(
        write([
          { setting: 'containerConcurrency', rule: 'concurrency.unbounded', confidence: 1 },
          { setting: 'threads', rule: 'concurrency.threads-mismatch', value: 8, confidence: 2 },
        ]),
      ),
    ).toEqual({
      httpStatus: 422,
      causes: [
        'status.recommendations[0].value: Required value: containerConcurrency, threads and workers need value',
        'status.recommendations[1].confidence: Invalid value: 2: status.recommendations[1].confidence in body should be less than or equal to 1',
        'status.recommendations[1].env: Required value: threads and workers need container and env',
      ],
    });
  });
});
