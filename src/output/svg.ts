/**
 * @module A small SVG plotter (no plotting dependency), shared by `-o html` and the lab's figures (bench/lab): two
 * panels over one concurrency axis (log scale), throughput above and p95 latency below (log scale, with the objective
 * as a dashed line), one polyline or set of dots per series and markers for settings. Each series and mark is a
 * `<g data-series>` / `<g data-mark>` group, so a page (and its test) can tell them apart. Pure: a spec in, text out.
 */

/** One measured point. */
export interface PlotPoint {
  concurrency: number;
  /** Requests per second. */
  throughput: number;
  /** Seconds. */
  p95: number;
}

/** A line of points (a server shape's sweep, the observed day). */
export interface PlotSeries {
  name: string;
  color: string;
  points: PlotPoint[];
  /** `line` joins the points in concurrency order; `dots` draws them alone. */
  style: 'line' | 'dots';
}

/** A chosen setting, drawn as a marker on both panels. */
export interface PlotMark extends PlotPoint {
  name: string;
  color: string;
  shape: 'diamond' | 'triangle' | 'square' | 'circle';
}

/** Everything one figure shows. */
export interface PlotSpec {
  title: string;
  subtitle: string;
  objectiveSeconds: number;
  series: PlotSeries[];
  marks: PlotMark[];
}

/** Colours for series, in order (readable on white, distinct in greyscale order too). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const WIDTH = 880;
const PANEL_HEIGHT = 250;
const MARGIN = { left: 70, right: 330, top: 56, gap: 46, bottom: 46 };

/** `&`, `<`, `>`, `"` as entities, for text and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Ticks of a log axis: 1, 2, 5 × powers of ten within [min, max] (at least the two ends when none falls inside). */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(Number(v.toPrecision(12)));
    }
  }
  return ticks.length >= 2 ? ticks : [min, max];
}

/** Powers of two within [min, max]: the concurrency axis. */
export function powerOfTwoTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let v = 1; v <= max; v *= 2) if (v >= min) ticks.push(v);
  return ticks;
}

/** "Nice" linear ticks from 0 to at least `max`: steps of 1, 2 or 5 × a power of ten, about `count` of them. */
export function linearTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step - 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** `250 ms`, `1.2 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(3))} ms`;
  return `${Number(seconds.toPrecision(3))} s`;
}

/** A scale from data to pixels. */
interface Scale {
  (value: number): number;
}

function logScale(min: number, max: number, from: number, to: number): Scale {
  const a = Math.log(min);
  const b = Math.log(max);
  return (v) => from + ((Math.log(Math.max(v, min)) - a) / (b - a || 1)) * (to - from);
}

function linearScale(max: number, from: number, to: number): Scale {
  return (v) => from + (v / (max || 1)) * (to - from);
}

function fmt(n: number): string {
  return Number(n.toFixed(1)).toString();
}

function markerPath(shape: PlotMark['shape'], x: number, y: number, size = 7): string {
  const s = size;
  switch (shape) {
    case 'diamond':
      return `M${fmt(x)} ${fmt(y - s)}L${fmt(x + s)} ${fmt(y)}L${fmt(x)} ${fmt(y + s)}L${fmt(x - s)} ${fmt(y)}Z`;
    case 'triangle':
      return `M${fmt(x)} ${fmt(y - s)}L${fmt(x + s)} ${fmt(y + s * 0.8)}L${fmt(x - s)} ${fmt(y + s * 0.8)}Z`;
    case 'square':
      return `M${fmt(x - s * 0.8)} ${fmt(y - s * 0.8)}h${fmt(1.6 * s)}v${fmt(1.6 * s)}h${fmt(-1.6 * s)}Z`;
    case 'circle':
      return `M${fmt(x - s)} ${fmt(y)}a${s} ${s} 0 1 0 ${2 * s} 0a${s} ${s} 0 1 0 ${-2 * s} 0Z`;
  }
}

