/**
 * @module Findings → the recommended values a TuningRecommendation carries (`status.recommendations`), which the
 * actuator may copy into the workload. Pure. Only findings whose value is a setting pytuner knows how to write, and
 * whose knob it can name exactly, become values; every finding stays in `status.findings` for people either way.
 * Findings from measured load (`metrics.*`) and from the static rules become values the same way; where both name a
 * setting, the measured one wins.
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding } from '../model/finding.ts';
import type { Workload } from '../model/workload.ts';
import type { RecommendedPolicyMember, RecommendedProbe, RecommendedValue } from '../api/v1alpha1/tuningRecommendation.ts';
import { CONFIDENCE_OF_LEVEL, STATIC_CONFIDENCE } from '../api/v1alpha1/tuningPolicy.ts';

/** The env var gunicorn reads its default worker count from (gunicorn `workers` setting: `$WEB_CONCURRENCY`, else 1). */
const WORKERS_ENV = 'WEB_CONCURRENCY';

function evidenceLine(e: Evidence): string {
  const where = e.file ?? e.source;
  return (e.text === undefined ? `${e.field} (${where})` : `${e.field} ${e.text} (${where})`).slice(0, 1024);
}

/** The recommender's confidence levels as the 0..1 number of `RecommendedValue.confidence` (the scale spec.minConfidence gates on). */
export const MEASURED_CONFIDENCE: Readonly<Record<NonNullable<Finding['confidence']>, number>> = CONFIDENCE_OF_LEVEL;

function base(finding: Finding): Pick<RecommendedValue, 'rule' | 'confidence' | 'evidence'> {
  const confidence = finding.confidence === undefined ? STATIC_CONFIDENCE : MEASURED_CONFIDENCE[finding.confidence];
  return { rule: finding.rule, confidence, evidence: finding.evidence.slice(0, 16).map(evidenceLine) };
}

function nonNegativeInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** containerConcurrency from concurrency.threads-mismatch / concurrency.unbounded (which may not know the slots: null). */
function containerConcurrency(finding: Finding): RecommendedValue | undefined {
  const value = nonNegativeInt(finding.recommended.containerConcurrency);
  if (value === undefined || value === 0) return undefined;
  const out: RecommendedValue = { setting: 'containerConcurrency', ...base(finding), value };
  const current = nonNegativeInt(finding.current.containerConcurrency);
  if (current !== undefined) out.current = current;
  return out;
}

/**
 * workers from gunicorn.workers-vs-cpu or metrics.workers, only where an env var is the knob: the command line reads
 * it (`--workers $WEB_CONCURRENCY`), or gunicorn's default applies, which reads WEB_CONCURRENCY. A `--workers 1`
 * written in args would win over any env var, so pytuner does not pretend to change it.
 */
function workers(finding: Finding, workload: Workload | undefined): RecommendedValue | undefined {
  const value = nonNegativeInt(finding.recommended.workers);
  const container = workload?.containers.find((c) => c.name === finding.target.container);
  const setting = container?.server?.workers;
  if (value === undefined || container === undefined || setting === undefined || container.server?.kind !== 'gunicorn') return undefined;
  const env = setting.viaEnv ?? (setting.isDefault ? WORKERS_ENV : undefined);
  if (env === undefined) return undefined;
  const out: RecommendedValue = { setting: 'workers', ...base(finding), container: container.name, env, value };
  if (setting.value !== undefined) out.current = setting.value;
  return out;
}

/**
 * threads from metrics.threads, only where the command line reads them from an env var (`--threads $THREADS`): that
 * env var is the knob `spec.patch.threadsEnv` allows. Threads written in args, or inside GUNICORN_CMD_ARGS with
 * other flags, are left to people.
 */
