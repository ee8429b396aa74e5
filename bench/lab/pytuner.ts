/**
 * @module The recommendation path, as a user runs it: the day's series backfilled into a real Prometheus under Cloud
 * Run's metric names (test/support/series.ts, promtool), then `pytuner report -f <manifest> --prometheus URL
 * --profile cloudrun -o json` in a child process, and its `metrics.*` findings read back as a server setting.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startPrometheus } from '../../test/integration/harness/prometheus.ts';
import type { SeriesOptions, WorkloadLoad } from '../../test/support/series.ts';
import { cloudRunSeries } from '../../test/support/series.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');

/** One knob of pytuner's answer: the next step (`value`, after the ×2/÷2 step cap) and where the steps lead (`target`). */
export interface Knob {
  value: number;
  target: number;
  /** Whether a finding recommended a change (else pytuner keeps the current value). */
  changed: boolean;
}

/** pytuner's recommendation for one lab service, read from its report. */
export interface PytunerAnswer {
  containerConcurrency: Knob;
  workers: Knob;
  /** Absent for ASGI servers (no threads knob). */
  threads?: Knob;
  /** The confidence pytuner states (`low`, `medium`, `high`), when a finding says it. */
  confidence?: string;
  /** The `metrics.*` findings' messages, for the record. */
  messages: string[];
  /** Recommendations pytuner withheld, with its reasons (`metrics.insufficient-data`). */
  withheld: string[];
  /** How the findings were derived from the measured load (their metrics evidence: the baseline, the objective, the fit), once each. */
  derivations: string[];
}

interface ReportFinding {
  rule: string;
  message: string;
  recommended: Record<string, unknown>;
  /** The recommender's confidence level (findings from measured load; older reports say it in the message only). */
  confidence?: string;
  evidence?: { source: string; text?: string }[];
}

/** The step pattern of a finding's message: `40 now (guardrail: at most ×2 or ÷2 per step), 12 in later steps`. */
const STEPPED = /(\d+) now \(guardrail:[^)]*\), (\d+) in later steps/;

/**
 * pytuner's setting from a `-o json` report: each `metrics.*` knob finding's recommended value, its target from the
 * message when the step cap holds it back, and the current value for knobs with no finding (nothing to change).
 */
export function answerFromReport(report: unknown, current: { containerConcurrency: number; workers: number; threads?: number }): PytunerAnswer {
  const findings = ((report as { findings?: ReportFinding[] }).findings ?? []).filter((f) => f.rule.startsWith('metrics.'));
  const knob = (rule: string, field: string, now: number): Knob => {
    const finding = findings.find((f) => f.rule === rule);
    const value = finding?.recommended[field];
    if (finding === undefined || typeof value !== 'number') return { value: now, target: now, changed: false };
    const stepped = STEPPED.exec(finding.message);
    return { value, target: stepped === null ? value : Number(stepped[2]), changed: true };
  };
  const answer: PytunerAnswer = {
    containerConcurrency: knob('metrics.container-concurrency', 'containerConcurrency', current.containerConcurrency),
    workers: knob('metrics.workers', 'workers', current.workers),
    messages: findings.map((f) => `${f.rule}: ${f.message}`),
    withheld: findings.filter((f) => f.rule === 'metrics.insufficient-data').map((f) => f.message),
    derivations: [...new Set(findings.flatMap((f) => (f.evidence ?? []).filter((e) => e.source === 'metrics' && e.text !== undefined).map((e) => e.text!)))],
  };
  if (current.threads !== undefined) answer.threads = knob('metrics.threads', 'threads', current.threads);
  const confidence = findings.map((f) => f.confidence ?? /\((low|medium|high) confidence\)/.exec(f.message)?.[1]).find((c) => c !== undefined);
  if (confidence !== undefined) answer.confidence = confidence;
  return answer;
}

/** Everything a `pytuner report --prometheus` run needs. */
export interface ReportRun {
  manifest: string;
  workload: WorkloadLoad;
  series: SeriesOptions;
  /** The latency objective both sides aim at, seconds (`--latency-slo`). */
  objectiveSeconds: number;
  current: { containerConcurrency: number; workers: number; threads?: number };
}

