// One workload, three writers, one patch: the JSON Patch `pytuner report --cluster --emit-patches` writes for a
// Knative Service, the one its TuningRecommendation carries in `status.fix` (what `pytuner recommendations export`
// writes), and the one the actuator sends are the same ops, apart from the actuator's own resourceVersion guard. The
// workload is on the real API server behind the real Knative webhook (which defaults fields, so every writer reads the
// object as stored), and the controller's side runs the reconciler's own steps: evaluateTarget, valuesOf,
// recommendationFix, planActuation and the actuator. The CLI runs from src/cli/main.ts (see report-cluster.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TuningPolicySpec } from '../../src/api/v1alpha1/tuningPolicy.ts';
import { createActuator } from '../../src/actuator/apply.ts';
import { planActuation, type LiveWorkload } from '../../src/actuator/plan.ts';
import { evaluateTarget, rulesFor } from '../../src/controller/evaluate.ts';
import { recommendationFix } from '../../src/controller/recommendationFix.ts';
import { valuesOf } from '../../src/controller/recommendations.ts';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';
import { markServiceReady } from './controller.support.ts';

const { objects, kubeConfig } = adminClients();
const MAIN = join(repoRoot, 'src/cli/main.ts');
const IMAGE = 'europe-docker.pkg.dev/demo/api:1.0.0';
const NOW = new Date('2026-03-01T12:00:00Z');
const ARGS = ['gunicorn', '--timeout', '0', '--bind', ':8080', 'app:app'];
const sorted = (list: readonly unknown[]) => list.map((op) => JSON.stringify(op)).sort();
const PRELOAD = { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'GUNICORN_CMD_ARGS', value: '--preload' } };

/**
 * gunicorn with 1 worker from WEB_CONCURRENCY on 4 vCPU behind containerConcurrency 80, a health path and no startup
 * probe: three findings, each a setting the actuator writes (workers in an env var, containerConcurrency following
 * the 4 slots, a startupProbe), so the report patch is the controller's too, but for the --preload that comes with
 * the workers raise (startup.heavy-init), which no policy setting lets Apply write.
 */
function service(namespace: string): KubernetesObject {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'api', namespace, annotations: { 'pytuner.dev/health-path': '/healthz' } },
    spec: {
      template: {
        spec: {
          containerConcurrency: 80,
          containers: [{ name: 'app', image: IMAGE, args: ARGS, env: [{ name: 'WEB_CONCURRENCY', value: '1' }], resources: { limits: { cpu: '4' } } }],
        },
      },
    },
  } as KubernetesObject;
}

async function read(namespace: string): Promise<LiveWorkload> {
  return (await objects.read({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'api', namespace } })) as unknown as LiveWorkload;
}

/** What Knative's controller would write (the latest generation observed, Ready=True), then the Service as stored. */
async function markReady(namespace: string): Promise<LiveWorkload> {
  await markServiceReady(namespace, 'api');
  return read(namespace);
}

function pytuner(args: readonly string[]) {
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '' }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the report, status.fix and the actuator write one patch', () => {
  const work = mkdtempSync(join(tmpdir(), 'pytuner-actuator-fix-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('sends, for a Knative Service, the ops the report emits and status.fix carries, behind its resourceVersion guard', async () => {
    const namespace = await uniqueNamespace('fix');
    await objects.patch(service(namespace), undefined, undefined, 'deploy-tool', false, PatchStrategy.ServerSideApply);
    const live = await markReady(namespace);

    // The report, from the object as stored (`--cluster`), as files.
    const { kubeconfigPath } = inject('controlPlane');
    const out = join(work, 'patches');
    const run = pytuner(['report', '--cluster', '--kubeconfig', kubeconfigPath, '-n', namespace, '--emit-patches', out, '-o', 'json']);
    expect(run.stderr).not.toContain('Error');
    const reportOps: unknown = JSON.parse(readFileSync(join(out, namespace, 'service-api.patch.json'), 'utf8'));
    // Written by hand from the object: the test of the value read, then the changes, tests first.
    expect(reportOps).toEqual([
      { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 },
      { op: 'test', path: '/spec/template/spec/containers/0/env/0/name', value: 'WEB_CONCURRENCY' },
      { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 4 },
      { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '4' },
      // startup.heavy-init, which comes with the raise from 1 worker: each of 4 workers imports the app.
      PRELOAD,
      { op: 'add', path: '/spec/template/spec/containers/0/startupProbe', value: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 1 } },
    ]);

    // The controller's steps on the same object (src/controller/reconciler.ts #reconcileLive and #write).
    const evaluation = evaluateTarget({ kind: 'Service', namespace, name: 'api' }, live as KubernetesObject, [], rulesFor(undefined));
    // status.fix: the same ops, tests first; the adds on different paths may come in another order.
    const fixOps = JSON.parse(recommendationFix(evaluation.findings, 'Service', 'api')?.jsonPatch ?? '[]') as unknown[];
    expect(fixOps.slice(0, 2)).toEqual((reportOps as unknown[]).slice(0, 2));
    expect(sorted(fixOps)).toEqual(sorted(reportOps as unknown[]));
    const { values } = valuesOf(evaluation.findings);
    expect(values.map((v) => v.setting)).toEqual(['containerConcurrency', 'workers', 'startupProbe']);
    // The deploy tool declared containerConcurrency and WEB_CONCURRENCY: the policy takes them over.
    const policy = { metadata: { name: 'tune' }, spec: TuningPolicySpec.parse({ mode: 'Apply', force: true, patch: { containerConcurrency: true, workers: true, startupProbe: true } }) };
    const plan = planActuation({ policy, recommendation: { recommendations: values }, live, now: NOW });
    expect(plan.kind).toBe('apply');

    const result = await createActuator(kubeConfig, { reportingInstance: 'actuator-fix-test', clock: () => NOW }).execute(plan);
    expect(result.outcomes.map((o) => o.kind)).toEqual(['written']);
    const sent = result.outcomes[0]?.write;
    expect(sent?.method).toBe('json-patch');
    // The report's own ops under the resourceVersion guard, but for --preload: no spec.patch setting lets Apply write it.
    const permitted = (reportOps as unknown[]).filter((op) => JSON.stringify(op) !== JSON.stringify(PRELOAD));
    expect(permitted).toHaveLength(5);
    expect(sent?.method === 'json-patch' ? sent.ops : undefined).toEqual([{ op: 'replace', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion }, ...permitted]);

    // Written through the webhook, the Service keeps what the deploy tool set besides the three values.
    const after = await read(namespace);
    const podSpec = (after.spec as { template: { spec: { containerConcurrency: number; containers: Record<string, unknown>[] } } }).template.spec;
    expect(podSpec.containerConcurrency).toBe(4);
    expect(podSpec.containers).toMatchObject([
      { name: 'app', image: IMAGE, args: ARGS, env: [{ name: 'WEB_CONCURRENCY', value: '4' }], resources: { limits: { cpu: '4' } }, startupProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 1 } },
    ]);
    // The three findings are fixed: the report on the patched object no longer makes them; startup.heavy-init's
    // --preload stays a recommendation (in status.fix, not applied).
    const again = pytuner(['report', '--cluster', '--kubeconfig', kubeconfigPath, '-n', namespace, '-o', 'json']);
    const rules = (JSON.parse(again.stdout) as { findings: { rule: string }[] }).findings.map((f) => f.rule);
    expect(rules).not.toContain('concurrency.threads-mismatch');
    expect(rules).not.toContain('gunicorn.workers-vs-cpu');
    expect(rules).not.toContain('startup.probe-missing');
    expect(rules).toContain('startup.heavy-init');
  });
});
