/**
 * @module `profiler.iam-role`: a workload runs Google Cloud Profiler but the identity it runs as has no grant of
 * `roles/cloudprofiler.agent` among the inputs, so the agent's CreateProfile calls are denied.
 * @see docs/rules/profiler.iam-role.md
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding } from '../model/finding.ts';
import type { IamGrant, Inventory, ServiceAccountFacts, Workload } from '../model/workload.ts';
import type { IamMemberSpec } from '../model/change.ts';
import { changeTarget, propose } from './changes.ts';
import type { Rule } from './types.ts';
import { profilerInstalled, targetOf, uniqueEvidence, workloadProfilerSignals } from './facts.ts';
import { shellQuote } from '../render/gcloudWords.ts';

const ID = 'profiler.iam-role';

/** The role the Cloud Profiler agent needs (https://cloud.google.com/profiler/docs/iam). */
export const PROFILER_AGENT_ROLE = 'roles/cloudprofiler.agent';

/**
 * Roles that hold both `cloudprofiler.profiles.create` and `.update`: the agent role, Cloud Profiler Admin, and the basic
 * Owner and Editor roles (https://cloud.google.com/iam/docs/roles-permissions/cloudprofiler). Basic roles are broader
 * than needed, but the profiler works with them, so this rule does not report them.
 */
const SUFFICIENT_ROLES = new Set([PROFILER_AGENT_ROLE, 'roles/cloudprofiler.admin', 'roles/editor', 'roles/owner']);

const WORKLOAD_IDENTITY_ANNOTATION = 'iam.gke.io/gcp-service-account';

/** Who the profiler authenticates as. */
type Identity =
  | { kind: 'gsa'; email: string; via: string; evidence: Evidence[] }
  | { kind: 'ksa'; namespace: string; name: string; evidence: Evidence[] }
  | { kind: 'default-compute'; evidence: Evidence[] };

/** `profiler.iam-role`: the profiler's identity lacks roles/cloudprofiler.agent. */
export const iamRole: Rule = {
  id: ID,
  severity: 'critical',
  summary: 'the identity a profiled workload runs as has no roles/cloudprofiler.agent grant among the inputs',
  check: (inventory) => {
    const accounts = serviceAccountIndex(inventory.serviceAccounts);
    return inventory.workloads.flatMap((workload) => checkWorkload(inventory, accounts, workload));
  },
};

/** ServiceAccounts by `namespace/name` (the first of a name wins): a lookup per workload, not a scan of every account. */
type ServiceAccountIndex = ReadonlyMap<string, ServiceAccountFacts>;

function serviceAccountIndex(accounts: readonly ServiceAccountFacts[]): ServiceAccountIndex {
  const index = new Map<string, ServiceAccountFacts>();
  for (const account of accounts) {
    const key = `${account.ref.namespace ?? 'default'}/${account.ref.name}`;
    if (!index.has(key)) index.set(key, account);
  }
  return index;
}

function checkWorkload(inventory: Inventory, accounts: ServiceAccountIndex, workload: Workload): Finding[] {
  const signals = workloadProfilerSignals(workload);
  if (signals.length === 0) return [];
  const identity = identityOf(accounts, workload);
  if (identity.kind === 'default-compute') return [defaultComputeFinding(workload, signals, identity)];
  if (inventory.iamGrants.some((grant) => satisfies(grant, identity))) return [];
  const member = memberOf(identity);
  const projectId = identity.kind === 'gsa' ? projectOfEmail(identity.email) : undefined;
  // Without the agent package in sight, ENABLE_PROFILER=1 may be a leftover: worth a look, not an outage.
  const installed = workload.containers.some((c) => profilerInstalled(workload, c.dockerfile));
  const notes: string[] = [];
  if (projectId === undefined) notes.push('replace PROJECT_ID (and PROJECT_NUMBER) with the project the profiles go to');
  notes.push('apply the IAMPolicyMember in the namespace Config Connector manages for that project');
  if (identity.kind === 'ksa') {
    notes.push(
      `whether Cloud Profiler accepts Workload Identity Federation principals directly is not confirmed; if it rejects them, annotate the KSA with ${WORKLOAD_IDENTITY_ANNOTATION} and grant the Google service account instead`,
    );
  }
  const stale = installed ? '' : '; google-cloud-profiler is not seen installed (no RUN line or requirements file names it), so the profiler env may be a leftover';
  return [
    {
      rule: ID,
      severity: installed ? 'critical' : 'warning',
      target: targetOf(workload),
      message: `Cloud Profiler runs as ${describeIdentity(identity)} and no grant among the inputs gives it ${PROFILER_AGENT_ROLE}: ${consequence(identity)}${stale}`,
      current: { member, role: null },
      recommended: { member, role: PROFILER_AGENT_ROLE },
      evidence: uniqueEvidence([...signals, ...identity.evidence]),
      changes: [
        propose('profilerIamMember', undefined, policyMemberSpec(identity, member, projectId), {
          target: changeTarget(workload),
          rule: ID,
          location: { kind: 'object', apiVersion: 'iam.cnrm.cloud.google.com/v1beta1', objectKind: 'IAMPolicyMember' },
        }),
      ],
      fix: {
        create: [policyMember(identity, member, projectId ?? 'PROJECT_ID')],
        commands: [grantCommand(member, projectId ?? 'PROJECT_ID', identity.kind === 'ksa')],
        notes,
      },
    },
  ];
}

