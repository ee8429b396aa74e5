/**
 * @module What a shard keeps in its caches: not wired yet (informers.ts would call it on each listed item and watch
 * event before caching it, as controller-runtime's `cache.Options.DefaultTransform` and client-go's
 * `SharedInformer.SetTransform` do). Measured with `npm run bench:scale`: at 10,000 Services + 10,000 Deployments one
 * controller's peak RSS was about 1 GB, because every shard caches every namespace's objects and every
 * TuningRecommendation in full (findings, evidence texts, recommended values). A shard needs neither: it reconciles only
 * its own namespaces, and of a recommendation it reads only what keys.ts and the policy status read from the cache
 * (spec; status.summary, applied, conflicts, conditions). The reconciler reads a recommendation it writes from the API
 * server, never from this cache, so a slim copy here loses nothing.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceName } from './informers.ts';
import { ownsNamespace, type ShardConfig } from './shard.ts';

/** Kinds read across namespaces (an IAM grant in one namespace may name the identity of a workload in another). */
const READ_ACROSS_NAMESPACES: ReadonlySet<ResourceName> = new Set(['iamPolicyMembers', 'iamPartialPolicies']);

/** The parts of a TuningRecommendation's status the cache's readers use. */
const CACHED_RECOMMENDATION_STATUS = ['summary', 'applied', 'conflicts', 'conditions'] as const;

interface RecommendationLike extends KubernetesObject {
  spec?: unknown;
  status?: Record<string, unknown>;
}

/**
 * cachedForm is what a shard caches of `obj`: undefined for an object of a namespace another shard owns (dropped),
 * a TuningRecommendation without its findings and values, anything else unchanged.
 */
export function cachedForm(shard: ShardConfig, resource: ResourceName, obj: KubernetesObject): KubernetesObject | undefined {
  const namespace = obj.metadata?.namespace;
  if (namespace !== undefined && !READ_ACROSS_NAMESPACES.has(resource) && !ownsNamespace(shard, namespace)) return undefined;
  if (resource !== 'tuningRecommendations') return obj;
  const rec = obj as RecommendationLike;
  if (rec.status === undefined) return obj;
  const status: Record<string, unknown> = {};
  for (const field of CACHED_RECOMMENDATION_STATUS) if (rec.status[field] !== undefined) status[field] = rec.status[field];
  return { ...rec, status } as KubernetesObject;
}
