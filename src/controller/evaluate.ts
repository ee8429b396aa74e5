/**
 * @module The report's pipeline on cache objects: wraps API objects as ParsedDocuments (file `cluster:Kind/ns/name`,
 * no line map), builds the inventory with the same `buildInventory` the CLI uses, and runs the rules a policy
 * enables. Pure: the objects arrive as data, so it is tested without a cluster.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Evidence } from '../model/evidence.ts';
import type { Finding, InputError } from '../model/finding.ts';
import type { Workload } from '../model/workload.ts';
import type { ParsedDocument } from '../input/types.ts';
import { buildInventory } from '../model/extract/inventory.ts';
import type { Rule } from '../rules/types.ts';
import { RULES } from '../rules/index.ts';
import type { RuleSelection } from '../api/v1alpha1/tuningPolicy.ts';
import { ruleEnabled } from '../api/v1alpha1/tuningPolicy.ts';

/** The prefix of `file` for objects read from the API server, in evidence and input errors. */
export const CLUSTER_FILE_PREFIX = 'cluster:';

/** The pseudo-file an API object is reported under: `cluster:Service/shop/orders`. */
export function clusterFile(obj: KubernetesObject): string {
  const namespace = obj.metadata?.namespace === undefined ? '' : `${obj.metadata.namespace}/`;
  return `${CLUSTER_FILE_PREFIX}${obj.kind ?? 'Object'}/${namespace}${obj.metadata?.name ?? ''}`;
}

/**
 * clusterDocument wraps a cached object for the extractors. Line 1 stands for "the object" (ParsedDocument needs a
 * line); `withoutClusterLines` removes it again from what is reported. Managed fields and status are dropped: the
 * extractors never read them and they would only weigh on validation.
 */
export function clusterDocument(obj: KubernetesObject, docIndex: number): ParsedDocument {
  const { metadata, ...rest } = obj as KubernetesObject & { status?: unknown };
  const { managedFields: _managedFields, ...meta } = metadata ?? {};
  const { status: _status, ...withoutStatus } = rest as Record<string, unknown>;
  return { file: clusterFile(obj), line: 1, docIndex, object: { ...withoutStatus, metadata: meta } };
}

/** What the rules found about one target, and why it could not be read if it could not. */
export interface Evaluation {
  findings: Finding[];
  /** Validation errors of the target's own object (a malformed workload): reported, never thrown. */
  errors: InputError[];
  /** The target's facts, when its object validated. */
  workload?: Workload;
}

/** The target of an evaluation. */
export interface EvaluationTarget {
  kind: string;
  namespace: string;
  name: string;
}

/** rulesFor is the registered rules a policy's `spec.rules` enables. */
export function rulesFor(selection: RuleSelection | undefined, rules: readonly Rule[] = RULES): Rule[] {
  return rules.filter((rule) => ruleEnabled(selection, rule.id));
}

/**
 * evaluateTarget runs `rules` over the target workload together with the identity and IAM objects around it
 * (ServiceAccounts, IAMPolicyMembers, IAMPartialPolicies: the profiler rule follows KSA → GSA → grants), and keeps
 * the findings about the target. Errors of the other objects are not the target's business and are dropped.
 */
export function evaluateTarget(target: EvaluationTarget, workload: KubernetesObject, context: readonly KubernetesObject[], rules: readonly Rule[]): Evaluation {
  const documents = [workload, ...context].map(clusterDocument);
  const targetFile = clusterFile(workload);
  const built = buildInventory({ documents, sources: [], errors: [], files: documents.length }, []);
  const findings = rules
    .flatMap((rule) => rule.check(built.inventory))
    .filter((f) => f.target.kind === target.kind && f.target.name === target.name && (f.target.namespace ?? '') === target.namespace && f.target.file === targetFile)
    .map(withoutClusterLines);
  const errors = built.errors.filter((e) => e.file === targetFile).map(({ line: _line, ...rest }) => rest);
  const facts = built.inventory.workloads.find((w) => w.ref.file === targetFile);
  return facts === undefined ? { findings, errors } : { findings, errors, workload: facts };
}

/** withoutClusterLines drops the stand-in line 1 from a finding about cluster objects (they have no lines). */
export function withoutClusterLines(finding: Finding): Finding {
  const { line: _line, ...target } = finding.target;
  const strip = (e: Evidence): Evidence => {
    if (e.file === undefined || !e.file.startsWith(CLUSTER_FILE_PREFIX)) return e;
    const { line: _l, ...rest } = e;
    return rest;
  };
  return { ...finding, target: target.file.startsWith(CLUSTER_FILE_PREFIX) ? target : finding.target, evidence: finding.evidence.map(strip) };
}
