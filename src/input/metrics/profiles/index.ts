/**
 * @module The metric profiles by id, and how `--profile auto` picks one from the metric names that exist.
 */
import type { MetricsProfileId } from '../../../model/observations.ts';
import type { Platform } from '../../../model/workload.ts';
import type { MetricsProfile } from './types.ts';
import { knativeProfile } from './knative.ts';
import { knativeLegacyProfile } from './knativeLegacy.ts';
import { cloudRunProfile } from './cloudRun.ts';
import { kubernetesProfile } from './kubernetes.ts';

/**
 * The registry: one module per profile, keyed by its id. `satisfies` makes a new id in MetricsProfileId without its
 * profile (or a profile filed under another id) a compile error. Key order is the order auto-detection prefers.
 */
const PROFILES_BY_ID = {
  knative: knativeProfile,
  'knative-legacy': knativeLegacyProfile,
  cloudrun: cloudRunProfile,
  kubernetes: kubernetesProfile,
} as const satisfies { [Id in MetricsProfileId]: MetricsProfile<Id> };

/** Every profile, in the order auto-detection prefers them. */
export const PROFILES: readonly MetricsProfile[] = Object.values(PROFILES_BY_ID);

/** The profile ids, for `--profile`. */
export const PROFILE_IDS: readonly MetricsProfileId[] = PROFILES.map((p) => p.id);

/** The profile of an id. */
export function profileById(id: MetricsProfileId): MetricsProfile {
  return PROFILES_BY_ID[id];
}

/** Every metric name any profile reads: the one detection query asks which of these exist. */
export function detectionMetrics(): string[] {
  return [...new Set(PROFILES.flatMap((p) => p.metrics))].sort();
}

/** The profiles whose signature metric exists. */
export function availableProfiles(names: ReadonlySet<string>): Set<MetricsProfileId> {
  return new Set(PROFILES.filter((p) => names.has(p.signature)).map((p) => p.id));
}

/**
 * The profile for one workload under `--profile auto`: a Deployment reads cAdvisor and kube-state-metrics; a
 * Cloud Run Service reads Cloud Run's names; a Knative Service the newest Knative names that exist. Every
 * Kubernetes cluster has cAdvisor, so its presence alone never makes a Service a Deployment.
 */
export function autoProfileFor(kind: 'Service' | 'Deployment', platform: Platform | undefined, available: ReadonlySet<MetricsProfileId>): MetricsProfileId | undefined {
  return autoCandidates(kind, platform).find((id) => available.has(id));
}

/** The profiles that can describe a workload of this kind and platform, in order of preference. */
export function autoCandidates(kind: 'Service' | 'Deployment', platform: Platform | undefined): MetricsProfileId[] {
  if (kind === 'Deployment') return ['kubernetes'];
  if (platform === 'cloudrun') return ['cloudrun'];
  if (platform === 'knative') return ['knative', 'knative-legacy'];
  return ['knative', 'knative-legacy', 'cloudrun'];
}

/** Under `--profile auto` without manifests: the first profile whose series exist, Knative before Deployments (a Knative cluster also has cAdvisor). */
export function autoProfileForNamespaces(available: ReadonlySet<MetricsProfileId>): MetricsProfileId | undefined {
  return PROFILE_IDS.find((id) => available.has(id));
}

export type { MetricsProfile } from './types.ts';