function threads(finding: Finding, workload: Workload | undefined): RecommendedValue | undefined {
  const value = nonNegativeInt(finding.recommended.threads);
  const container = workload?.containers.find((c) => c.name === finding.target.container);
  const setting = container?.server?.threads;
  if (value === undefined || value === 0 || container === undefined || setting?.viaEnv === undefined) return undefined;
  const out: RecommendedValue = { setting: 'threads', ...base(finding), container: container.name, env: setting.viaEnv, value };
  if (setting.value !== undefined) out.current = setting.value;
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The startup probe of startup.probe-missing, taken from its fix (the rule builds it; this only reshapes it). */
function startupProbe(finding: Finding): RecommendedValue | undefined {
  const op = finding.fix?.jsonPatch?.find((o) => o.op === 'add' && o.path.endsWith('/startupProbe'));
  const probe = op !== undefined && 'value' in op && isRecord(op.value) ? op.value : undefined;
  const httpGet = probe !== undefined && isRecord(probe.httpGet) ? probe.httpGet : undefined;
  const port = httpGet?.port;
  if (probe === undefined || httpGet === undefined || (typeof port !== 'number' && typeof port !== 'string') || finding.target.container === undefined) return undefined;
  const recommended: RecommendedProbe = { httpGet: { port } };
  if (typeof httpGet.path === 'string') recommended.httpGet = { path: httpGet.path, port };
  for (const key of ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold'] as const) {
    const n = nonNegativeInt(probe[key]);
    if (n !== undefined) recommended[key] = n;
  }
  return { setting: 'startupProbe', ...base(finding), container: finding.target.container, startupProbe: recommended };
}

/** Placeholders profiler.iam-role writes when it cannot know the project: such a member cannot be created. */
const PLACEHOLDER = /PROJECT_ID|PROJECT_NUMBER/;

/** The IAMPolicyMember of profiler.iam-role, when the rule could name the project and the member exactly. */
function profilerPolicyMember(finding: Finding): RecommendedValue | undefined {
  const manifest = finding.fix?.create?.find((o) => o['kind'] === 'IAMPolicyMember');
  const metadata = isRecord(manifest?.['metadata']) ? manifest['metadata'] : undefined;
  const spec = isRecord(manifest?.['spec']) ? manifest['spec'] : undefined;
  const ref = isRecord(spec?.['resourceRef']) ? spec['resourceRef'] : undefined;
  const [name, member, role, kind, external] = [metadata?.['name'], spec?.['member'], spec?.['role'], ref?.['kind'], ref?.['external']];
  if (typeof name !== 'string' || typeof member !== 'string' || typeof role !== 'string' || typeof kind !== 'string' || typeof external !== 'string') return undefined;
  if (PLACEHOLDER.test(member) || PLACEHOLDER.test(external)) return undefined;
  const iamPolicyMember: RecommendedPolicyMember = { name, member, role, resourceRef: { kind, external } };
  return { setting: 'profilerIamPolicyMember', ...base(finding), iamPolicyMember };
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
export function recommendedValues(findings: readonly Finding[], workload: Workload | undefined, options: ValueOptions = {}): RecommendedValue[] {
  return valuesOf(findings, workload, options).values;
}

/** recommendedValues, and the static values `measuredOnly` left out (for the status to say so). */
export function valuesOf(findings: readonly Finding[], workload: Workload | undefined, options: ValueOptions = {}): ValueSelection {
  const values = new Map<RecommendedValue['setting'], RecommendedValue>();
  const leftOut: RecommendedValue[] = [];
  const measured = (f: Finding) => f.rule.startsWith(MEASURED_PREFIX);
  for (const finding of [...findings.filter(measured), ...findings.filter((f) => !measured(f))]) {
    const value = valueOf(finding, workload);
    if (value === undefined || values.has(value.setting)) continue;
    if (options.measuredOnly !== true || measured(finding) || !MEASURED_SETTINGS.has(value.setting)) values.set(value.setting, value);
    else if (!leftOut.some((v) => v.setting === value.setting)) leftOut.push(value);
  }
  return { values: [...values.values()], leftOut };
}

function valueOf(finding: Finding, workload: Workload | undefined): RecommendedValue | undefined {
  switch (finding.rule) {
    case 'metrics.container-concurrency':
      return containerConcurrency(finding);
    case 'metrics.threads':
      return threads(finding, workload);
    case 'metrics.workers':
      return workers(finding, workload);
    case 'metrics.startup-probe-budget':
      return startupProbe(finding);
    case 'concurrency.threads-mismatch':
    case 'concurrency.unbounded':
      return containerConcurrency(finding);
    case 'gunicorn.workers-vs-cpu':
      return workers(finding, workload);
    case 'startup.probe-missing':
      return startupProbe(finding);
    case 'profiler.iam-role':
      return profilerPolicyMember(finding);
    default:
      return undefined;
  }
}