/** The figure as an SVG document. */
export function renderPlot(spec: PlotSpec): string {
  const all: PlotPoint[] = [...spec.series.flatMap((s) => s.points), ...spec.marks];
  const xMax = Math.max(2, ...all.map((p) => p.concurrency));
  const xTicks = powerOfTwoTicks(1, 2 ** Math.ceil(Math.log2(xMax)));
  const x = logScale(1, xTicks.at(-1)!, MARGIN.left, WIDTH - MARGIN.right);
  const top = { from: MARGIN.top, to: MARGIN.top + PANEL_HEIGHT };
  const bottom = { from: top.to + MARGIN.gap, to: top.to + MARGIN.gap + PANEL_HEIGHT };
  const height = bottom.to + MARGIN.bottom;

  const tTicks = linearTicks(Math.max(1, ...all.map((p) => p.throughput)) * 1.05);
  const yT = linearScale(tTicks.at(-1)!, top.to, top.from);
  const latencies = [...all.map((p) => p.p95), spec.objectiveSeconds].filter((v) => v > 0);
  const pMin = Math.min(...latencies) / 1.3;
  const pMax = Math.max(...latencies) * 1.3;
  const pTicks = logTicks(pMin, pMax);
  const yP = logScale(pMin, pMax, bottom.to, bottom.from);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN.left}" y="22" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`);
  out.push(`<text x="${MARGIN.left}" y="40" fill="#555555">${escapeXml(spec.subtitle)}</text>`);

  const panel = (range: { from: number; to: number }, ticks: number[], y: Scale, label: string, format: (v: number) => string) => {
    out.push(`<rect x="${MARGIN.left}" y="${range.from}" width="${WIDTH - MARGIN.left - MARGIN.right}" height="${PANEL_HEIGHT}" fill="none" stroke="#999999"/>`);
    for (const t of ticks) {
      const py = fmt(y(t));
      out.push(`<line x1="${MARGIN.left}" y1="${py}" x2="${WIDTH - MARGIN.right}" y2="${py}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${MARGIN.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(format(t))}</text>`);
    }
    for (const t of xTicks) {
      const px = fmt(x(t));
      out.push(`<line x1="${px}" y1="${range.from}" x2="${px}" y2="${range.to}" stroke="#f0f0f0"/>`);
      out.push(`<text x="${px}" y="${range.to + 15}" text-anchor="middle">${t}</text>`);
    }
    const mid = (range.from + range.to) / 2;
    out.push(`<text x="16" y="${fmt(mid)}" text-anchor="middle" transform="rotate(-90 16 ${fmt(mid)})">${escapeXml(label)}</text>`);
  };
  panel(top, tTicks, yT, 'throughput (req/s)', (v) => String(v));
  panel(bottom, pTicks, yP, 'p95 latency', formatSeconds);
  out.push(`<text x="${fmt((MARGIN.left + WIDTH - MARGIN.right) / 2)}" y="${height - 10}" text-anchor="middle">requests in flight per instance (concurrency)</text>`);

  const objectiveY = fmt(yP(spec.objectiveSeconds));
  out.push(`<line x1="${MARGIN.left}" y1="${objectiveY}" x2="${WIDTH - MARGIN.right}" y2="${objectiveY}" stroke="#d62728" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${MARGIN.left + 4}" y="${fmt(yP(spec.objectiveSeconds) - 5)}" fill="#d62728">objective ${escapeXml(formatSeconds(spec.objectiveSeconds))}</text>`);

  for (const s of spec.series) {
    out.push(`<g data-series="${escapeXml(s.name)}" data-style="${s.style}">`);
    const points = [...s.points].sort((a, b) => a.concurrency - b.concurrency);
    for (const [value, y] of [[(p: PlotPoint) => p.throughput, yT], [(p: PlotPoint) => p.p95, yP]] as const) {
      const coords = points.map((p) => `${fmt(x(p.concurrency))},${fmt(y(value(p)))}`);
      if (s.style === 'line' && coords.length > 1) out.push(`<polyline points="${coords.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
      for (const c of coords) {
        const [cx, cy] = c.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="${s.style === 'line' ? 2.5 : 2}" fill="${s.color}"/>`);
      }
    }
    out.push('</g>');
  }
  for (const m of spec.marks) {
    out.push(`<g data-mark="${escapeXml(m.name)}">`);
    for (const y of [yT(m.throughput), yP(m.p95)]) out.push(`<path d="${markerPath(m.shape, x(m.concurrency), y)}" fill="${m.color}" stroke="#000000" stroke-width="1"/>`);
    out.push('</g>');
  }

  // Legend: series, then marks.
  let ly = MARGIN.top + 4;
  const lx = WIDTH - MARGIN.right + 14;
  for (const s of spec.series) {
    out.push(s.style === 'line' ? `<line x1="${lx}" y1="${ly}" x2="${lx + 18}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>` : `<circle cx="${lx + 9}" cy="${ly}" r="2.5" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 24}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
    ly += 17;
  }
  ly += 6;
  for (const m of spec.marks) {
    out.push(`<path d="${markerPath(m.shape, lx + 9, ly, 6)}" fill="${m.color}" stroke="#000000" stroke-width="1"/>`);
    out.push(`<text x="${lx + 24}" y="${ly}" dominant-baseline="middle">${escapeXml(m.name)}</text>`);
    ly += 19;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