function defaultComputeFinding(workload: Workload, signals: Evidence[], identity: Identity): Finding {
  return {
    rule: ID,
    severity: 'warning',
    target: targetOf(workload),
    message: `Cloud Profiler runs as the project's default compute service account (serviceAccountName unset), whose roles pytuner cannot check; set a dedicated serviceAccountName with ${PROFILER_AGENT_ROLE}`,
    current: { serviceAccountName: null },
    recommended: { serviceAccountName: 'a dedicated service account', role: PROFILER_AGENT_ROLE },
    evidence: uniqueEvidence([...signals, ...identity.evidence]),
    fix: {
      notes: [
        'the default compute service account has Editor only where automatic role grants to default service accounts are allowed (organisations created since May 2024 disable them)',
        `create a service account, grant it ${PROFILER_AGENT_ROLE}, and set spec.template.spec.serviceAccountName to its email`,
      ],
    },
  };
}

/**
 * Cloud Run: `serviceAccountName` is a Google service account email (unset = the default compute SA).
 * GKE and Knative on GKE: the pod's KSA (`default` when unset); with `iam.gke.io/gcp-service-account` it acts as that
 * Google service account, otherwise as the Workload Identity Federation principal of the KSA.
 */
function identityOf(accounts: ServiceAccountIndex, workload: Workload): Identity {
  const setting = workload.serviceAccountName;
  const named = setting?.value;
  if (workload.platform === 'cloudrun') {
    if (named === undefined) return { kind: 'default-compute', evidence: setting === undefined ? [] : [setting.evidence] };
    return { kind: 'gsa', email: named, via: 'serviceAccountName', evidence: [setting!.evidence] };
  }
  const namespace = workload.ref.namespace ?? 'default';
  const name = named ?? 'default';
  const evidence: Evidence[] = setting === undefined ? [] : [setting.evidence];
  const ksa = accounts.get(`${namespace}/${name}`);
  if (ksa?.gcpServiceAccount !== undefined) {
    return { kind: 'gsa', email: ksa.gcpServiceAccount, via: `KSA ${namespace}/${name}`, evidence: [...evidence, annotationEvidence(ksa)] };
  }
  return { kind: 'ksa', namespace, name, evidence };
}

function annotationEvidence(sa: ServiceAccountFacts): Evidence {
  const evidence: Evidence = { source: 'manifest', file: sa.ref.file, field: `metadata.annotations["${WORKLOAD_IDENTITY_ANNOTATION}"]` };
  if (sa.ref.line !== undefined) evidence.line = sa.ref.line;
  if (sa.gcpServiceAccount !== undefined) evidence.text = sa.gcpServiceAccount;
  return evidence;
}

/** What a missing grant does, with what it assumes about how the pod authenticates. */
function consequence(identity: Identity): string {
  if (identity.kind === 'ksa') {
    return `if the cluster uses GKE Workload Identity Federation, the pod authenticates as this KSA's principal and the agent's CreateProfile calls are denied; without Workload Identity it runs as the node's service account, whose roles pytuner cannot see`;
  }
  if (identity.kind === 'gsa' && identity.via !== 'serviceAccountName') return `with GKE Workload Identity enabled on the node pool, unless the role is granted outside these inputs (gcloud, Terraform), the agent's CreateProfile calls are denied`;
  return `unless the role is granted outside these inputs (gcloud, Terraform), the agent's CreateProfile calls are denied`;
}

function describeIdentity(identity: Identity): string {
  if (identity.kind === 'gsa') return `serviceAccount:${identity.email}${identity.via === 'serviceAccountName' ? '' : ` (${identity.via} via ${WORKLOAD_IDENTITY_ANNOTATION})`}`;
  if (identity.kind === 'ksa') return `KSA ${identity.namespace}/${identity.name} (its Workload Identity Federation principal; no ${WORKLOAD_IDENTITY_ANNOTATION})`;
  return 'the default compute service account';
}

