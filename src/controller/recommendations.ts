/**
 * @module Findings → the recommended values a TuningRecommendation carries (`status.recommendations`), which the
 * actuator may copy into the workload. Pure. Only findings whose value is a setting pytuner knows how to write, and
 * whose knob it can name exactly, become values; every finding stays in `status.findings` for people either way.
 * Findings from measured load (`metrics.*`) and from the static rules become values the same way; where both name a
 * setting, the measured one wins. A value's evidence is its finding's (same rule), not repeated in the value.
 */
import type { Finding } from '../model/finding.ts';
import type { RecommendedPolicyMember, RecommendedProbe, RecommendedValue } from '../api/v1alpha1/tuningRecommendation.ts';
import type { AnyChange } from '../model/change.ts';
import { assertNever } from '../model/assertNever.ts';

/**
 * What every value carries: its rule and confidence. Not its evidence: that is the finding's of the same rule in
 * `status.findings`, and a copy here was about 1.5 KB of an 11 KB recommendation (the PromQL and the sizing of a
 * measured value), which the API server decodes, validates, stores and sends to every watcher on each write.
 */
function base(finding: Finding, change: AnyChange): Pick<RecommendedValue, 'rule' | 'confidence'> {
  return { rule: finding.rule, confidence: change.confidence };
}

/**
 * The value the actuator may write for one typed change, or `undefined` for a change it does not write: a setting it
 * has no write for (timeouts, preload, images, annotations), a location other than the one it patches (an argument
 * in the manifest, a line of an image pytuner does not build, words in an env var of options), or an IAMPolicyMember
 * whose project is unknown.
 */
// eslint-disable-next-line complexity -- one case per setting, exhaustive by assertNever: the count grows with the vocabulary, not with nesting
function valueOfChange(finding: Finding, change: AnyChange): RecommendedValue | undefined {
  switch (change.setting) {
    case 'containerConcurrency': {
      if (change.location.kind !== 'field' || change.to <= 0) return undefined;
      const out: RecommendedValue = { setting: 'containerConcurrency', ...base(finding, change), value: change.to };
      if (change.from !== undefined && change.from > 0) out.current = change.from;
      return out;
    }
    case 'workers':
    case 'threads': {
      const { location } = change;
      // `words` go into an env var of options (`--threads 4` in GUNICORN_CMD_ARGS): the var's value is not the count,
      // so there is no value to write; the fix in status.fix carries the words.
      if (location.kind !== 'env' || location.words !== undefined || change.to <= 0) return undefined;
      const out: RecommendedValue = { setting: change.setting, ...base(finding, change), container: location.container, env: location.name, value: change.to };
      if (change.from !== undefined) out.current = change.from;
      return out;
    }
    case 'startupProbe': {
      const probe = change.to;
      if (change.location.kind !== 'container' || probe.handler !== 'httpGet' || change.target.container === undefined) return undefined;
      const startupProbe: RecommendedProbe = { httpGet: probe.path === undefined ? { port: probe.port } : { path: probe.path, port: probe.port }, periodSeconds: probe.periodSeconds, failureThreshold: probe.failureThreshold };
      if (probe.timeoutSeconds !== undefined) startupProbe.timeoutSeconds = probe.timeoutSeconds;
      if (probe.initialDelaySeconds !== undefined) startupProbe.initialDelaySeconds = probe.initialDelaySeconds;
      return { setting: 'startupProbe', ...base(finding, change), container: change.target.container, startupProbe };
    }
    case 'profilerIamMember': {
      const member = change.to;
      if (!member.complete) return undefined;
      const iamPolicyMember: RecommendedPolicyMember = { name: member.name, member: member.member, role: member.role, resourceRef: { ...member.resourceRef } };
      return { setting: 'profilerIamPolicyMember', ...base(finding, change), iamPolicyMember };
    }
    case 'workerTimeout':
    case 'preload':
    case 'baseImage':
    case 'templateAnnotation':
      return undefined;
    default:
      return assertNever(change);
  }
}

/** The prefix of the ids of findings from measured load (src/recommender/catalogue.ts). */
const MEASURED_PREFIX = 'metrics.';

/**
 * The settings measured load decides when a policy reads metrics: the static rules can only say that they disagree
 * with each other (slots ≠ containerConcurrency), not what they should be.
 */
export const MEASURED_SETTINGS: ReadonlySet<RecommendedValue['setting']> = new Set(['containerConcurrency', 'threads', 'workers']);

/** How recommendedValues treats values of the static rules. */
export interface ValueOptions {
  /**
   * The policy reads metrics: static values for MEASURED_SETTINGS are left out (their findings stay). Otherwise a
   * static value would stand in whenever measured load has no value (Prometheus down, a change under the hysteresis)
   * and be undone when it has one again: an Apply policy would flip the workload between the two.
   */
  measuredOnly?: boolean;
}

/** What valuesOf returns: the values, and the static values left out because measured load decides them. */
export interface ValueSelection {
  values: RecommendedValue[];
  leftOut: RecommendedValue[];
}

/**
 * recommendedValues turns findings into at most one value per setting (the status list is keyed by setting): a
 * finding from measured load first, then in rule order. Findings of other rules (timeouts, images, uWSGI flags) have
 * no value to write.
 */
export function recommendedValues(findings: readonly Finding[], options: ValueOptions = {}): RecommendedValue[] {
  return valuesOf(findings, options).values;
}

/** recommendedValues, and the static values `measuredOnly` left out (for the status to say so). */
export function valuesOf(findings: readonly Finding[], options: ValueOptions = {}): ValueSelection {
  const values = new Map<RecommendedValue['setting'], RecommendedValue>();
  const leftOut: RecommendedValue[] = [];
  const measured = (f: Finding) => f.rule.startsWith(MEASURED_PREFIX);
  for (const finding of [...findings.filter(measured), ...findings.filter((f) => !measured(f))]) {
    const value = valueOf(finding);
    if (value === undefined || values.has(value.setting)) continue;
    if (options.measuredOnly !== true || measured(finding) || !MEASURED_SETTINGS.has(value.setting)) values.set(value.setting, value);
    else if (!leftOut.some((v) => v.setting === value.setting)) leftOut.push(value);
  }
  return { values: [...values.values()], leftOut };
}

function valueOf(finding: Finding): RecommendedValue | undefined {
  for (const change of finding.changes ?? []) {
    const value = valueOfChange(finding, change);
    if (value !== undefined) return value;
  }
  return undefined;
}
