// What the chart's ServiceAccount may do, over every resource the real API server serves: `helm install` with every
// grant the chart can give (apply and profiler on), then a SubjectAccessReview (the API server's own RBAC authorizer)
// for every verb of every resource and subresource in discovery, in a workload namespace and in the release
// namespace. The allowed set must be exactly the chart's list: no Secrets, ConfigMaps or Pods, no patch outside
// Knative Services, Deployments, IAMPolicyMembers and pytuner's own objects, no escalate, bind or impersonate. Then
// real requests with the ServiceAccount's own token are refused, and the rendered pod passes the `restricted` Pod
// Security Standard at admission, runs as non-root and has a read-only root filesystem.
import { AuthorizationV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1Deployment, type V1PodSpec } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';
import { HELM_BUILD_TIMEOUT_MS, helmBinary, install, kubectl, render, serviceAccountKubeConfig, uninstall, uniqueRelease } from './chart.support.ts';

beforeAll(() => helmBinary().then(() => undefined), HELM_BUILD_TIMEOUT_MS);

/** One thing an identity may do: `verb group/resource[/subresource]`, with the namespace it was asked for. */
type Permission = string;

interface DiscoveredResource {
  group: string;
  resource: string;
  subresource?: string;
  namespaced: boolean;
  verbs: string[];
}

/** Every resource and subresource the API server serves, with its verbs, from discovery (as admin). */
async function discoverResources(): Promise<DiscoveredResource[]> {
  const raw = async (path: string) => JSON.parse((await kubectl(['get', '--raw', path])).stdout) as Record<string, unknown>;
  const groupVersions: Array<{ group: string; path: string }> = [{ group: '', path: '/api/v1' }];
  const apis = (await raw('/apis')) as { groups: Array<{ name: string; preferredVersion: { groupVersion: string } }> };
  for (const g of apis.groups) groupVersions.push({ group: g.name, path: `/apis/${g.preferredVersion.groupVersion}` });
  const found: DiscoveredResource[] = [];
  for (const gv of groupVersions) {
    const list = (await raw(gv.path)) as { resources: Array<{ name: string; namespaced: boolean; verbs: string[] }> };
    for (const r of list.resources) {
      const [resource, subresource] = r.name.split('/') as [string, string | undefined];
      found.push({ group: gv.group, resource, namespaced: r.namespaced, verbs: r.verbs, ...(subresource === undefined ? {} : { subresource }) });
    }
  }
  return found;
}

/** Verbs RBAC knows beyond the REST verbs, on the resources where they mean something. */
const SPECIAL: DiscoveredResource[] = [
  { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespaced: false, verbs: ['bind', 'escalate'] },
  { group: 'rbac.authorization.k8s.io', resource: 'roles', namespaced: true, verbs: ['bind', 'escalate'] },
  { group: '', resource: 'users', namespaced: false, verbs: ['impersonate'] },
  { group: '', resource: 'groups', namespaced: false, verbs: ['impersonate'] },
  { group: '', resource: 'serviceaccounts', namespaced: true, verbs: ['impersonate'] },
  { group: 'authentication.k8s.io', resource: 'userextras', subresource: 'scopes', namespaced: false, verbs: ['impersonate'] },
];

/** What every authenticated identity may do under Kubernetes' default ClusterRoles (system:basic-user and the like). */
const EVERY_AUTHENTICATED_USER: Permission[] = [
  'create authentication.k8s.io/selfsubjectreviews',
  'create authorization.k8s.io/selfsubjectaccessreviews',
  'create authorization.k8s.io/selfsubjectrulesreviews',
];

/** The chart with apply.enabled and profiler.enabled, in any namespace it watches (a ClusterRole). */
const WATCHED_NAMESPACE: Permission[] = [
  'list /serviceaccounts',
  'watch /serviceaccounts',
  'list apps/deployments',
  'watch apps/deployments',
  'patch apps/deployments',
  'list serving.knative.dev/services',
  'watch serving.knative.dev/services',
  'patch serving.knative.dev/services',
  'list pytuner.dev/tuningpolicies',
  'watch pytuner.dev/tuningpolicies',
  'patch pytuner.dev/tuningpolicies/status',
  'get pytuner.dev/tuningrecommendations',
  'list pytuner.dev/tuningrecommendations',
  'watch pytuner.dev/tuningrecommendations',
  'create pytuner.dev/tuningrecommendations',
  'patch pytuner.dev/tuningrecommendations',
  'list iam.cnrm.cloud.google.com/iampartialpolicies',
  'watch iam.cnrm.cloud.google.com/iampartialpolicies',
  'list iam.cnrm.cloud.google.com/iampolicymembers',
  'watch iam.cnrm.cloud.google.com/iampolicymembers',
  'create iam.cnrm.cloud.google.com/iampolicymembers',
  'patch iam.cnrm.cloud.google.com/iampolicymembers',
  'create events.k8s.io/events',
];

