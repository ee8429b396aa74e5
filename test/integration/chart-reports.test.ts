// The chart's two report toggles, both off by default: policyReports (the --policy-reports flag and RBAC on that one
// report kind) and grafana.dashboard (a ConfigMap with the dashboard JSON and the Grafana sidecar's label). Rendered
// with helm, and installed into the real API server: the chart's ServiceAccount may write the report only when the
// chart grants it, and a controller running as it writes one.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AuthorizationV1Api, type KubernetesObject, type V1ClusterRole, type V1ConfigMap, type V1Deployment } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { startController } from '../../src/controller/main.ts';
import { createLogger } from '../../src/controller/log.ts';
import { adminClients, uniqueNamespace } from './harness/kube.ts';
import { CHART_DIR, HELM_BUILD_TIMEOUT_MS, helmBinary, install, render, serviceAccountKubeConfig, uninstall, uniqueRelease } from './chart.support.ts';
import { GUNICORN_1X8, create, knativeService, tuningPolicy } from './controller.support.ts';

beforeAll(() => helmBinary().then(() => undefined), HELM_BUILD_TIMEOUT_MS);

const poll = { timeout: 20_000, interval: 100 };

function controllerArgs(objects: KubernetesObject[]): string[] {
  const deployment = objects.find((o) => o.kind === 'Deployment') as V1Deployment;
  return deployment.spec!.template.spec!.containers[0]!.args ?? [];
}

function clusterRoleRules(objects: KubernetesObject[]): NonNullable<V1ClusterRole['rules']> {
  return (objects.filter((o) => o.kind === 'ClusterRole') as V1ClusterRole[]).flatMap((r) => r.rules ?? []);
}

const REPORT_GROUPS = ['wgpolicyk8s.io', 'openreports.io'];

describe('chart report toggles', () => {
  it('renders neither the report RBAC and flag nor the dashboard ConfigMap by default', async () => {
    const objects = await render('pt', 'pytuner-system');
    expect(controllerArgs(objects).filter((a) => a.startsWith('--policy-reports'))).toEqual([]);
    expect(clusterRoleRules(objects).filter((r) => r.apiGroups?.some((g) => REPORT_GROUPS.includes(g)))).toEqual([]);
    expect(objects.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
  });

  it('with both on: the flag, RBAC on the chosen report kind only, and the dashboard ConfigMap with the sidecar label', async () => {
    const objects = await render('pt', 'pytuner-system', { policyReports: { enabled: true }, grafana: { dashboard: { enabled: true, annotations: { grafana_folder: 'pytuner' } } } });
    expect(controllerArgs(objects)).toContain('--policy-reports=wgpolicyk8s');
    expect(clusterRoleRules(objects).filter((r) => r.apiGroups?.some((g) => REPORT_GROUPS.includes(g)))).toEqual([
      { apiGroups: ['wgpolicyk8s.io'], resources: ['policyreports'], verbs: ['list', 'create', 'patch', 'delete'] },
    ]);
    const configMap = objects.find((o) => o.kind === 'ConfigMap') as V1ConfigMap;
    expect(configMap.metadata?.name).toBe('pt-pytuner-dashboard');
    expect(configMap.metadata?.namespace).toBe('pytuner-system');
    expect(configMap.metadata?.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(configMap.metadata?.annotations).toEqual({ grafana_folder: 'pytuner' });
    const shipped = JSON.parse(await readFile(resolve(CHART_DIR, 'dashboards', 'pytuner.json'), 'utf8')) as unknown;
    expect(JSON.parse(configMap.data!['pytuner.json']!)).toEqual(shipped);

    const openreports = await render('pt', 'pytuner-system', { policyReports: { enabled: true, api: 'openreports' }, grafana: { dashboard: { enabled: true, namespace: 'monitoring' } } });
    expect(controllerArgs(openreports)).toContain('--policy-reports=openreports');
    expect(clusterRoleRules(openreports).filter((r) => r.apiGroups?.some((g) => REPORT_GROUPS.includes(g)))).toEqual([
      { apiGroups: ['openreports.io'], resources: ['reports'], verbs: ['list', 'create', 'patch', 'delete'] },
    ]);
    expect(openreports.find((o) => o.kind === 'ConfigMap')?.metadata?.namespace).toBe('monitoring');
  });

  it('refuses a report API it does not know', async () => {
    await expect(render('pt', 'pytuner-system', { policyReports: { enabled: true, api: 'kyverno' } })).rejects.toThrow("at '/policyReports/api': value must be one of 'wgpolicyk8s', 'openreports'");
  });

  it('installed: the ServiceAccount may write PolicyReports only with policyReports.enabled, and a controller running as it writes one', async () => {
    const namespace = await uniqueNamespace('chart-reports');
    const mayPatchReports = async (serviceAccount: string): Promise<boolean> => {
      const review = await adminClients().kubeConfig.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
        body: {
          spec: {
            user: `system:serviceaccount:${namespace}:${serviceAccount}`,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
            resourceAttributes: { group: 'wgpolicyk8s.io', resource: 'policyreports', verb: 'patch', namespace },
          },
        },
      });
      return review.status?.allowed === true;
    };

    const off = uniqueRelease('rep-off');
    expect((await install(off, namespace)).code).toBe(0);
    onTestFinished(() => uninstall(off, namespace).then(() => undefined));
    expect(await mayPatchReports(`${off}-pytuner`)).toBe(false);

    const on = uniqueRelease('rep-on');
    const installed = await install(on, namespace, { policyReports: { enabled: true } });
    expect(installed.code, installed.stderr).toBe(0);
    onTestFinished(() => uninstall(on, namespace).then(() => undefined));
    expect(await mayPatchReports(`${on}-pytuner`)).toBe(true);

    await create(knativeService(namespace, 'orders', { containerConcurrency: 80, args: GUNICORN_1X8 }));
    await create(tuningPolicy(namespace, 'default', { mode: 'Recommend' }));
    const controller = await startController({
      kubeConfig: await serviceAccountKubeConfig(namespace, `${on}-pytuner`),
      namespace,
      metricsPort: 0,
      metricsHost: '127.0.0.1',
      resyncMs: 60_000,
      discoveryIntervalMs: 1_000,
      shutdownTimeoutMs: 5_000,
      policyReports: { api: 'wgpolicyk8s', flushDelayMs: 100 },
      log: createLogger({ level: (process.env['PYTUNER_TEST_LOG'] ?? 'silent') as 'silent' }),
    });
    onTestFinished(() => controller.stop());
    await vi.waitFor(async () => {
      const list = (await adminClients().custom.listNamespacedCustomObject({ group: 'wgpolicyk8s.io', version: 'v1alpha2', namespace, plural: 'policyreports' })) as {
        items: { metadata: { name: string }; results?: { policy: string }[] }[];
      };
      expect(list.items.map((r) => r.metadata.name)).toEqual(['pytuner']);
      expect(list.items[0]!.results?.map((r) => r.policy)).toContain('concurrency.threads-mismatch');
    }, poll);
  });
});
