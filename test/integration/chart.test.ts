// charts/pytuner with the real helm (built from its Go module) and the real API server: lint, what `helm template`
// renders with default and other values, what the values schema refuses, the CRDs taken from crds/ through the
// chart's symlink, and `helm install` of the chart into the harness's control plane.
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import type { KubernetesObject, V1ClusterRole, V1Deployment, V1PolicyRule, V1Role } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';
import { CHART_DIR, HELM_BUILD_TIMEOUT_MS, helm, helmBinary, install, kubectl, only, parseObjects, render, scratchDir, uniqueRelease, uninstall, valuesFile } from './chart.support.ts';

beforeAll(() => helmBinary().then(() => undefined), HELM_BUILD_TIMEOUT_MS);

/** A rule as the tests compare it. */
type Rule = Pick<V1PolicyRule, 'apiGroups' | 'resources' | 'verbs' | 'resourceNames'>;

/** What the controller may do everywhere it watches, with Apply and the profiler grant off (the defaults). */
const DEFAULT_RULES: Rule[] = [
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['list', 'watch'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
  { apiGroups: ['serving.knative.dev'], resources: ['services'], verbs: ['list', 'watch'] },
  { apiGroups: ['pytuner.dev'], resources: ['tuningpolicies'], verbs: ['list', 'watch'] },
  { apiGroups: ['pytuner.dev'], resources: ['tuningpolicies/status'], verbs: ['patch'] },
  { apiGroups: ['pytuner.dev'], resources: ['tuningrecommendations'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  { apiGroups: ['iam.cnrm.cloud.google.com'], resources: ['iampartialpolicies'], verbs: ['list', 'watch'] },
  { apiGroups: ['iam.cnrm.cloud.google.com'], resources: ['iampolicymembers'], verbs: ['list', 'watch'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
];

function rulesOf(role: { rules?: V1PolicyRule[] }): Rule[] {
  return (role.rules ?? []).map(({ apiGroups, resources, verbs, resourceNames }) => (resourceNames === undefined ? { apiGroups, resources, verbs } : { apiGroups, resources, verbs, resourceNames }));
}

function withVerbs(rules: Rule[], resource: string, verbs: string[]): Rule[] {
  return rules.map((rule) => (rule.resources?.includes(resource) ? { ...rule, verbs } : rule));
}

describe('helm lint', () => {
  it('passes with the default values and with every optional part on', async () => {
    const defaults = await helm(['lint', '--strict', CHART_DIR]);
    expect(defaults.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(defaults.code).toBe(0);
    const everything = await valuesFile({
      apply: { enabled: true },
      profiler: { enabled: true },
      serviceMonitor: { enabled: true },
      knativeMonitors: { enabled: true },
      networkPolicy: { enabled: true },
      defaultPolicy: { enabled: true },
      controller: { watchNamespace: 'shop' },
      policyReports: { enabled: true },
      grafana: { dashboard: { enabled: true } },
    });
    const all = await helm(['lint', '--strict', CHART_DIR, '-f', everything]);
    expect(all.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(all.code).toBe(0);
  });
});

describe('helm template', () => {
  it('renders a hardened two-replica controller in Recommend-only RBAC by default', async () => {
    const objects = await render('pt', 'pytuner-system');
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual([
      'ClusterRole/pt-pytuner-pytuner-system',
      'ClusterRoleBinding/pt-pytuner-pytuner-system',
      'Deployment/pt-pytuner',
      'Pod/pt-pytuner-test-readyz',
      'PodDisruptionBudget/pt-pytuner',
      'Role/pt-pytuner-leader-election',
      'RoleBinding/pt-pytuner-leader-election',
      'Service/pt-pytuner-metrics',
      'ServiceAccount/pt-pytuner',
    ]);

    const deployment = only<V1Deployment>(objects, 'Deployment');
    expect(deployment.metadata?.namespace).toBe('pytuner-system');
    expect(deployment.spec?.replicas).toBe(2);
    const pod = deployment.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe('pt-pytuner');
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod.containers[0]!;
    expect(container.image).toBe('pytuner:0.1.0');
    expect(container.args).toEqual([
      'controller',
      '--metrics-port=8080',
      '--leader-elect',
      '--lease-namespace=pytuner-system',
      '--lease-name=pt-pytuner',
      '--lease-duration=15s',
      '--renew-deadline=10s',
      '--retry-period=2s',
      '--resync=10m',
      '--workers=16',
      '--shutdown-timeout=20s',
      '--log-level=info',
    ]);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });

    expect(rulesOf(only<V1ClusterRole>(objects, 'ClusterRole'))).toEqual(DEFAULT_RULES);
    expect(rulesOf(only<V1Role>(objects, 'Role'))).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: ['pt-pytuner'] },
    ]);
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/"secrets"|"configmaps"|"pods"|"\*"/);
    expect(only(objects, 'PodDisruptionBudget')).toMatchObject({ spec: { minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'pytuner', 'app.kubernetes.io/instance': 'pt' } } } });
  });

  it('grants patch and the IAMPolicyMember writes only when asked, and a Role in one namespace with watchNamespace', async () => {
    const applying = await render('pt', 'pytuner-system', { apply: { enabled: true }, profiler: { enabled: true } });
    let expected = withVerbs(DEFAULT_RULES, 'deployments', ['list', 'watch', 'patch']);
    expected = withVerbs(expected, 'services', ['list', 'watch', 'patch']);
    expected = withVerbs(expected, 'iampolicymembers', ['list', 'watch', 'create', 'patch']);
    expect(rulesOf(only<V1ClusterRole>(applying, 'ClusterRole'))).toEqual(expected);

    const scoped = await render('pt', 'pytuner-system', { controller: { watchNamespace: 'shop' } });
    expect(scoped.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
    const role = only<V1Role>(scoped, 'Role', 'pt-pytuner');
    expect(role.metadata?.namespace).toBe('shop');
    expect(rulesOf(role)).toEqual(DEFAULT_RULES);
    expect(only(scoped, 'RoleBinding', 'pt-pytuner')).toMatchObject({
      metadata: { namespace: 'shop' },
      roleRef: { kind: 'Role', name: 'pt-pytuner' },
      subjects: [{ kind: 'ServiceAccount', name: 'pt-pytuner', namespace: 'pytuner-system' }],
    });
    expect(only<V1Deployment>(scoped, 'Deployment').spec?.template.spec?.containers[0]?.args).toContain('--namespace=shop');
  });

  it('renders the Knative PodMonitors (queue-proxy http-usermetric in every namespace, the autoscaler) only when enabled', async () => {
    expect((await render('pt', 'pytuner-system', {})).filter((o) => o.kind === 'PodMonitor')).toEqual([]);
    const monitors = (await render('pt', 'pytuner-system', { knativeMonitors: { enabled: true, labels: { release: 'kube-prometheus' } } })).filter((o) => o.kind === 'PodMonitor');
    expect(monitors).toMatchObject([
      {
        metadata: { name: 'pt-pytuner-knative-queue-proxy', namespace: 'pytuner-system', labels: { release: 'kube-prometheus' } },
        spec: {
          namespaceSelector: { any: true },
          selector: { matchExpressions: [{ key: 'serving.knative.dev/revision', operator: 'Exists' }] },
          podTargetLabels: ['serving.knative.dev/service', 'serving.knative.dev/configuration', 'serving.knative.dev/revision'],
          podMetricsEndpoints: [{ port: 'http-usermetric', path: '/metrics', interval: '30s' }],
        },
      },
      {
        metadata: { name: 'pt-pytuner-knative-autoscaler', labels: { release: 'kube-prometheus' } },
        spec: { namespaceSelector: { matchNames: ['knative-serving'] }, selector: { matchLabels: { app: 'autoscaler' } }, podMetricsEndpoints: [{ port: 'metrics', path: '/metrics' }] },
      },
    ]);
  });

  it('renders the optional ServiceMonitor, NetworkPolicy and default TuningPolicy, and no PDB for one replica', async () => {
    const objects = await render('pt', 'pytuner-system', {
      replicaCount: 1,
      serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus' } },
      networkPolicy: { enabled: true, apiServer: { cidrs: ['10.0.0.1/32'] }, metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
      defaultPolicy: { enabled: true, namespaces: ['shop', 'billing'] },
      image: { repository: 'europe-docker.pkg.dev/p/r/pytuner', digest: `sha256:${'a'.repeat(64)}` },
    });
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(only(objects, 'ServiceMonitor')).toMatchObject({
      metadata: { labels: { release: 'kube-prometheus' } },
      spec: { endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }], namespaceSelector: { matchNames: ['pytuner-system'] } },
    });
    expect(only(objects, 'NetworkPolicy')).toMatchObject({
      spec: {
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ port: 'metrics', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] }],
        egress: [
          { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
          { ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.0.0.1/32' } }] },
        ],
      },
    });
    const policies = objects.filter((o) => o.kind === 'TuningPolicy');
    expect(policies.map((p) => [p.metadata?.namespace, p.metadata?.name, (p as { spec?: unknown }).spec])).toEqual([
      ['shop', 'pytuner-default', { mode: 'Recommend', selector: { kinds: ['Service', 'Deployment'] } }],
      ['billing', 'pytuner-default', { mode: 'Recommend', selector: { kinds: ['Service', 'Deployment'] } }],
    ]);
    expect(only<V1Deployment>(objects, 'Deployment').spec?.template.spec?.containers[0]?.image).toBe(`europe-docker.pkg.dev/p/r/pytuner@sha256:${'a'.repeat(64)}`);
  });

  it.each([
    ['replicaCount: 0', { replicaCount: 0 }, 'replicaCount'],
    ['apply.enabled as a string', { apply: { enabled: 'yes' } }, 'apply'],
    ['an unknown key', { aply: { enabled: true } }, 'aply'],
    ['a duration the controller cannot parse', { controller: { resync: '10 minutes' } }, 'resync'],
    ['an image digest that is a tag', { image: { digest: 'latest' } }, 'digest'],
    ['a TuningPolicy mode that does not exist', { defaultPolicy: { enabled: true, spec: { mode: 'Auto' } } }, 'mode'],
  ])('refuses %s (values.schema.json)', async (_what, values, field) => {
    const result = await helm(['template', 'pt', CHART_DIR, '-f', await valuesFile(values)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(field);
  });

  it('refuses leader-election timing the controller would crash-loop on, and idle shards with watchNamespace', async () => {
    const refusal = async (values: Record<string, unknown>) => {
      const result = await helm(['template', 'pt', CHART_DIR, '--namespace', 'pytuner-system', '-f', await valuesFile(values)]);
      expect(result.code).not.toBe(0);
      return result.stderr;
    };
    expect(await refusal({ controller: { leaseDuration: '10s', renewDeadline: '10s' } })).toContain('controller.renewDeadline (10s) must be shorter than controller.leaseDuration (10s)');
    expect(await refusal({ controller: { leaseDuration: '1m', renewDeadline: '1m30s' } })).toContain('controller.renewDeadline (1m30s) must be shorter than controller.leaseDuration (1m)');
    expect(await refusal({ controller: { renewDeadline: '10s', retryPeriod: '10000ms' } })).toContain('controller.retryPeriod (10000ms) must be shorter than controller.renewDeadline (10s)');
    expect(await refusal({ shards: 3, controller: { watchNamespace: 'shop' } })).toMatch(/shards/);
    // Units are compared, not text: 1m30s is longer than 45s.
    const fine = only<V1Deployment>(await render('pt', 'pytuner-system', { controller: { leaseDuration: '1m30s', renewDeadline: '45s', retryPeriod: '500ms' } }), 'Deployment');
    expect(fine.spec?.template.spec?.containers[0]?.args).toContain('--renew-deadline=45s');
    expect((await render('pt', 'pytuner-system', { shards: 3 })).filter((o) => o.kind === 'Deployment')).toHaveLength(3);
  });

  it('opts namespaces in by label with defaultPolicy.clusterDefault: the flag, list/watch on namespaces, and refusals', async () => {
    const objects = await render('pt', 'pytuner-system', { defaultPolicy: { enabled: true, clusterDefault: true } });
    expect(only<V1Deployment>(objects, 'Deployment').spec?.template.spec?.containers[0]?.args).toContain('--default-policy=pytuner-system/pytuner-default');
    expect(rulesOf(only<V1ClusterRole>(objects, 'ClusterRole'))).toEqual([...DEFAULT_RULES, { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] }]);
    expect(only(objects, 'TuningPolicy')).toMatchObject({ metadata: { name: 'pytuner-default', namespace: 'pytuner-system' } });
    const refusal = async (values: Record<string, unknown>) => {
      const result = await helm(['template', 'pt', CHART_DIR, '--namespace', 'pytuner-system', '-f', await valuesFile(values)]);
      expect(result.code).not.toBe(0);
      return result.stderr;
    };
    expect(await refusal({ defaultPolicy: { clusterDefault: true } })).toContain('/defaultPolicy/enabled');
    expect(await refusal({ defaultPolicy: { enabled: true, clusterDefault: true }, controller: { watchNamespace: 'shop' } })).toContain('/controller/watchNamespace');
    expect(await refusal({ defaultPolicy: { enabled: true, clusterDefault: true, namespaces: ['shop'] } })).toContain('defaultPolicy.clusterDefault uses the policy in the release namespace (pytuner-system)');
  });

  it("mounts the Prometheus token (a Secret key or a projected token) and CA bundle, and passes them for prometheus.url only", async () => {
    type Pod = { containers: Array<{ args: string[]; volumeMounts?: unknown[] }>; volumes?: unknown[] };
    const podOf = (objects: KubernetesObject[]) => only<V1Deployment>(objects, 'Deployment').spec?.template.spec as unknown as Pod;
    const url = 'https://monitoring.example/v1/projects/shop/location/global/prometheus';
    const secret = podOf(await render('pt', 'pytuner-system', { prometheus: { url, bearerToken: { secret: { name: 'gmp-token', key: 'access-token' } }, ca: { configMap: { name: 'prom-ca' } } } }));
    expect(secret.containers[0]?.args).toEqual(expect.arrayContaining([`--prometheus-url=${url}`, '--prometheus-bearer-token-file=/var/run/secrets/pytuner/prometheus-token/token', '--prometheus-ca-file=/var/run/secrets/pytuner/prometheus-ca/ca.crt']));
    expect(secret.volumes).toEqual([
      { name: 'prometheus-token', secret: { secretName: 'gmp-token', items: [{ key: 'access-token', path: 'token' }] } },
      { name: 'prometheus-ca', configMap: { name: 'prom-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    expect(secret.containers[0]?.volumeMounts).toHaveLength(2);
    const projected = podOf(await render('pt', 'pytuner-system', { prometheus: { url, bearerToken: { serviceAccountToken: { audience: 'prometheus' } } } }));
    expect(projected.volumes).toEqual([{ name: 'prometheus-token', projected: { sources: [{ serviceAccountToken: { audience: 'prometheus', expirationSeconds: 3600, path: 'token' } }] } }]);
    expect(projected.containers[0]?.args).not.toContain('--prometheus-ca-file=/var/run/secrets/pytuner/prometheus-ca/ca.crt');
    // By default: no credentials, no volumes.
    const plain = podOf(await render('pt', 'pytuner-system'));
    expect(plain.volumes).toBeUndefined();
    expect(plain.containers[0]?.args.filter((a) => a.startsWith('--prometheus'))).toEqual([]);
    const refused = await helm(['template', 'pt', CHART_DIR, '--namespace', 'pytuner-system', '-f', await valuesFile({ prometheus: { bearerToken: { secret: { name: 'gmp-token' } } } })]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('prometheus.bearerToken and prometheus.ca need prometheus.url');
  });

  it('has a helm test hook that asks /readyz through the metrics Service, from the controller image, restricted', async () => {
    const pod = only<{ metadata: { annotations: Record<string, string> }; spec: { restartPolicy: string; automountServiceAccountToken: boolean; containers: Array<{ image: string; command: string[]; args: string[]; securityContext: unknown }> } }>(
      await render('pt', 'pytuner-system'),
      'Pod',
    );
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(pod.spec).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false });
    const container = pod.spec.containers[0]!;
    expect(container.image).toBe('pytuner:0.1.0');
    expect(container.command).toEqual(['/nodejs/bin/node', '-e']);
    expect(container.args[0]).toContain("fetch('http://pt-pytuner-metrics.pytuner-system.svc:8080/readyz'");
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect((await render('pt', 'pytuner-system', { metricsService: { enabled: false } })).filter((o) => o.kind === 'Pod')).toEqual([]);
  });

  it('shows its README with helm show readme', async () => {
    const readme = await helm(['show', 'readme', CHART_DIR]);
    expect(readme.code).toBe(0);
    expect(readme.stdout.trim()).toBe((await readFile(join(CHART_DIR, 'README.md'), 'utf8')).trim());
    for (const section of ['## Install', '## Values', '## What it may do', '## helm test']) expect(readme.stdout).toContain(section);
  });

  it('takes the CRDs from the top-level crds/ (a symlink), in templates and in the packaged chart', async () => {
    const files = (await readdir(join(repoRoot, 'crds'))).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(['pytuner.dev_tuningpolicies.yaml', 'pytuner.dev_tuningrecommendations.yaml']);
    const expected = await Promise.all(files.map(async (f) => load(await readFile(join(repoRoot, 'crds', f), 'utf8'))));

    const rendered = (await render('pt', 'pytuner-system', {}, ['--include-crds'])).filter((o) => o.kind === 'CustomResourceDefinition');
    expect(rendered).toEqual(expected);

    const out = await mkdtemp(join(await scratchDir(), 'package-'));
    const packaged = await helm(['package', CHART_DIR, '--destination', out]);
    expect(packaged.code).toBe(0);
    const shown = await helm(['show', 'crds', join(out, 'pytuner-0.1.0.tgz')]);
    expect(parseObjects(shown.stdout)).toEqual(expected);
  });
});

describe('the rendered chart on the real API server', () => {
  it('passes server-side apply with strict field validation, every optional part on', async () => {
    const namespace = await uniqueNamespace('chart-ssa');
    const release = uniqueRelease('ssa');
    const objects = await render(release, namespace, {
      apply: { enabled: true },
      profiler: { enabled: true },
      serviceMonitor: { enabled: true },
      knativeMonitors: { enabled: true },
      networkPolicy: { enabled: true, metricsFrom: [{ podSelector: { matchLabels: { app: 'prometheus' } } }] },
      defaultPolicy: { enabled: true },
    });
    onTestFinished(() => deleteClusterScoped(objects));
    const manifest = objects.map((o) => JSON.stringify(o)).join('\n---\n');
    const applied = await kubectl(['apply', '--server-side', '--field-manager=pytuner-chart-test', '--validate=strict', '-f', '-'], manifest);
    // klog may print informational lines (I…); no warning or error.
    expect(applied.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('I'))).toEqual([]);
    expect(applied.code).toBe(0);
    expect(applied.stdout.trim().split('\n').sort()).toEqual(
      [
        `clusterrole.rbac.authorization.k8s.io/${release}-pytuner-${namespace} serverside-applied`,
        `clusterrolebinding.rbac.authorization.k8s.io/${release}-pytuner-${namespace} serverside-applied`,
        `deployment.apps/${release}-pytuner serverside-applied`,
        `networkpolicy.networking.k8s.io/${release}-pytuner serverside-applied`,
        `pod/${release}-pytuner-test-readyz serverside-applied`,
        `podmonitor.monitoring.coreos.com/${release}-pytuner-knative-autoscaler serverside-applied`,
        `podmonitor.monitoring.coreos.com/${release}-pytuner-knative-queue-proxy serverside-applied`,
        `poddisruptionbudget.policy/${release}-pytuner serverside-applied`,
        `role.rbac.authorization.k8s.io/${release}-pytuner-leader-election serverside-applied`,
        `rolebinding.rbac.authorization.k8s.io/${release}-pytuner-leader-election serverside-applied`,
        `service/${release}-pytuner-metrics serverside-applied`,
        `serviceaccount/${release}-pytuner serverside-applied`,
        `servicemonitor.monitoring.coreos.com/${release}-pytuner serverside-applied`,
        `tuningpolicy.pytuner.dev/pytuner-default serverside-applied`,
      ].sort(),
    );
    // The TuningPolicy got the CRD's defaults: it is a valid policy, not just a stored object.
    const policy = (await adminClients().custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'pytuner-default' })) as { spec: Record<string, unknown> };
    expect(policy.spec).toMatchObject({ mode: 'Recommend', cooldown: '1h', selector: { kinds: ['Service', 'Deployment'] } });
  });

  it('installs with helm install (CRDs already there are kept) and uninstalls without leaving cluster-scoped objects', async () => {
    const namespace = await uniqueNamespace('chart-install');
    const release = uniqueRelease('inst');
    const installed = await install(release, namespace, { serviceMonitor: { enabled: true } });
    onTestFinished(() => uninstall(release, namespace).then(() => undefined));
    expect(installed.stderr.replace(/^.*symbolic link.*\n/gm, '')).toBe('');
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain('STATUS: deployed');
    expect(installed.stdout).toContain('Apply mode is NOT granted');

    const { rbac, apps } = adminClients();
    const roleName = `${release}-pytuner-${namespace}`;
    expect(rulesOf(await rbac.readClusterRole({ name: roleName }))).toEqual(DEFAULT_RULES);
    expect((await apps.readNamespacedDeployment({ name: `${release}-pytuner`, namespace })).metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
    const crds = await kubectl(['get', 'crd', 'tuningpolicies.pytuner.dev', '-o', 'jsonpath={.metadata.labels}']);
    expect(crds.code).toBe(0);

    const removed = await uninstall(release, namespace);
    expect(removed.code).toBe(0);
    expect((await apiFailure(rbac.readClusterRole({ name: roleName }))).httpStatus).toBe(404);
    expect((await apiFailure(rbac.readClusterRoleBinding({ name: roleName }))).httpStatus).toBe(404);
    // Helm never deletes CRDs (nor the TuningPolicies and TuningRecommendations in them).
    expect((await kubectl(['get', 'crd', 'tuningpolicies.pytuner.dev'])).code).toBe(0);
  });
});

/** Deletes the ClusterRoles and ClusterRoleBindings among `objects` (namespaced ones go with the namespace). */
async function deleteClusterScoped(objects: KubernetesObject[]): Promise<void> {
  const { rbac } = adminClients();
  for (const o of objects) {
    const name = o.metadata?.name ?? '';
    if (o.kind === 'ClusterRole') await rbac.deleteClusterRole({ name });
    if (o.kind === 'ClusterRoleBinding') await rbac.deleteClusterRoleBinding({ name });
  }
}