/** The report's JSON, pytuner's answer and the command line that produced it. */
export interface ReportResult {
  answer: PytunerAnswer;
  command: string;
  report: unknown;
}

/** Backfills a Prometheus with the workload's Cloud Run series, runs `pytuner report` on the manifest, stops Prometheus. */
export async function pytunerReport(run: ReportRun): Promise<ReportResult> {
  const dir = await mkdtemp(join(tmpdir(), 'pytuner-lab-report-'));
  const prometheus = await startPrometheus({ openMetrics: cloudRunSeries([run.workload], run.series) });
  try {
    await writeFile(join(dir, 'service.yaml'), run.manifest);
    const steps = run.workload.steps.length;
    const end = run.series.start + steps * run.series.stepSeconds;
    const args = [
      'report', '-f', join(dir, 'service.yaml'),
      '--prometheus', prometheus.url, '--profile', 'cloudrun',
      '--end', String(end), '--window', `${steps * run.series.stepSeconds}s`, '--step', `${run.series.stepSeconds}s`,
      '--latency-slo', `${(run.objectiveSeconds * 1000).toFixed(1)}ms`,
      '-o', 'json',
    ];
    return await runReport(args, run.current);
  } finally {
    await prometheus.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A `pytuner report` on a Prometheus that scraped the real Knative components (knative/cluster.ts). */
export interface LiveReportRun {
  manifest: string;
  prometheusUrl: string;
  /** Unix seconds: the end of the observed day. */
  end: number;
  windowSeconds: number;
  stepSeconds: number;
  objectiveSeconds: number;
  current: ReportRun['current'];
  /** `knative` (Knative ≥ 1.21's OpenTelemetry names) or `knative-legacy` (1.18's OpenCensus names). */
  profile: 'knative' | 'knative-legacy';
}

/**
 * The report's window over a day observed on the Knative path. Each point's rate reaches `rateWindowSeconds` back, so
 * the window starts that long after the day: points before it would count the lab's own baseline and warm-up requests
 * as the day's (run 7: three quiet windows that did made io-bound's one-request p95 101 ms where the day measured 53).
 */
export function liveReportWindow(day: { start: number; end: number; stepSeconds: number }, rateWindowSeconds: number): { end: number; windowSeconds: number } {
  const steps = Math.floor((day.end - day.start - rateWindowSeconds) / day.stepSeconds);
  if (steps < 1) throw new Error(`the observed day (${Math.round(day.end - day.start)} s) is not longer than one rate window (${rateWindowSeconds} s) and a step (${day.stepSeconds} s)`);
  return { end: day.end, windowSeconds: steps * day.stepSeconds };
}

/** Runs `pytuner report --profile <run.profile>` on the manifest against the scraping Prometheus. */
export async function pytunerReportLive(run: LiveReportRun): Promise<ReportResult> {
  const dir = await mkdtemp(join(tmpdir(), 'pytuner-lab-report-'));
  try {
    await writeFile(join(dir, 'service.yaml'), run.manifest);
    const args = [
      'report', '-f', join(dir, 'service.yaml'),
      '--prometheus', run.prometheusUrl, '--profile', run.profile,
      '--end', String(Math.round(run.end)), '--window', `${run.windowSeconds}s`, '--step', `${run.stepSeconds}s`,
      '--latency-slo', `${(run.objectiveSeconds * 1000).toFixed(1)}ms`,
      '-o', 'json',
    ];
    return await runReport(args, run.current);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runReport(args: string[], current: ReportRun['current']): Promise<ReportResult> {
  const { status, stdout, stderr } = await node([MAIN, ...args]);
  if (status !== 0) throw new Error(`pytuner ${args.join(' ')} exited ${status}: ${stderr.trim()}`);
  const report = JSON.parse(stdout) as unknown;
  return { answer: answerFromReport(report, current), command: `pytuner ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`, report };
}

function node(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}
