/**
 * @module The report's pipeline on cache objects: wraps API objects as ParsedDocuments (file `cluster:Kind/ns/name`,
 * no line map), builds the inventory with the same `buildInventory` the CLI uses, runs the rules a policy enables
 * and, with measured load, the same `recommendFindings` as `pytuner report --prometheus`. Pure: the objects and the
 * observations arrive as data, so it is tested without a cluster or a Prometheus.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Evidence } from '../model/evidence.ts';
import type { Finding, InputError } from '../model/finding.ts';
import type { Inventory, Workload } from '../model/workload.ts';
import type { MetricsUnavailable, WorkloadObservations } from '../model/observations.ts';
import { observationKey } from '../model/observations.ts';
import type { ParsedDocument } from '../parse/types.ts';
import type { MetricsTarget } from '../input/metrics/target.ts';
import { targetOfWorkload } from '../input/metrics/target.ts';
import { buildInventory } from '../model/extract/inventory.ts';
import type { Rule } from '../rules/types.ts';
import { RULES } from '../rules/index.ts';
import { solveFindings } from '../solve/solve.ts';
import { recommendFindings } from '../recommender/findings.ts';
import type { RecommenderConfig } from '../recommender/types.ts';
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
  /** The inventory of the target and the objects around it, for the metrics step (withMetricsFindings). */
  inventory: Inventory;
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
  const findings = aboutTarget(solveFindings(built.inventory, rules.flatMap((rule) => rule.check(built.inventory))), target, targetFile);
  const errors = built.errors.filter((e) => e.file === targetFile).map(({ line: _line, ...rest }) => rest);
  const facts = built.inventory.workloads.find((w) => w.ref.file === targetFile);
  const evaluation: Evaluation = { findings, errors, inventory: built.inventory };
  if (facts !== undefined) evaluation.workload = facts;
  return evaluation;
}

/** The findings about the target itself (its file), without the stand-in line. */
function aboutTarget(findings: readonly Finding[], target: EvaluationTarget, targetFile: string): Finding[] {
  return findings
    .filter((f) => f.target.kind === target.kind && f.target.name === target.name && (f.target.namespace ?? '') === target.namespace && f.target.file === targetFile)
    .map(withoutClusterLines);
}

/** Measured load of one target, and the recommender settings of its policy. */
export interface TargetMetrics {
  /** The target's observations, or why there are none (keyed by its own `target`, as collectObservations keys it). */
  entry: WorkloadObservations | MetricsUnavailable;
  /** The policy's objectives and bounds, and `now`: the end of the metrics window. */
  recommender: Partial<RecommenderConfig>;
  /** The policy's `spec.rules`: metrics finding ids are switched on and off like rule ids. */
  rules: RuleSelection | undefined;
}

/**
 * withMetricsFindings adds the target's `metrics.*` findings to an evaluation: `recommendFindings` over the
 * evaluation's inventory with the target's entry alone, which is what `pytuner report --prometheus` computes for the
 * same workload and observations.
 */
export function withMetricsFindings(evaluation: Evaluation, target: EvaluationTarget, workload: KubernetesObject, metrics: TargetMetrics): Evaluation {
  const observations = new Map([[observationKey(metrics.entry.target), metrics.entry]]);
  const measured = aboutTarget(recommendFindings(evaluation.inventory, observations, metrics.recommender), target, clusterFile(workload)).filter((f) => ruleEnabled(metrics.rules, f.rule));
  // Solved again with the measured proposals: they win over the static ones for the request-shape settings.
  return { ...evaluation, findings: solveFindings(evaluation.inventory, [...evaluation.findings, ...measured]) };
}

/** The metrics target of an evaluated workload (its server container, vCPU, platform), when its object validated. */
export function metricsTargetOf(evaluation: Evaluation): MetricsTarget | undefined {
  return evaluation.workload === undefined ? undefined : targetOfWorkload(evaluation.workload);
}

/**
 * metricsTargets is the metrics target of each workload object that validates, as `pytuner report -f` makes them from
 * manifests: one collection then reads them all with the profile's per-namespace queries.
 */
export function metricsTargets(workloads: readonly KubernetesObject[]): MetricsTarget[] {
  const documents = workloads.map(clusterDocument);
  return buildInventory({ documents, sources: [], errors: [], files: documents.length }, []).inventory.workloads.map(targetOfWorkload);
}

/** withoutClusterLines drops the stand-in line 1 from a finding about cluster objects (they have no lines). */
export function withoutClusterLines(finding: Finding): Finding {
  const { line: _line, ...target } = finding.target;
  const strip = (e: Evidence): Evidence => {
    if (e.file === undefined || !e.file.startsWith(CLUSTER_FILE_PREFIX)) return e;
    const { line: _l, ...rest } = e;
    return rest;
  };
  return { ...finding, target: target.file?.startsWith(CLUSTER_FILE_PREFIX) === true ? target : finding.target, evidence: finding.evidence.map(strip) };
}
