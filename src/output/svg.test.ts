import { describe, expect, it } from 'vitest';
import type { PlotSpec } from './svg.ts';
import { escapeXml, formatSeconds, linearTicks, logTicks, powerOfTwoTicks, renderPlot } from './svg.ts';

describe('axes', () => {
  it('log ticks at 1, 2, 5 × powers of ten inside the range', () => {
    expect(logTicks(0.03, 1.2)).toEqual([0.05, 0.1, 0.2, 0.5, 1]);
    expect(logTicks(0.011, 0.019)).toEqual([0.011, 0.019]);
  });

  it('linear ticks from 0 in steps of 1, 2 or 5 × 10^n, up to at least the maximum', () => {
    expect(linearTicks(73)).toEqual([0, 20, 40, 60, 80]);
    expect(linearTicks(1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(linearTicks(0)).toEqual([0, 1]);
  });

  it('powers of two for the concurrency axis', () => {
    expect(powerOfTwoTicks(1, 64)).toEqual([1, 2, 4, 8, 16, 32, 64]);
  });

  it('formats latencies', () => {
    expect(formatSeconds(0.05)).toBe('50 ms');
    expect(formatSeconds(0.1234)).toBe('123 ms');
    expect(formatSeconds(1.5)).toBe('1.5 s');
  });

  it('escapes XML', () => {
    expect(escapeXml('a < b & "c" > d')).toBe('a &lt; b &amp; &quot;c&quot; &gt; d');
  });
});

describe('renderPlot', () => {
  const spec: PlotSpec = {
    title: 'cpu-bound: <test>',
    subtitle: '30 ms CPU',
    objectiveSeconds: 0.05,
    series: [
      { name: '2 sync', color: '#1f77b4', style: 'line', points: [{ concurrency: 2, throughput: 60, p95: 0.035 }, { concurrency: 1, throughput: 31, p95: 0.033 }, { concurrency: 4, throughput: 62, p95: 0.07 }] },
      { name: 'observed day', color: '#444444', style: 'dots', points: [{ concurrency: 8, throughput: 30, p95: 0.3 }] },
    ],
    marks: [{ name: 'oracle: 2 sync, cc 2', color: '#2ca02c', shape: 'diamond', concurrency: 2, throughput: 60, p95: 0.035 }],
  };
  const svg = renderPlot(spec);

  it('is one SVG document with the title escaped', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('cpu-bound: &lt;test&gt;');
  });

  it('draws a line per panel for a line series (points in concurrency order) and none for dots', () => {
    const lines = svg.match(/<polyline points="[^"]+"/g) ?? [];
    expect(lines).toHaveLength(2);
    const xs = lines[0]!.slice('<polyline points="'.length, -1).split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    // 3 + 1 points on each of the two panels, and the dots series' legend entry.
    expect(svg.match(/<circle /g)).toHaveLength(9);
  });

  it('marks the chosen setting on both panels and in the legend, and the objective', () => {
    expect(svg.match(/<path d="M/g)).toHaveLength(3);
    expect(svg).toContain('oracle: 2 sync, cc 2');
    expect(svg).toContain('objective 50 ms');
    expect(svg).toContain('stroke-dasharray="6 4"');
  });

  it('puts concurrency 1 at the left edge of the plot and the axis up to the next power of two', () => {
    expect(svg).toContain('<text x="70.0" y="321" text-anchor="middle">1</text>'.replace('70.0', '70'));
    expect(svg).toContain('>8</text>');
    expect(svg).not.toContain('>16</text>');
  });
});
