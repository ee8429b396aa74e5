/**
 * @module The `html` format: one self-contained page (inline CSS and SVG, no script, nothing fetched when it is
 * viewed) for people who review many workloads at once: a summary table across workloads, then per workload the
 * recommendation's curve when measured load backs it (predicted p95 against per-instance concurrency, the objective,
 * the observed steps, the containerConcurrency in force and recommended; drawn by `svg.ts`, the lab's plotter) and
 * every finding with its evidence and fix. Pure: a report in, text out.
 */
import type { Finding, Severity, Target } from '../model/finding.ts';
import { SEVERITIES } from '../model/finding.ts';
import type { RecommendationCurve } from '../recommender/curves.ts';
import type { Report } from '../report.ts';
import { bySeverity, errorText, evidenceLocation, fileLocation, fixSummary, opsJson, summaryLines, targetLabel, valueLine } from './describe.ts';
import type { PlotMark, PlotSeries } from './svg.ts';
import { escapeXml, formatSeconds, renderPlot } from './svg.ts';

/** Series and mark names on every curve: the page's test looks for them. */
export const CURVE_SERIES = { predicted: 'predicted p95 (model)', observed: 'observed steps (Prometheus)' } as const;

const SEVERITY_COLOR: Record<Severity, string> = { critical: '#b3261e', warning: '#a15c00', info: '#3a5a8c' };

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .8rem 0; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { background: #f5f5f5; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; } pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; }
.sev { display: inline-block; min-width: 4.6rem; font-weight: 600; } .muted { color: #666; }
.finding { margin: .9rem 0 1.1rem; } .finding ul { margin: .3rem 0; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #eee; } figcaption { color: #444; }
`;

/** Renders a report as one HTML document. */
export function formatHtml(report: Report): string {
  const groups = byWorkload(report.findings);
  const curves = new Map((report.curves ?? []).map((c) => [objectKey(c.target), c]));
  const body: string[] = [];
  body.push('<h1>pytuner report</h1>');
  body.push(`<p class="muted">${summaryLines(report.summary).map(escapeXml).join('<br>')}</p>`);
  if ((report.notes ?? []).length > 0) body.push('<h2>Notes</h2>', `<ul>${(report.notes ?? []).map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>`);
  if (report.errors.length > 0) {
    const rows = report.errors.map((e) => `<tr><td><code>${escapeXml(fileLocation(e.file, e.line))}</code></td><td>${escapeXml(errorText(e))}</td></tr>`);
    body.push('<h2>Input errors</h2>', '<p>These files or objects were not analysed.</p>', `<table><thead><tr><th>Where</th><th>Error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  body.push('<h2>Workloads</h2>', groups.length === 0 ? '<p>No findings.</p>' : summaryTable(groups, curves));
  groups.forEach((group, index) => body.push(workloadSection(group, index, curves.get(group.key))));
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>pytuner report</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body.join('\n')}\n</body>\n</html>\n`;
}

/** The findings about one object (a workload, a ServiceAccount, a Dockerfile), in report order. */
interface WorkloadGroup {
  key: string;
  target: Target;
  findings: Finding[];
}

/** Kind, namespace and name: the object, whichever container a finding is about. */
function objectKey(target: Target): string {
  return [target.kind, target.namespace ?? '', target.name].join('/');
}

function byWorkload(findings: readonly Finding[]): WorkloadGroup[] {
  const groups = new Map<string, WorkloadGroup>();
  for (const finding of findings) {
    const key = objectKey(finding.target);
    let group = groups.get(key);
    if (group === undefined) {
      group = { key, target: { ...finding.target, container: undefined }, findings: [] };
      groups.set(key, group);
    }
    group.findings.push(finding);
  }
  return [...groups.values()];
}

function summaryTable(groups: readonly WorkloadGroup[], curves: ReadonlyMap<string, RecommendationCurve>): string {
  const severities = [...SEVERITIES].reverse();
  const head = `<tr><th>Workload</th>${severities.map((s) => `<th>${s}</th>`).join('')}<th>Rules</th><th>containerConcurrency</th></tr>`;
  const rows = groups.map((group, index) => {
    const counts = severities.map((s) => `<td class="n">${group.findings.filter((f) => f.severity === s).length}</td>`).join('');
    const rules = [...new Set(group.findings.map((f) => f.rule))].map((r) => `<code>${escapeXml(r)}</code>`).join(' ');
    return `<tr data-workload="${escapeXml(group.key)}"><td><a href="#w${index}">${escapeXml(targetLabel(group.target))}</a></td>${counts}<td>${rules}</td><td>${escapeXml(concurrencyCell(curves.get(group.key)))}</td></tr>`;
  });
  return `<table class="summary"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function concurrencyCell(curve: RecommendationCurve | undefined): string {
  if (curve === undefined) return '';
  const current = curve.current === undefined ? 'unlimited' : String(curve.current);
  if (curve.setting !== 'containerConcurrency') return curve.recommended === undefined ? '' : `≤ ${curve.recommended.value} in flight per pod`;
  return curve.recommended === undefined || curve.recommended.value === curve.current ? current : `${current} → ${curve.recommended.value}`;
}

function workloadSection(group: WorkloadGroup, index: number, curve: RecommendationCurve | undefined): string {
  const where = group.target.file === undefined ? '' : ` <span class="muted">${escapeXml(fileLocation(group.target.file, group.target.line))}</span>`;
  const parts = [`<section id="w${index}" data-workload="${escapeXml(group.key)}">`, `<h2>${escapeXml(targetLabel(group.target))}${where}</h2>`];
  if (curve !== undefined) parts.push(curveFigure(curve));
  parts.push(...bySeverity(group.findings).map(findingBlock), '</section>');
  return parts.join('\n');
}

function curveFigure(curve: RecommendationCurve): string {
  const series: PlotSeries[] = [{ name: CURVE_SERIES.predicted, color: '#1f77b4', style: 'line', points: curve.predicted.points }];
  if (curve.observed.length > 0) series.push({ name: CURVE_SERIES.observed, color: '#444444', style: 'dots', points: curve.observed });
  const marks: PlotMark[] = [];
  const at = (concurrency: number) => curve.predicted.points.find((p) => p.concurrency === concurrency) ?? nearest(curve, concurrency);
  if (curve.current !== undefined && at(curve.current) !== undefined) marks.push({ name: `current: ${curve.setting} ${curve.current}`, color: '#d62728', shape: 'square', ...at(curve.current)! });
  if (curve.recommended !== undefined && at(curve.recommended.value) !== undefined) {
    marks.push({ name: `recommended: ${curve.setting} ${curve.recommended.value}`, color: '#2ca02c', shape: 'triangle', ...at(curve.recommended.value)! });
  }
  const svg = renderPlot({ title: `${targetLabel(curve.target)}: p95 and throughput against concurrency`, subtitle: curve.predicted.model, objectiveSeconds: curve.objective.p95Seconds, series, marks });
  const recommended = curve.recommended === undefined ? 'no change recommended' : `recommended ${curve.recommended.value}${curve.recommended.target === curve.recommended.value ? '' : ` (a step towards ${curve.recommended.target})`}, ${curve.recommended.confidence} confidence`;
  const caption = `Objective: p95 ≤ ${formatSeconds(curve.objective.p95Seconds)} (${curve.objective.how}). ${curve.setting}: ${curve.current === undefined ? (curve.setting === 'containerConcurrency' ? 'unlimited' : 'not a setting') : `${curve.current} now`}, ${recommended}. ${curve.observed.length} observed steps.`;
  return `<figure class="curve">\n${svg}<figcaption>${escapeXml(caption)}</figcaption>\n</figure>`;
}

/** The predicted point nearest a concurrency the curve skipped (curves beyond 80 levels are log-spaced). */
function nearest(curve: RecommendationCurve, concurrency: number) {
  let best: (typeof curve.predicted.points)[number] | undefined;
  for (const p of curve.predicted.points) if (best === undefined || Math.abs(p.concurrency - concurrency) < Math.abs(best.concurrency - concurrency)) best = p;
  return best;
}

function findingBlock(finding: Finding): string {
  const lines = [`<div class="finding" data-rule="${escapeXml(finding.rule)}">`];
  lines.push(`<div><span class="sev" style="color:${SEVERITY_COLOR[finding.severity]}">${finding.severity}</span> <code>${escapeXml(finding.rule)}</code>${finding.target.container === undefined ? '' : ` <span class="muted">container ${escapeXml(finding.target.container)}</span>`}${finding.confidence === undefined ? '' : ` <span class="muted">(${finding.confidence} confidence)</span>`}</div>`);
  lines.push(`<div>${escapeXml(finding.message)}</div>`);
  const values = valueLine(finding.current, finding.recommended);
  if (values !== '') lines.push(`<div><b>change</b> ${escapeXml(values)}</div>`);
  if (finding.evidence.length > 0) {
    const items = finding.evidence.map((e) => `<li><code>${escapeXml(evidenceLocation(e))}</code>${e.text === undefined ? '' : ` ${escapeXml(e.text)}`}</li>`);
    lines.push(`<div><b>evidence</b><ul>${items.join('')}</ul></div>`);
  }
  const fix = fixSummary(finding.fix);
  if (fix.length > 0) {
    const patch = finding.fix?.jsonPatch ?? [];
    const details = [
      ...(patch.length === 0 ? [] : [`<pre>${escapeXml(opsJson(patch))}</pre>`]),
      ...(finding.fix?.commands ?? []).map((c) => `<pre>${escapeXml(c)}</pre>`),
      ...(finding.fix?.notes ?? []).map((n) => `<p>${escapeXml(n)}</p>`),
    ];
    lines.push(details.length === 0 ? `<div><b>fix</b> ${escapeXml(fix.join(', '))}</div>` : `<details><summary><b>fix</b> ${escapeXml(fix.join(', '))}</summary>${details.join('')}</details>`);
  }
  lines.push('</div>');
  return lines.join('\n');
}
