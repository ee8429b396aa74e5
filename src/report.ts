/**
 * @module The report pipeline as one pure function: loaded inputs → inventory → rules → report.
 * The CLI feeds it files; the controller will feed it API-server caches. It does no I/O.
 */
import { posix } from 'node:path';
import type { Finding, InputError, Severity } from './model/finding.ts';
import { SEVERITIES } from './model/finding.ts';
import type { LoadedInputs, SourceMapping } from './parse/types.ts';
import { buildInventory } from './model/extract/inventory.ts';
import type { Rule } from './rules/types.ts';
import type { Platform } from './model/workload.ts';
import type { ImageFacts } from './model/image.ts';
import { RULES } from './rules/index.ts';
import type { MetricsUnavailable, WorkloadObservations } from './model/observations.ts';
import type { RecommenderConfig } from './recommender/types.ts';
import { recommendFindings } from './recommender/findings.ts';
import { solveFindings } from './solve/solve.ts';
import { renderCloudRunFindings } from './render/cloudRunV2.ts';
import { renderSourceDeployFindings } from './rules/sourceDeploy.ts';
import { withTerraformEdits } from './render/terraformEdits.ts';
import { coverageNotes } from './rules/notes.ts';
import type { RecommendationCurve } from './recommender/curves.ts';
import { recommendationCurves } from './recommender/curves.ts';

/** Version of the JSON report schema (`docs/report-schema.md`); bumped on any incompatible change. */
export const REPORT_VERSION = 1;

/** Counts for the report's closing lines and for CI dashboards. */
export interface Summary {
  files: number;
  /** Kubernetes objects read (after List expansion). */
  objects: number;
  workloads: number;
  /** Dockerfiles and buildpacks Procfiles checked on their own (not joined to a workload). */
  images: number;
  /** Of `images`, the Procfiles with no Dockerfile beside them: said as Procfiles, not Dockerfiles. */
  procfiles: number;
  /** Objects of kinds pytuner does not read, by `apiVersion/kind`: counted, not errors. */
  skipped: Record<string, number>;
  /** Files a directory walk found that hold no Kubernetes object, by reason (`SKIP_REASONS`): counted, not errors. */
  skippedFiles: Record<string, number>;
  findings: Record<Severity, number>;
  errors: number;
}

/** What `analyse` returns and every formatter reads; `version` is the JSON schema version. */
export interface Report {
  version: typeof REPORT_VERSION;
  findings: Finding[];
  errors: InputError[];
  /** What the report could not cover and why (a kind the identity may not list with `--cluster`); not errors. */
  notes?: string[];
  summary: Summary;
  /** The recommendation curves of the workloads with measured load, when `AnalyseOptions.curves` asked for them (`-o html`). */
  curves?: RecommendationCurve[];
}

/** Explicit source joins (`--source`) and, for tests and policies, the rules to run (default: all). */
export interface AnalyseOptions {
  sources?: SourceMapping[];
  rules?: readonly Rule[];
  /** Measured load by `observationKey(target)` (`pytuner report --prometheus`), for the recommendations. */
  observations?: ReadonlyMap<string, WorkloadObservations | MetricsUnavailable>;
  /** Recommender settings from the CLI: `latencySloSeconds` (`--latency-slo`) and `now` (the end of the metrics window). */
  recommender?: Partial<RecommenderConfig>;
  /** `--platform`: where sources no manifest claims run (see `model/extract/sourceDeploy.ts`). */
  platform?: Platform;
  /** The name of the directory relative file paths start from (a source deploy of it is named after it). */
  workingDirectory?: string;
  /** Also compute the recommendation curves (`Report.curves`) of the workloads with observations: for `-o html`. */
  curves?: boolean;
}

/** Runs every rule over the inputs. Findings are sorted by file, object, container and rule id, so output is deterministic. */
export function analyse(loaded: LoadedInputs, options: AnalyseOptions = {}): Report {
  const built = buildInventory(loaded, options.sources ?? [], {
    ...(options.platform === undefined ? {} : { platform: options.platform }),
    ...(options.workingDirectory === undefined ? {} : { workingDirectory: options.workingDirectory }),
  });
  const rules = options.rules ?? RULES;
  const findings = rules.flatMap((rule) => rule.check(built.inventory));
  if (options.observations !== undefined) findings.push(...recommendFindings(built.inventory, options.observations, options.recommender));
  const ran = (id: string) => rules.some((rule) => rule.id === id);
  const solved = sortFindings(withTerraformEdits(renderCloudRunFindings(built.inventory, renderSourceDeployFindings(built.inventory, solveFindings(built.inventory, findings, ran))), loaded.terraform ?? []));
  const errors = [...loaded.errors, ...built.errors];
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of solved) bySeverity[f.severity]++;
  const report: Report = {
    version: REPORT_VERSION,
    findings: solved,
    errors,
    summary: {
      files: loaded.files,
      objects: built.objects,
      workloads: built.inventory.workloads.length,
      images: built.inventory.standaloneImages.length,
      procfiles: built.inventory.standaloneImages.filter(isProcfileOnly).length,
      skipped: built.skipped,
      skippedFiles: { ...loaded.skippedFiles },
      findings: bySeverity,
      errors: errors.length,
    },
  };
  const notes = [...(loaded.notes ?? []), ...built.notes, ...(options.rules === undefined ? coverageNotes(built.inventory) : [])];
  if (notes.length > 0) report.notes = notes;
  if (options.curves === true && options.observations !== undefined) report.curves = recommendationCurves(built.inventory, options.observations, options.recommender);
  return report;
}

/**
 * sortFindings orders the findings by file, line, kind, namespace, name, container and rule, each in code-unit order
 * (not localeCompare: the same inputs must give the same report on every machine). Compared field by field in place:
 * a key built per finding beforehand was 42,500 arrays and strings for 10,000 manifests, held through the sort long
 * enough to be copied by the young generation's collector and promoted, for nothing.
 */
function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

function compareFindings(a: Finding, b: Finding): number {
  const x = a.target;
  const y = b.target;
  return (
    compareText(x.file ?? '', y.file ?? '') ||
    compareLines(x.line ?? 0, y.line ?? 0) ||
    compareText(x.kind, y.kind) ||
    compareText(x.namespace ?? '', y.namespace ?? '') ||
    compareText(x.name, y.name) ||
    compareText(x.container ?? '', y.container ?? '') ||
    compareText(a.rule, b.rule)
  );
}

function compareText(x: string, y: string): number {
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Lines in the order of their decimal text zero-padded to 8 digits: numeric order below 10^8. */
function compareLines(x: number, y: number): number {
  if (x === y) return 0;
  const padded = (line: number): string => String(line).padStart(8, '0');
  if (Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < 1e8 && y < 1e8) return x < y ? -1 : 1;
  return compareText(padded(x), padded(y));
}

/** A source checked on its own that is a buildpacks Procfile, with no Dockerfile (the image is named by its file). */
function isProcfileOnly(image: ImageFacts): boolean {
  return posix.basename(image.file) === 'Procfile';
}
