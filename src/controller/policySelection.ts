/**
 * @module Which TuningPolicy governs a workload, and which policies overlap, as pure functions. A namespace's own
 * policies come first, oldest first (then by name); after them the cluster default policy (`--default-policy`), for
 * a namespace that opted in with the label `pytuner.dev/enabled=true` (Goldilocks' way: one label per namespace, no
 * policy to copy into each). The first policy that selects a workload governs it; every other one that selects it
 * overlaps, and both say so in their `Overlapping` condition, naming the other policy and the workloads.
 */
import { policySelects, type TuningPolicy } from '../api/v1alpha1/tuningPolicy.ts';
import type { Condition } from '../api/v1alpha1/common.ts';

/** The namespace label that opts a namespace into the cluster default policy. */
export const OPT_IN_LABEL = 'pytuner.dev/enabled';

/** Condition type on a TuningPolicy that shares workloads with another. */
export const OVERLAPPING = 'Overlapping';

/** True when a namespace's labels opt it into the cluster default policy. */
export function optedIn(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[OPT_IN_LABEL] === 'true';
}

/** The order of precedence among a namespace's own policies: oldest first, then by name. */
export function byPrecedence(a: TuningPolicy, b: TuningPolicy): number {
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);
}

/**
 * How a policy is named from a workload's namespace: its name there, `<namespace>/<name>` from elsewhere (the cluster
 * default policy). TuningRecommendation `spec.policy` holds this.
 */
export function policyRef(policy: TuningPolicy, fromNamespace: string): string {
  const namespace = policy.metadata.namespace ?? fromNamespace;
  return namespace === fromNamespace ? policy.metadata.name : `${namespace}/${policy.metadata.name}`;
}

/** The candidates of a namespace: its own policies, and the cluster default when the namespace opted in. */
export interface Candidates {
  /** The namespace's own policies (any order). */
  local: readonly TuningPolicy[];
  /** The cluster default policy, when the namespace opted in and it lives in another namespace. */
  fallback?: TuningPolicy;
}

/** The policies that select a workload of `kind` with `labels`, the governing one first. */
export function selectingPolicies(candidates: Candidates, kind: string, labels: Readonly<Record<string, string>>): TuningPolicy[] {
  const ordered = [...candidates.local].sort(byPrecedence);
  if (candidates.fallback !== undefined) ordered.push(candidates.fallback);
  return ordered.filter((p) => policySelects(p.spec, kind, labels));
}

/** One workload a policy selects, with every policy that selects it (by policyRef from the workload's namespace), the governing one first. */
export interface SharedWorkload {
  /** `Service shop/orders` */
  workload: string;
  selecting: readonly string[];
}

/**
 * The Overlapping condition of the policy `self` (as SharedWorkload.selecting names it): False when no other policy
 * selects any of its workloads; True naming, per other policy, the workloads both select and which of the two
 * governs them.
 */
export function overlappingCondition(self: string, workloads: readonly SharedWorkload[]): Omit<Condition, 'lastTransitionTime'> {
  const byOther = new Map<string, { wins: string[]; loses: string[] }>();
  for (const { workload, selecting } of workloads) {
    if (!selecting.includes(self) || selecting.length < 2) continue;
    const governs = selecting[0] === self;
    for (const other of selecting) {
      if (other === self) continue;
      // Only the policies between which the choice is made: the governing one and each of the others.
      if (!governs && other !== selecting[0]) continue;
      const entry = byOther.get(other) ?? { wins: [], loses: [] };
      (governs ? entry.wins : entry.loses).push(workload);
      byOther.set(other, entry);
    }
  }
  if (byOther.size === 0) return { type: OVERLAPPING, status: 'False', reason: 'NoOverlap', message: 'no other TuningPolicy selects any of its workloads' };
  const parts = [...byOther.keys()].sort().map((other) => {
    const { wins, loses } = byOther.get(other) as { wins: string[]; loses: string[] };
    const said: string[] = [];
    if (wins.length > 0) said.push(`${wins.sort().join(', ')} (this policy governs them)`);
    if (loses.length > 0) said.push(`${loses.sort().join(', ')} (${other} governs them; this policy does nothing there)`);
    return `TuningPolicy ${other} also selects ${said.join(' and ')}`;
  });
  const rule = "a namespace's own policies come first, oldest first, then by name; the cluster default policy last";
  return { type: OVERLAPPING, status: 'True', reason: 'SelectorsOverlap', message: `${parts.join('; ')} (${rule})`.slice(0, 32768) };
}
