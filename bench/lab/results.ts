/**
 * @module The lab's results as data, and the tables made of them: per scenario the oracle, pytuner's setting and the
 * defaults, each with its throughput at the objective as a ratio of the oracle's; and item 4's instance counts.
 */
import type { Calibration, CapacityResult, CalibrationCheck } from './capacity.ts';
import { MAX_INSTANCES } from './capacity.ts';
import type { Measurement } from './measure.ts';
import type { PytunerAnswer } from './pytuner.ts';
import type { FamilyResult, LabConfig, ShapeFamily } from './search.ts';
import { describeConfig } from './search.ts';
import type { Outcome } from './stats.ts';
import { meetsObjective } from './stats.ts';

/** A setting measured with repetitions, and how it compares with the oracle. */
export interface RatedSetting {
  name: string;
  config: LabConfig;
  outcome: Outcome;
  /** Throughput at the objective: the median throughput when the median p95 meets the objective, else 0. */
  score: number;
  /** `score` / the oracle's score. */
  ratio: number;
}

/** Relative spread of repetitions above which a setting is flagged as noisy (throughput, p95). */
export const NOISE_LIMITS = { throughput: 0.1, p95: 0.15 } as const;

/** Whether a setting's repetitions disagree by more than the noise limits. */
export function isNoisy(outcome: Pick<Outcome, 'throughputSpread' | 'p95Spread' | 'repetitions'>): boolean {
  return outcome.repetitions > 1 && (outcome.throughputSpread > NOISE_LIMITS.throughput || outcome.p95Spread > NOISE_LIMITS.p95);
}

/** One measurement of the sweep, with its shape; `cover` shapes ran with `serverThreads` ≥ the concurrency (idle threads cost nothing). */
export interface SweepPoint {
  family: ShapeFamily;
  serverThreads: number;
  measurement: Measurement;
}

/** pytuner's answer from the day's series written with one latency bucket layout. */
export interface PytunerRun {
  buckets: string;
  answer?: PytunerAnswer;
  /** Where pytuner's steps lead (its targets; the current value for a knob it leaves alone). */
  config?: LabConfig;
  /** The first step (the ×2 / ÷2 step cap applied). */
  firstStep?: LabConfig;
  command?: string;
  error?: string;
  /** Every knob was withheld (insufficient data): the configuration stays as it is. */
  withheld: boolean;
  /** `config` as measured. */
  rated?: RatedSetting;
  /**
   * A diagnostic: the best sweep measurement of pytuner's server shape that met the objective at a concurrency up to
   * pytuner's — what its shape serves with containerConcurrency at the measured edge — over the oracle's score.
   */
  shapeAtEdge?: { concurrency: number; throughput: number; ratio: number };
}

/** The best sweep point of `family` that met the objective at a concurrency up to `maxConcurrency`. */
export function bestOfShape(points: readonly SweepPoint[], family: ShapeFamily, maxConcurrency: number, objectiveSeconds: number): Measurement | undefined {
  return points
    .filter((p) => p.family.workers === family.workers && p.family.rule === family.rule && p.measurement.config.concurrency <= maxConcurrency && meetsObjective(p.measurement, objectiveSeconds))
    .map((p) => p.measurement)
    .sort((a, b) => b.throughput - a.throughput)[0];
}

/** Everything one scenario produced. */
export interface ScenarioResult {
  scenario: string;
  summary: string;
  objectiveSeconds: number;
  /** How the objective was chosen (objective.ts); absent in results written before it was recorded. */
  objectiveWhy?: string;
  baseline: { p95s: number[]; meanLatency: number; p50: number; p95: number; cpuSecondsPerRequest: number };
  day: { concurrency: number; instances: number; measurement: Measurement }[];
  /**
   * pytuner's answers: on the Knative path first from what Prometheus scraped of the real components (the table's),
   * then from the day backfilled under Cloud Run's names with Knative's latency buckets and with fine exponential ones.
   */
  pytuner: PytunerRun[];
  sweep: { results: FamilyResult[]; points: SweepPoint[]; cutShort: boolean };
  oracle?: RatedSetting;
  defaults: RatedSetting[];
  /** Every setting measured with repetitions. */
  repeated: RatedSetting[];
  calibration?: Calibration;
  capacity: CapacityResult[];
  calibrationChecks: CalibrationCheck[];
  /** Mean cores other processes used during this scenario's measurements. */
  backgroundCores: number;
  seconds: number;
  notes: string[];
}

/** `0.97`, with `~` when one of the settings compared was noisy; a miss with its p95 and how far over the objective it is. */
function ratioCell(r: RatedSetting | undefined, oracle: RatedSetting | undefined, objectiveSeconds: number): string {
  if (r === undefined) return 'not measured';
  const noisy = isNoisy(r.outcome) || (oracle !== undefined && isNoisy(oracle.outcome));
  const ratio = `${noisy ? '~' : ''}${r.ratio.toFixed(2)}`;
  return r.score > 0 ? ratio : `${ratio} (p95 ${ms(r.outcome.p95)}, ${(r.outcome.p95 / objectiveSeconds).toFixed(2)}× the objective)`;
}

