import { describe, expect, it } from 'vitest';
import { deployment, inventory, knativeService } from '../../test/builders/index.ts';
import { iamRole, projectOfEmail } from './profiler.iam-role.ts';

const GSA = 'api@my-project.iam.gserviceaccount.com';
/** The agent installed (`RUN pip install google-cloud-profiler`) and switched on. */
const profiledCloudRun = () =>
  knativeService('api')
    .cloudRun()
    .serviceAccount(GSA)
    .container((c) => c.env('ENABLE_PROFILER', 'true').gunicorn().dockerfile((d) => d.from('python:3.12-slim').run('pip install google-cloud-profiler')));
const profiledGke = () => deployment('web').inNamespace('prod').serviceAccount('web').annotation('pytuner.dev/profiler', 'enabled').container((c) => c.env('GOOGLE_CLOUD_PROFILER_SERVICE', 'web').gunicorn());

describe('profiler.iam-role', () => {
  it('is critical when the Cloud Run service account has no grant, and creates an IAMPolicyMember for its project', () => {
    const [finding, ...rest] = iamRole.check(inventory(profiledCloudRun()).build());
    expect(rest).toEqual([]);
    expect(finding!.changes?.map((c) => [c.setting, c.to])).toEqual([
      [
        'profilerIamMember',
        {
          name: 'api-cloudprofiler-agent',
          member: 'serviceAccount:api@my-project.iam.gserviceaccount.com',
          role: 'roles/cloudprofiler.agent',
          resourceRef: { kind: 'Project', external: 'projects/my-project' },
          complete: true,
        },
      ],
    ]);
    expect({ ...finding, changes: undefined }).toEqual({
      changes: undefined,
      rule: 'profiler.iam-role',
      severity: 'critical',
      target: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: '123456789012', name: 'api', file: 'api.yaml', line: 1 },
      message: `Cloud Profiler runs as serviceAccount:${GSA} and no grant among the inputs gives it roles/cloudprofiler.agent: unless the role is granted outside these inputs (gcloud, Terraform), the agent's CreateProfile calls are denied`,
      current: { member: `serviceAccount:${GSA}`, role: null },
      recommended: { member: `serviceAccount:${GSA}`, role: 'roles/cloudprofiler.agent' },
      evidence: [
        { source: 'manifest', file: 'api.yaml', field: 'spec.template.spec.containers[0].env[0]', text: 'ENABLE_PROFILER=true' },
        { source: 'Dockerfile', file: 'Dockerfile', line: 2, field: 'RUN', text: 'RUN pip install google-cloud-profiler' },
        { source: 'manifest', file: 'api.yaml', field: 'spec.template.spec.serviceAccountName', text: GSA },
      ],
      fix: {
        create: [
          {
            apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
            kind: 'IAMPolicyMember',
            metadata: { name: 'api-cloudprofiler-agent' },
            spec: { member: `serviceAccount:${GSA}`, role: 'roles/cloudprofiler.agent', resourceRef: { kind: 'Project', external: 'projects/my-project' } },
          },
        ],
        commands: [`gcloud projects add-iam-policy-binding my-project --member=serviceAccount:${GSA} --role=roles/cloudprofiler.agent`],
        notes: ['apply the IAMPolicyMember in the namespace Config Connector manages for that project'],
      },
    });
  });

  it('is satisfied by a project grant of the agent role, Profiler Admin, Editor or Owner, matched case-insensitively', () => {
    for (const role of ['roles/cloudprofiler.agent', 'roles/cloudprofiler.admin', 'roles/editor', 'roles/owner']) {
      expect(iamRole.check(inventory(profiledCloudRun()).grant(`serviceAccount:${GSA.toUpperCase()}`, role).build())).toEqual([]);
    }
    expect(iamRole.check(inventory(profiledCloudRun()).grant('serviceAccountRef:config-connector/api', 'roles/cloudprofiler.agent').build())).toEqual([]);
    expect(iamRole.check(inventory(profiledCloudRun()).grant(`serviceAccount:${GSA}`, 'roles/cloudprofiler.agent', 'Project').build())).toEqual([]);
  });

  it('is not satisfied by another role, another member, or a grant on another resource', () => {
    const [viewer] = iamRole.check(inventory(profiledCloudRun()).grant(`serviceAccount:${GSA}`, 'roles/cloudprofiler.user').build());
    const [other] = iamRole.check(inventory(profiledCloudRun()).grant('serviceAccount:other@my-project.iam.gserviceaccount.com', 'roles/cloudprofiler.agent').build());
    const [bucket] = iamRole.check(inventory(profiledCloudRun()).grant(`serviceAccount:${GSA}`, 'roles/cloudprofiler.agent', 'StorageBucket/logs').build());
    expect([viewer?.severity, other?.severity, bucket?.severity]).toEqual(['critical', 'critical', 'critical']);
  });

  it('warns that the default compute service account cannot be checked on Cloud Run', () => {
    const [finding] = iamRole.check(inventory(knativeService('api').cloudRun().container((c) => c.env('ENABLE_PROFILER', '1').gunicorn())).build());
    expect(finding).toMatchObject({
      severity: 'warning',
      message:
        "Cloud Profiler runs as the project's default compute service account (serviceAccountName unset), whose roles pytuner cannot check; set a dedicated serviceAccountName with roles/cloudprofiler.agent",
    });
    expect(finding!.fix!.create).toBeUndefined();
  });

  it("follows a GKE pod's KSA to its Google service account", () => {
    const gsa = 'web-sa@shop-prod.iam.gserviceaccount.com';
    const [finding] = iamRole.check(inventory(profiledGke()).serviceAccount('prod', 'web', gsa).build());
    expect(finding!.message).toBe(
      `Cloud Profiler runs as serviceAccount:${gsa} (KSA prod/web via iam.gke.io/gcp-service-account) and no grant among the inputs gives it roles/cloudprofiler.agent: with GKE Workload Identity enabled on the node pool, unless the role is granted outside these inputs (gcloud, Terraform), the agent's CreateProfile calls are denied`,
    );
    expect(finding!.fix!.commands).toEqual([`gcloud projects add-iam-policy-binding shop-prod --member=serviceAccount:${gsa} --role=roles/cloudprofiler.agent`]);
    expect(iamRole.check(inventory(profiledGke()).serviceAccount('prod', 'web', gsa).grant(`serviceAccount:${gsa}`, 'roles/cloudprofiler.agent').build())).toEqual([]);
  });

  it('quotes a word of the gcloud command the shell would change as the other printed gcloud commands do (single quotes)', () => {
    // A Google service account still holding a template's variable: the shell must not expand it in the command.
    const gsa = 'web-sa@${PROJECT}.iam.gserviceaccount.com';
    const [finding] = iamRole.check(inventory(profiledGke()).serviceAccount('prod', 'web', gsa).build());
    expect(finding!.fix!.commands).toEqual([`gcloud projects add-iam-policy-binding PROJECT_ID '--member=serviceAccount:${gsa}' --role=roles/cloudprofiler.agent`]);
  });

  it('uses the Workload Identity Federation principal of a KSA without a Google service account', () => {
    const principal = (ns: string, sa: string) =>
      `principal://iam.googleapis.com/projects/42/locations/global/workloadIdentityPools/shop-prod.svc.id.goog/subject/ns/${ns}/sa/${sa}`;
    const [finding] = iamRole.check(inventory(profiledGke()).build());
    const member = 'principal://iam.googleapis.com/projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/PROJECT_ID.svc.id.goog/subject/ns/prod/sa/web';
    expect(finding!.message).toContain('Cloud Profiler runs as KSA prod/web (its Workload Identity Federation principal; no iam.gke.io/gcp-service-account)');
    expect(finding!.fix!.commands).toEqual([`gcloud projects add-iam-policy-binding PROJECT_ID --member=${member} --role=roles/cloudprofiler.agent --condition=None`]);
    expect(finding!.fix!.create![0]).toMatchObject({ metadata: { name: 'prod-web-cloudprofiler-agent' }, spec: { member, resourceRef: { kind: 'Project', external: 'projects/PROJECT_ID' } } });
    expect(finding!.fix!.notes![0]).toBe('replace PROJECT_ID (and PROJECT_NUMBER) with the project the profiles go to');
    expect(iamRole.check(inventory(profiledGke()).grant(principal('prod', 'web'), 'roles/cloudprofiler.agent').build())).toEqual([]);
    expect(iamRole.check(inventory(profiledGke()).grant(principal('prod', 'other'), 'roles/cloudprofiler.agent').build())).toHaveLength(1);
    const namespaceWide = 'principalSet://iam.googleapis.com/projects/42/locations/global/workloadIdentityPools/shop-prod.svc.id.goog/namespace/prod';
    expect(iamRole.check(inventory(profiledGke()).grant(namespaceWide, 'roles/cloudprofiler.agent').build())).toEqual([]);
  });

  it('defaults the KSA to `default`, and finds the profiler from annotation or Dockerfile', () => {
    const annotated = deployment('a').annotation('pytuner.dev/profiler', 'enabled').container((c) => c.gunicorn());
    const [finding] = iamRole.check(inventory(annotated).build());
    expect(finding!.recommended.member).toBe('principal://iam.googleapis.com/projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/PROJECT_ID.svc.id.goog/subject/ns/default/sa/default');
    const built = deployment('b').container((c) => c.dockerfile((d) => d.from('python:3.12-slim').run('pip install google-cloud-profiler')).gunicorn());
    expect(iamRole.check(inventory(built).build())[0]!.evidence[0]).toEqual({ source: 'Dockerfile', file: 'Dockerfile', line: 2, field: 'RUN', text: 'RUN pip install google-cloud-profiler' });
  });

  it('stays silent without profiler signals, for ENABLE_PROFILER=false and for values from Secrets', () => {
    expect(iamRole.check(inventory(knativeService('a').cloudRun().container((c) => c.gunicorn())).build())).toEqual([]);
    expect(iamRole.check(inventory(knativeService('b').cloudRun().container((c) => c.env('ENABLE_PROFILER', 'false').gunicorn())).build())).toEqual([]);
    expect(iamRole.check(inventory(knativeService('c').cloudRun().container((c) => c.envFromSecret('ENABLE_PROFILER').gunicorn())).build())).toEqual([]);
  });

  it('reads the project id from a service account email', () => {
    expect(projectOfEmail('a@my-project.iam.gserviceaccount.com')).toBe('my-project');
    expect(projectOfEmail('123456789012-compute@developer.gserviceaccount.com')).toBeUndefined();
  });

  it('is at most a warning when only a profiler env is seen and no RUN line or requirements file installs the agent', () => {
    const stale = knativeService('api').cloudRun().serviceAccount(GSA).container((c) => c.env('ENABLE_PROFILER', '1').gunicorn().dockerfile((d) => d.from('python:3.12-slim').run('pip install flask')));
    const [finding] = iamRole.check(inventory(stale).build());
    expect(finding?.severity).toBe('warning');
    expect(finding?.message).toContain('google-cloud-profiler is not seen installed (no RUN line or requirements file names it), so the profiler env may be a leftover');
  });

  it('is silent when the manifest turns the profiler off over the image ENV: DISABLE_PROFILER, or ENABLE_PROFILER=0/false', () => {
    for (const [name, value] of [['DISABLE_PROFILER', '1'], ['DISABLE_PROFILER', 'true'], ['ENABLE_PROFILER', '0'], ['ENABLE_PROFILER', 'false']] as const) {
      const off = knativeService('api')
        .cloudRun()
        .serviceAccount(GSA)
        .container((c) => c.env(name, value).gunicorn().dockerfile((d) => d.from('python:3.12-slim').env('ENABLE_PROFILER', '1').run('pip install google-cloud-profiler')));
      expect(iamRole.check(inventory(off).build()), `${name}=${value}`).toEqual([]);
    }
  });

  it('says what it assumes about Workload Identity for an un-annotated KSA', () => {
    const [finding] = iamRole.check(inventory(deployment('web').inNamespace('prod').serviceAccount('web').annotation('pytuner.dev/profiler', 'enabled').container((c) => c.gunicorn())).build());
    expect(finding?.message).toContain('if the cluster uses GKE Workload Identity Federation, the pod authenticates as this KSA');
    expect(finding?.message).toContain("without Workload Identity it runs as the node's service account, whose roles pytuner cannot see");
    expect(finding?.message).not.toContain('PERMISSION_DENIED');
  });
});
