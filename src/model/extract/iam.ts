/**
 * @module Config Connector IAM objects → IamGrants: an IAMPolicyMember is one grant, an IAMPartialPolicy one
 * grant per binding member. The profiler rule looks for `roles/cloudprofiler.agent` granted to a workload's identity.
 */
import type { IamGrant } from '../workload.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import { MEMBER_FROM_REFS } from '../../parse/schemas.ts';
import type { IamPartialPolicy, IamPolicyMember, IamServiceAccount, MemberFrom, ResourceRef } from '../../parse/schemas.ts';
import { objectRef } from './context.ts';

/** Config Connector's annotation naming the project a resource lives in. */
const PROJECT_ID_ANNOTATION = 'cnrm.cloud.google.com/project-id';

/** Emails of the IAMServiceAccounts among the inputs, by `namespace/name` (namespace empty when not written). */
export type ServiceAccountEmails = ReadonlyMap<string, string>;

/**
 * serviceAccountEmails computes `<accountId>@<project>.iam.gserviceaccount.com` for each IAMServiceAccount whose
 * project is annotated; the account id is `spec.resourceID`, else `metadata.name`. Without the annotation the
 * project comes from the namespace's annotation, which is not among the inputs, so no email is known.
 */
export function serviceAccountEmails(accounts: readonly IamServiceAccount[]): ServiceAccountEmails {
  const emails = new Map<string, string>();
  for (const account of accounts) {
    const project = account.metadata.annotations?.[PROJECT_ID_ANNOTATION];
    if (project === undefined) continue;
    const id = account.spec?.resourceID ?? account.metadata.name;
    emails.set(`${account.metadata.namespace ?? ''}/${account.metadata.name}`, `${id}@${project}.iam.gserviceaccount.com`);
  }
  return emails;
}

/** extractPolicyMember reads an IAMPolicyMember as one grant. */
export function extractPolicyMember(doc: ParsedDocument, obj: IamPolicyMember, emails: ServiceAccountEmails): IamGrant {
  return {
    ref: objectRef(doc, obj),
    role: obj.spec.role,
    member: memberText(obj.spec.member, obj.spec.memberFrom, obj.metadata.namespace, emails),
    resource: resourceText(obj.spec.resourceRef),
  };
}

/** extractPartialPolicy reads an IAMPartialPolicy as one grant per member of each binding. */
export function extractPartialPolicy(doc: ParsedDocument, obj: IamPartialPolicy, emails: ServiceAccountEmails): IamGrant[] {
  const ref = objectRef(doc, obj);
  const resource = resourceText(obj.spec.resourceRef);
  return (obj.spec.bindings ?? []).flatMap((binding) =>
    (binding.members ?? []).map((m) => ({ ref, role: binding.role, member: memberText(m.member, m.memberFrom, obj.metadata.namespace, emails), resource })),
  );
}

/**
 * memberText returns `member` as written. A `memberFrom` ref becomes `serviceAccount:<email>` when it points at an
 * IAMServiceAccount among the inputs with a known project, and otherwise `<refKind>:<namespace>/<name>`
 * (e.g. `serviceAccountRef:default/profiler`, namespace defaulting to the object's own, omitted when neither is written).
 */
export function memberText(member: string | undefined, memberFrom: MemberFrom | undefined, namespace: string | undefined, emails: ServiceAccountEmails): string {
  if (member !== undefined || memberFrom === undefined) return member ?? '';
  const refKind = MEMBER_FROM_REFS.find((k) => memberFrom[k] !== undefined) ?? 'serviceAccountRef';
  const target = memberFrom[refKind] ?? { name: '' };
  const ns = target.namespace ?? namespace;
  if (refKind === 'serviceAccountRef') {
    const email = emails.get(`${ns ?? ''}/${target.name}`) ?? (ns === undefined ? undefined : emails.get(`/${target.name}`));
    if (email !== undefined) return `serviceAccount:${email}`;
  }
  return `${refKind}:${ns === undefined ? '' : `${ns}/`}${target.name}`;
}

/**
 * resourceText names the resource a grant is on: `Project/<id>` for a project given by `external`
 * (`projects/` prefix dropped), `<Kind>/<external or name>` otherwise, and the bare kind when only `kind` is given
 * (Config Connector then uses the project of the object's namespace).
 */
export function resourceText(ref: ResourceRef): string {
  if (ref.external !== undefined) return ref.kind === 'Project' ? `Project/${ref.external.replace(/^projects\//, '')}` : `${ref.kind}/${ref.external}`;
  if (ref.name !== undefined) return `${ref.kind}/${ref.name}`;
  return ref.kind;
}