/** `45 ms`, `1.2 s`. */
export function ms(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${(Math.round(seconds * 100) / 100).toString()} s`;
}

function rps(value: number): string {
  return `${value >= 100 ? Math.round(value) : Math.round(value * 10) / 10} req/s`;
}

/** pytuner's setting as the table shows it: the target, its confidence, or why there is none. */
function pytunerCell(run: PytunerRun | undefined): string {
  if (run === undefined) return 'not asked';
  if (run.error !== undefined) return 'failed';
  if (run.withheld) return `withheld (keeps ${describeConfig(run.config!)})`;
  return `${describeConfig(run.config!)}${run.answer?.confidence === undefined ? '' : ` [${run.answer.confidence}]`}`;
}

/** How the legacy day's run is labelled (scenario.ts's LEGACY_LABEL starts so). */
const LEGACY_PREFIX = 'Knative 1.18';

/**
 * The rows of the main table: scenario, objective, oracle, pytuner (and its shape at the measured edge, on Knative
 * 1.18's queue-proxy when a scenario measured that, and with fine buckets), the defaults.
 */
export function tableRows(results: readonly ScenarioResult[]): string[][] {
  const defaultNames = results[0]?.defaults.map((d) => d.name) ?? [];
  const legacyOf = (r: ScenarioResult) => r.pytuner.slice(1).find((p) => p.buckets.startsWith(LEGACY_PREFIX));
  const anyLegacy = results.some((r) => legacyOf(r) !== undefined);
  const header = ['scenario', 'objective p95', 'oracle (brute force)', "pytuner's setting", 'pytuner / oracle', "pytuner's shape at its measured edge / oracle", ...(anyLegacy ? ['pytuner, Knative 1.18 queue-proxy (knative-legacy) / oracle'] : []), 'pytuner, Cloud Run backfill / oracle', 'pytuner, fine buckets / oracle', ...defaultNames.map((n) => `${n} / oracle`)];
  const rows = [header];
  for (const r of results) {
    const oracle = r.oracle === undefined ? 'none meets the objective' : `${describeConfig(r.oracle.config)} (${rps(r.oracle.score)})`;
    // The first run is the table's (the Knative path's, or the backfill's on an emulated run); the others by their label.
    const main = r.pytuner[0];
    const backfill = r.pytuner.slice(1).find((p) => p.buckets.startsWith('Cloud Run backfill, knative'));
    const fine = r.pytuner.slice(1).find((p) => p.buckets.includes('exponential'));
    const edge = main?.shapeAtEdge === undefined ? 'not swept' : `${main.shapeAtEdge.ratio.toFixed(2)} (cc ${main.shapeAtEdge.concurrency})`;
    const other = (run: PytunerRun | undefined) => (run === undefined ? 'not asked' : run.rated === undefined ? pytunerCell(run) : `${ratioCell(run.rated, r.oracle, r.objectiveSeconds)}: ${pytunerCell(run)}`);
    rows.push([r.scenario, ms(r.objectiveSeconds), oracle, pytunerCell(main), ratioCell(main?.rated, r.oracle, r.objectiveSeconds), edge, ...(anyLegacy ? [other(legacyOf(r))] : []), other(backfill), other(fine), ...r.defaults.map((d) => ratioCell(d, r.oracle, r.objectiveSeconds))]);
  }
  return rows;
}

/** Rows as a Markdown table. */
export function markdownTable(rows: readonly string[][]): string {
  const [header, ...body] = rows;
  if (header === undefined) return '';
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...body.map(line)].join('\n');
}

/** Rows as aligned plain text, for the terminal. */
export function textTable(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Item 4's rows: per scenario, the instances each setting needs for 400 clients × 3 req/s within the objective. */
export function capacityRows(results: readonly ScenarioResult[]): string[][] {
  const rows = [['scenario', 'request (calibrated)', 'containerConcurrency 1', 'Cloud Run 80 (defaults)', "pytuner's setting"]];
  for (const r of results) {
    const [one, eighty, pytuner] = ['cc 1', 'cc 80', 'pytuner'].map((name) => r.capacity.find((c) => c.name === name));
    const cell = (c: CapacityResult | undefined) => (c === undefined ? 'not run' : c.instances === undefined ? `over ${MAX_INSTANCES}` : `${c.instances} (p95 ${ms(c.p95)})`);
    rows.push([r.scenario, calibrationText(r.calibration), cell(one), cell(eighty), cell(pytuner)]);
  }
  return rows;
}

/** `CPU 31 ms + I/O 1 ms, cv 0.05`. */
function calibrationText(c: Calibration | undefined): string {
  if (c === undefined) return 'not calibrated';
  return `CPU ${msFine(c.cpuSeconds)} + I/O ${msFine(c.ioSeconds)}, cv ${c.cv.toFixed(2)}`;
}

function msFine(seconds: number): string {
  return `${Math.round(seconds * 10000) / 10} ms`;
}
