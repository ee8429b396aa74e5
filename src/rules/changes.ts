/**
 * @module How rules state what they propose as typed `Change`s (src/model/change.ts), next to the fix they render:
 * the setting, its value before and after, and where it is written. Pure.
 */
import type { AnyChange, Change, ChangeTarget, Location, SettingId, SettingValues } from '../model/change.ts';
import { STATIC_CONFIDENCE } from '../model/change.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';

/** The change target of a workload (or one of its containers). */
export function changeTarget(workload: Workload, container?: ContainerFacts): ChangeTarget {
  const { ref } = workload;
  const target: ChangeTarget = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name };
  if (ref.namespace !== undefined) target.namespace = ref.namespace;
  if (container !== undefined) target.container = container.name;
  return target;
}

/** What `propose` needs besides the setting and the values. */
export interface Proposal {
  target: ChangeTarget;
  rule: string;
  location: Location;
  /** Defaults to STATIC_CONFIDENCE: a rule reads facts from the spec. */
  confidence?: number;
}

/** A typed change of `setting` from `from` to `to`. */
export function propose<S extends SettingId>(setting: S, from: SettingValues[S] | undefined, to: SettingValues[S], proposal: Proposal): AnyChange {
  const change: Change<S> = { setting, target: proposal.target, from, to, rule: proposal.rule, confidence: proposal.confidence ?? STATIC_CONFIDENCE, location: proposal.location };
  return change as unknown as AnyChange;
}

/** `spec.template.spec.containerConcurrency` of a Knative/Cloud Run Service. */
export function containerConcurrencyLocation(workload: Workload): Location {
  return { kind: 'field', pointer: `${workload.podSpecPointer}/containerConcurrency` };
}