/** The IAM member to grant. The KSA principal names the project by number and the pool by project id. */
function memberOf(identity: Identity): string {
  if (identity.kind === 'gsa') return `serviceAccount:${identity.email}`;
  if (identity.kind === 'ksa') {
    return `principal://iam.googleapis.com/projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/PROJECT_ID.svc.id.goog/subject/ns/${identity.namespace}/sa/${identity.name}`;
  }
  return '';
}

/** Whether a grant gives the identity the profiler's permissions at project (or folder/organisation) level. */
function satisfies(grant: IamGrant, identity: Identity): boolean {
  if (!SUFFICIENT_ROLES.has(grant.role) || !onProjectOrAbove(grant.resource)) return false;
  if (identity.kind === 'gsa') return sameServiceAccount(grant.member, identity.email);
  if (identity.kind === 'ksa') return coversKsa(grant.member, identity.namespace, identity.name);
  return false;
}

/** IAM is inherited from folders and organisations; a grant on another resource (a bucket, a service account) does not help. */
function onProjectOrAbove(resource: string): boolean {
  return resource === '' || /^(project|folder|organization)s?([/:]|$)/i.test(resource);
}

/**
 * `serviceAccount:<email>`, case-insensitive. A Config Connector `memberFrom.serviceAccountRef` that could not be
 * resolved to an email arrives as `serviceAccountRef:<namespace>/<name>`; the IAMServiceAccount's name is the email's
 * local part unless its `resourceID` says otherwise, so the name is matched against the local part.
 */
function sameServiceAccount(member: string, email: string): boolean {
  const wanted = email.toLowerCase();
  const byEmail = /^serviceAccount:(.+)$/i.exec(member);
  if (byEmail !== null) return byEmail[1]!.toLowerCase() === wanted;
  const byRef = /^serviceAccountRef:(?:[^/]*\/)?([^/]+)$/.exec(member);
  return byRef !== null && byRef[1]!.toLowerCase() === wanted.split('@')[0];
}

const POOL = String.raw`^principal(Set)?://iam\.googleapis\.com/projects/[^/]+/locations/global/workloadIdentityPools/[^/]+\.svc\.id\.goog/`;

/** The KSA's own principal (any project), its namespace's principalSet, or a cluster-wide principalSet. */
function coversKsa(member: string, namespace: string, name: string): boolean {
  const m = new RegExp(`${POOL}(.+)$`).exec(member);
  if (m === null) return false;
  const [, isSet, rest] = m as unknown as [string, string | undefined, string];
  if (isSet === undefined) return rest === `subject/ns/${namespace}/sa/${name}`;
  // pytuner cannot tell which cluster a manifest is applied to: a cluster-wide grant is taken to cover it.
  return rest === `namespace/${namespace}` || rest.startsWith('kubernetes.cluster/');
}

/** `api@my-project.iam.gserviceaccount.com` → `my-project`; other domains (the default compute SA) → `undefined`. */
export function projectOfEmail(email: string): string | undefined {
  const m = /@([a-z][-a-z0-9]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/i.exec(email);
  return m?.[1];
}

/** A Config Connector IAMPolicyMember, named after the identity so two workloads sharing it produce the same object. */
function policyMember(identity: Identity, member: string, projectId: string): Record<string, unknown> {
  const spec = policyMemberSpec(identity, member, projectId);
  return {
    apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
    kind: 'IAMPolicyMember',
    metadata: { name: spec.name },
    spec: { member: spec.member, role: spec.role, resourceRef: spec.resourceRef },
  };
}

/**
 * The IAMPolicyMember as a typed value. Complete only when the project is known: a KSA principal names the project
 * by number, which the manifests never say.
 */
function policyMemberSpec(identity: Identity, member: string, projectId: string | undefined): IamMemberSpec {
  const who = identity.kind === 'gsa' ? identity.email.split('@')[0]! : identity.kind === 'ksa' ? `${identity.namespace}-${identity.name}` : 'default';
  const project = projectId ?? 'PROJECT_ID';
  return {
    name: `${who}-cloudprofiler-agent`.toLowerCase(),
    member,
    role: PROFILER_AGENT_ROLE,
    resourceRef: { kind: 'Project', external: `projects/${project}` },
    complete: projectId !== undefined && !/PROJECT_ID|PROJECT_NUMBER/.test(member),
  };
}

/** The gcloud equivalent; `--condition=None` keeps gcloud from prompting when the policy has conditional bindings. */
function grantCommand(member: string, projectId: string, principal: boolean): string {
  const words = ['gcloud', 'projects', 'add-iam-policy-binding', projectId, `--member=${member}`, `--role=${PROFILER_AGENT_ROLE}`];
  if (principal) words.push('--condition=None');
  return words.map(shellQuote).join(' ');
}
