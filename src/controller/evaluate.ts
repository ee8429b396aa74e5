/**
 * @module The report's pipeline on cache objects: wraps API objects as file-less ParsedDocuments (identity by object,
 * as `pytuner report --cluster` reads them), builds the inventory with the same `buildInventory` the CLI uses, runs the rules a policy enables
 * and, with measured load, the same `recommendFindings` as `pytuner report --prometheus`. Pure: the objects and the
 * observations arrive as data, so it is tested without a cluster or a Prometheus.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Finding, InputError } from '../model/finding.ts';
import type { Inventory, Workload } from '../model/workload.ts';
import type { MetricsUnavailable, WorkloadObservations } from '../model/observations.ts';
import { observationKey } from '../model/observations.ts';
import type { ParsedDocument } from '../parse/types.ts';
import type { MetricsTarget } from '../input/metrics/target.ts';
import { targetOfWorkload } from '../input/metrics/target.ts';
import { buildInventory } from '../model/extract/inventory.ts';
import { apiObjectDocument } from '../parse/apiObject.ts';
import { describeObject } from '../parse/schemas.ts';
import type { Rule } from '../rules/types.ts';
import { RULES } from '../rules/index.ts';
import { solveFindings } from '../solve/solve.ts';
import { recommendFindings } from '../recommender/findings.ts';
import type { RecommenderConfig } from '../recommender/types.ts';
import type { RuleSelection } from '../api/v1alpha1/tuningPolicy.ts';
import { ruleEnabled } from '../api/v1alpha1/tuningPolicy.ts';

/** The document an API object is evaluated as: no file and no line, its identity is the object itself. */
function objectDocument(obj: KubernetesObject, docIndex: number): ParsedDocument {
  return apiObjectDocument(obj as Record<string, unknown>, docIndex);
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
  const documents = [workload, ...context].map(objectDocument);
  const built = buildInventory({ documents, sources: [], errors: [], files: documents.length }, []);
  const ran = (id: string) => rules.some((rule) => rule.id === id);
  const findings = aboutTarget(solveFindings(built.inventory, rules.flatMap((rule) => rule.check(built.inventory)), ran), target);
  // Errors name their object as describeObject does; no two objects in a cluster share kind, namespace and name.
  const targetObject = describeObject(workload as Record<string, unknown>);
  const errors = built.errors.filter((e) => e.object === targetObject);
  const facts = built.inventory.workloads.find((w) => isTarget(w.ref, target));
  const evaluation: Evaluation = { findings, errors, inventory: built.inventory };
  if (facts !== undefined) evaluation.workload = facts;
  return evaluation;
}

/** The findings about the target itself. */
function aboutTarget(findings: readonly Finding[], target: EvaluationTarget): Finding[] {
  return findings.filter((f) => isTarget(f.target, target));
}

/** A ref read from the API server (no file) that names the target. */
function isTarget(ref: { kind: string; name: string; namespace?: string; file?: string }, target: EvaluationTarget): boolean {
  return ref.file === undefined && ref.kind === target.kind && ref.name === target.name && (ref.namespace ?? '') === target.namespace;
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
export function withMetricsFindings(evaluation: Evaluation, target: EvaluationTarget, metrics: TargetMetrics): Evaluation {
  const observations = new Map([[observationKey(metrics.entry.target), metrics.entry]]);
  const measured = aboutTarget(recommendFindings(evaluation.inventory, observations, metrics.recommender), target).filter((f) => ruleEnabled(metrics.rules, f.rule));
  // Solved again with the measured proposals: they win over the static ones for the request-shape settings.
  return { ...evaluation, findings: solveFindings(evaluation.inventory, [...evaluation.findings, ...measured], (id) => ruleEnabled(metrics.rules, id)) };
}

/** The metrics target of an evaluated workload (its server container, vCPU, platform), when its object validated. */
export function metricsTargetOf(evaluation: Evaluation): MetricsTarget | undefined {
  return evaluation.workload === undefined ? undefined : targetOfWorkload(evaluation.workload);
}

/**
 * The metrics target of each workload object seen (null: it does not validate), keyed by the object: a cached object is
 * replaced on every change, so an entry never goes stale. A policy's reconcile asks for the targets of every workload
 * it governs, and every recommendation written re-queues its policy: validating them all each time was O(workloads
 * of the namespace) per write, a hundred times more work at 20,000 workloads in 60 namespaces than at 2,000.
 */
const targetsByObject = new WeakMap<object, MetricsTarget | null>();

/**
 * metricsTargets is the metrics target of each workload object that validates, as `pytuner report -f` makes them from
 * manifests: one collection then reads them all with the profile's per-namespace queries. A target depends on its
 * workload alone (its server container, vCPU, platform), so each object is read once.
 */
export function metricsTargets(workloads: readonly KubernetesObject[]): MetricsTarget[] {
  return workloads.flatMap((workload) => {
    let target = targetsByObject.get(workload);
    if (target === undefined) {
      const documents = [objectDocument(workload, 0)];
      const facts = buildInventory({ documents, sources: [], errors: [], files: 1 }, []).inventory.workloads[0];
      targetsByObject.set(workload, (target = facts === undefined ? null : targetOfWorkload(facts)));
    }
    return target === null ? [] : [target];
  });
}
