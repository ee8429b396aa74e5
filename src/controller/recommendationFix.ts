/**
 * @module The fix a TuningRecommendation carries (`status.fix`), for a change made by pull request: the workload's
 * RFC 6902 JSON Patch exactly as `pytuner report --fix` would apply it, from Core's fix planner (render/fixPlan.ts:
 * the ops of every finding that agrees, conflicts left out and named). Nothing is rendered again here, so the patch
 * `pytuner recommendations export` writes or applies to a GitOps checkout is the report's; the actuator renders its
 * values with the same renderer (src/render/kubernetesObject.ts), so an unlimited value is written with these same
 * ops (test/integration/actuator-fix.test.ts). Pure.
 */
import type { Finding } from '../model/finding.ts';
import type { RecommendationFix } from '../api/v1alpha1/tuningRecommendation.ts';
import { planFixes } from '../render/fixPlan.ts';

/** The largest patch status carries (the CRD's bound); a larger one is named in `unfixed` instead. */
const MAX_PATCH = 32_768;

/** The fix of the workload `kind`/`name` from its findings; undefined when no finding has an in-place fix. */
export function recommendationFix(findings: readonly Finding[], kind: string, name: string): RecommendationFix | undefined {
  const plan = planFixes(findings);
  const object = plan.objects.find((o) => o.target.kind === kind && o.target.name === name);
  const unfixed = [
    ...plan.conflicts.map((c) => `${c.findings.map((f) => f.rule).join(' and ')} change ${c.where} differently: apply one by hand`),
    ...plan.notInPlace.map((f) => `${f.rule}: its fix ${(f.fix?.create?.length ?? 0) > 0 ? 'creates objects' : 'runs commands'} (pytuner report --emit-patches)`),
  ].map((line) => line.slice(0, 1024));
  if (object === undefined && unfixed.length === 0) return undefined;
  let jsonPatch = JSON.stringify(object?.ops ?? []);
  const rules = [...new Set(object?.findings.map((f) => f.rule) ?? [])];
  if (jsonPatch.length > MAX_PATCH) {
    unfixed.push(`the patch of ${rules.join(', ')} is ${jsonPatch.length} characters, more than status holds: run pytuner report on the manifests`);
    jsonPatch = '[]';
    rules.length = 0;
  }
  const fix: RecommendationFix = { jsonPatch, rules: rules.slice(0, 64) };
  if (unfixed.length > 0) fix.unfixed = unfixed.slice(0, 32);
  return fix;
}