/**
 * Requests with no namespace (a list across namespaces, or "in every namespace"): a ClusterRole bound cluster-wide
 * grants its rules there too, and nothing cluster-scoped (nodes, namespaces, CRDs, ClusterRoles) beyond the defaults.
 */
const ACROSS_NAMESPACES = WATCHED_NAMESPACE;

/** Its own namespace adds leader election: create a Lease (create cannot be limited by name). */
const RELEASE_NAMESPACE = [...WATCHED_NAMESPACE, 'create coordination.k8s.io/leases'];

function permissionOf(verb: string, r: Pick<DiscoveredResource, 'group' | 'resource' | 'subresource'>): Permission {
  return `${verb} ${r.group}/${r.resource}${r.subresource === undefined ? '' : `/${r.subresource}`}`;
}

describe("the chart's RBAC over every resource the API server serves", () => {
  it('allows exactly the listed verbs, in a workload namespace, in its own namespace and cluster-wide', async () => {
    const namespace = await uniqueNamespace('chart-sec');
    const release = uniqueRelease('sec');
    const result = await install(release, namespace, { apply: { enabled: true }, profiler: { enabled: true } });
    expect(result.code, result.stderr).toBe(0);
    onTestFinished(() => uninstall(release, namespace).then(() => undefined));
    const workloads = await uniqueNamespace('chart-sec-wl');
    const serviceAccount = `system:serviceaccount:${namespace}:${release}-pytuner`;
    const authorization = adminClients().kubeConfig.makeApiClient(AuthorizationV1Api);
    const resources = [...(await discoverResources()), ...SPECIAL];
    // Every kind the chart mentions is served here, so an allowance cannot hide behind a kind that does not exist.
    for (const p of RELEASE_NAMESPACE) {
      const [, path] = p.split(' ') as [string, string];
      expect(resources.some((r) => permissionOf('x', r) === `x ${path}`), `${path} is served`).toBe(true);
    }

    /** The permissions the authorizer grants on `resources` in `where` (a namespace, or '' for cluster scope). */
    const allowedIn = async (where: string): Promise<Permission[]> => {
      const asks = resources.flatMap((r) => (where !== '' && !r.namespaced ? [] : r.verbs.map((verb) => ({ verb, r }))));
      const allowed: Permission[] = [];
      for (let i = 0; i < asks.length; i += 32) {
        const answers = await Promise.all(
          asks.slice(i, i + 32).map(({ verb, r }) =>
            authorization.createSubjectAccessReview({
              body: {
                spec: {
                  user: serviceAccount,
                  groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
                  resourceAttributes: { verb, group: r.group, resource: r.resource, ...(r.subresource === undefined ? {} : { subresource: r.subresource }), ...(where === '' ? {} : { namespace: where }) },
                },
              },
            }),
          ),
        );
        answers.forEach((answer, k) => {
          const ask = asks[i + k]!;
          if (answer.status?.allowed === true) allowed.push(permissionOf(ask.verb, ask.r));
        });
      }
      return allowed.sort();
    };

    expect(await allowedIn(workloads)).toEqual([...WATCHED_NAMESPACE].sort());
    expect(await allowedIn(namespace)).toEqual([...RELEASE_NAMESPACE].sort());
    expect(await allowedIn('')).toEqual([...ACROSS_NAMESPACES, ...EVERY_AUTHENTICATED_USER].sort());

    // The Lease it may read and renew is its own, by name.
    const lease = (name: string) => authorization.createSubjectAccessReview({ body: { spec: { user: serviceAccount, resourceAttributes: { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace, name } } } });
    expect((await lease(`${release}-pytuner`)).status?.allowed).toBe(true);
    expect((await lease('kube-controller-manager')).status?.allowed).toBe(false);
  });

  it('refuses the ServiceAccount\'s own token: Secrets anywhere, and patches of ConfigMaps, Pods, other CRDs and its policies', async () => {
    const namespace = await uniqueNamespace('chart-sec');
    const release = uniqueRelease('sec');
    const result = await install(release, namespace, { apply: { enabled: true }, profiler: { enabled: true } });
    expect(result.code, result.stderr).toBe(0);
    onTestFinished(() => uninstall(release, namespace).then(() => undefined));
    const admin = adminClients();
    await admin.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'db' }, stringData: { password: 'hunter2' } } });
    await admin.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { A: '1' } } });
    await admin.core.createNamespacedPod({ namespace, body: { metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } });
    await admin.custom.createNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace, plural: 'servicemonitors', body: { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'web' }, spec: { selector: {}, endpoints: [{ port: 'http' }] } } });
    await admin.custom.createNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', body: { apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { name: 'shop' }, spec: {} } });

    const kubeConfig = await serviceAccountKubeConfig(namespace, `${release}-pytuner`);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const refused = async (request: Promise<unknown>) => (await apiFailure(request)).httpStatus;

    expect(await refused(core.readNamespacedSecret({ namespace, name: 'db' }))).toBe(403);
    expect(await refused(core.listSecretForAllNamespaces())).toBe(403);
    expect(await refused(core.listNamespacedSecret({ namespace: 'kube-system' }))).toBe(403);
    expect(await refused(core.patchNamespacedConfigMap({ namespace, name: 'settings', body: { data: { A: '2' } } }, merge))).toBe(403);
    expect(await refused(core.patchNamespacedPod({ namespace, name: 'web', body: { metadata: { labels: { x: 'y' } } } }, merge))).toBe(403);
    expect(await refused(core.createNamespacedPodEviction({ namespace, name: 'web', body: { metadata: { name: 'web' } } }))).toBe(403);
    expect(await refused(custom.patchNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace, plural: 'servicemonitors', name: 'web', body: { metadata: { labels: { x: 'y' } } } }, merge))).toBe(403);
    // Users own their policies: pytuner writes only their status.
    expect(await refused(custom.patchNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'shop', body: { spec: { mode: 'Apply' } } }, merge))).toBe(403);
    expect(await refused(custom.deleteNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningpolicies', name: 'shop' }))).toBe(403);
    // And the ServiceMonitor, ConfigMap and Pod are as they were.
    expect((await admin.core.readNamespacedConfigMap({ namespace, name: 'settings' })).data).toEqual({ A: '1' });
  });
});

