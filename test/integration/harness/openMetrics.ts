// OpenMetrics text for backfilling a Prometheus TSDB with `promtool tsdb create-blocks-from openmetrics`.
// What promtool (checked with 2.42) requires, and what it does silently when the input is wrong:
// - the text must end with a `# EOF` line, or promtool fails ("data does not end with # EOF");
// - timestamps are in seconds; milliseconds are not rejected but read as seconds, ~50,000 years ahead;
// - within one series, samples must come in increasing time order: an earlier sample after a later one is
//   dropped without an error (the block's NUM SAMPLES is smaller). Different series may interleave;
// - a counter family `x` (`# TYPE x counter`) has samples named `x_total`; a histogram family `x` has
//   `x_bucket{le="…"}` (cumulative, up to `le="+Inf"`), `x_sum` and `x_count`. `le` values are label strings,
//   so one bound must be spelt the same way in every sample.
// promtool accepts any time range and cuts blocks at 2 h boundaries. Its documentation warns against
// backfilling the last 3 h into a Prometheus that is scraping (the range of its head block); the Prometheus of
// the harness scrapes nothing, so recent samples are fine as well.

export type Labels = Record<string, string>;

export interface CounterPoint {
  /** Unix time in seconds. */
  t: number;
  value: number;
}

export interface HistogramPoint {
  /** Unix time in seconds. */
  t: number;
  /** Cumulative count per finite upper bound, in increasing bound order; the +Inf bucket is `count`. */
  buckets: [le: number, cumulativeCount: number][];
  sum: number;
  count: number;
}

export interface Series<P> {
  labels: Labels;
  points: P[];
}

export function counterFamily(name: string, help: string, series: Series<CounterPoint>[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} counter`];
  for (const s of series) for (const p of s.points) lines.push(sample(`${name}_total`, s.labels, p.value, p.t));
  return lines.join('\n');
}

export function histogramFamily(name: string, help: string, series: Series<HistogramPoint>[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const s of series) {
    for (const p of s.points) {
      for (const [le, count] of p.buckets) lines.push(sample(`${name}_bucket`, { ...s.labels, le: String(le) }, count, p.t));
      lines.push(sample(`${name}_bucket`, { ...s.labels, le: '+Inf' }, p.count, p.t));
      lines.push(sample(`${name}_sum`, s.labels, p.sum, p.t));
      lines.push(sample(`${name}_count`, s.labels, p.count, p.t));
    }
  }
  return lines.join('\n');
}

/** The families, then the `# EOF` terminator that OpenMetrics requires. */
export function openMetricsDocument(families: string[]): string {
  return `${families.join('\n')}\n# EOF\n`;
}

function sample(name: string, labels: Labels, value: number, t: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return `${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value} ${t}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