describe('the rendered controller pod', () => {
  /** Every pod template the chart renders with `values`. */
  async function podSpecs(values: Record<string, unknown>): Promise<V1PodSpec[]> {
    const objects = await render('sec', 'pytuner-system', values);
    return objects.filter((o) => o.kind === 'Deployment').map((d) => (d as V1Deployment).spec!.template.spec!);
  }

  it('runs as non-root with a read-only root filesystem, with default values and with every option on', async () => {
    const everything = { apply: { enabled: true }, profiler: { enabled: true }, serviceMonitor: { enabled: true }, networkPolicy: { enabled: true }, defaultPolicy: { enabled: true } };
    for (const values of [{}, everything]) {
      const specs = await podSpecs(values);
      expect(specs.length).toBeGreaterThan(0);
      for (const spec of specs) {
        expect(spec.securityContext?.runAsNonRoot).toBe(true);
        expect(spec.securityContext?.runAsUser).not.toBe(0);
        expect(spec.automountServiceAccountToken).not.toBe(false); // it talks to the API server with its token
        for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
          expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
          expect(container.securityContext?.privileged).not.toBe(true);
        }
      }
    }
  });

  it('is admitted where the restricted Pod Security Standard is enforced; the same pod as root is not', async () => {
    const namespace = await uniqueNamespace('chart-psa');
    const admin = adminClients();
    await admin.core.patchNamespace({ name: namespace, body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const [spec] = await podSpecs({});
    const pod = (podSpec: V1PodSpec) => admin.core.createNamespacedPod({ namespace, body: { metadata: { name: 'controller' }, spec: { ...podSpec, serviceAccountName: 'default' } }, dryRun: 'All' });
    const admitted = await pod(spec!);
    expect(admitted.spec?.containers[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);

    // The control: the same pod allowed to run as root is refused, so the admission check above is real.
    const asRoot: V1PodSpec = { ...spec!, securityContext: { ...spec!.securityContext, runAsNonRoot: false, runAsUser: 0 }, containers: spec!.containers.map((c) => ({ ...c, securityContext: { ...c.securityContext, runAsNonRoot: false } })) };
    const refusal = await apiFailure(pod(asRoot));
    expect(refusal.httpStatus).toBe(403);
    expect(refusal.message).toMatch(/violates PodSecurity "restricted:latest".*runAsNonRoot/);
  });
});
