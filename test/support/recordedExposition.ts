/**
 * Scrapes of a real Knative queue-proxy recorded by bench/lab/knative/record-queue-proxy.sh (test/fixtures/knative-real/):
 * read as they are, and turned into the OpenMetrics a Prometheus scraping them would have stored (the scrape's target
 * labels added, each sample stamped with the time the scrape was due), for backfilling a real Prometheus.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One sample of a text-format exposition. */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One recorded scrape: its file, when it was due (seconds after the recording started) and the load then. */
export interface RecordedScrape {
  file: string;
  at: number;
  phase: string;
  clients: number;
  samples: ExpositionSample[];
  /** `# TYPE` of each family, as the exporter declared it. */
  types: Map<string, string>;
}

/** A recording: the run's description (run.json) and its scrapes in order. */
export interface Recording {
  containerConcurrency: number;
  scrapes: RecordedScrape[];
}

export const RECORDINGS_DIR = join(import.meta.dirname, '..', 'fixtures', 'knative-real');

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /\s*([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;

/** The samples and declared types of a Prometheus text-format exposition. */
export function parseExposition(text: string): { samples: ExpositionSample[]; types: Map<string, string> } {
  const samples: ExpositionSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , family, type] = line.split(' ');
      if (family !== undefined && type !== undefined) types.set(family, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    let l: RegExpExecArray | null;
    while (LABEL.lastIndex < body.length && (l = LABEL.exec(body)) !== null) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** A recording of one queue-proxy version (`v0.50.0`, `v0.45.1`). */
export function readRecording(version: string): Recording {
  const dir = join(RECORDINGS_DIR, version);
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
    containerConcurrency: number;
    scrapes: Array<{ file: string; at: number; phase: string; clients: number }>;
  };
  const scrapes = run.scrapes.map((s) => ({ ...s, ...parseExposition(readFileSync(join(dir, s.file), 'utf8')) }));
  return { containerConcurrency: run.containerConcurrency, scrapes };
}

/** The sum over label sets of the samples named `name` (optionally only those matching `where`); undefined if none. */
export function total(scrape: RecordedScrape, name: string, where: (labels: Record<string, string>) => boolean = () => true): number | undefined {
  const matching = scrape.samples.filter((s) => s.name === name && where(s.labels));
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}

/** The family a sample belongs to: its name, or the histogram it is a `_bucket`/`_sum`/`_count` of. */
function familyOf(name: string, types: ReadonlyMap<string, string>): string {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.has(base) ? base : name;
}

/**
 * OpenMetrics for promtool: every scrape's samples with the target labels Prometheus adds (`target`) and the time the
 * scrape was due (`start` + `at`), grouped by family; OpenCensus counters without `_total` go in as `unknown`
 * (OpenMetrics counters must end in `_total`), as Prometheus itself treats them when it parses the text format.
 */
export function recordingAsOpenMetrics(recording: Recording, start: number, target: Record<string, string>, extra: ReadonlyArray<{ name: string; labels: Record<string, string>; value: (scrape: RecordedScrape) => number }> = []): string {
  const families = new Map<string, { type: string; lines: string[] }>();
  const add = (family: string, type: string, line: string) => {
    let entry = families.get(family);
    if (entry === undefined) families.set(family, (entry = { type, lines: [] }));
    entry.lines.push(line);
  };
  const format = (labels: Record<string, string>) => `{${Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
  for (const scrape of recording.scrapes) {
    const t = start + scrape.at;
    for (const s of scrape.samples) {
      const family = familyOf(s.name, scrape.types);
      const declared = scrape.types.get(family) ?? 'unknown';
      const type = declared === 'counter' && !s.name.endsWith('_total') ? 'unknown' : declared;
      add(type === 'unknown' ? s.name : family, type, `${s.name}${format({ ...s.labels, ...target })} ${s.value} ${t}`);
    }
    for (const e of extra) add(e.name, 'gauge', `${e.name}${format(e.labels)} ${e.value(scrape)} ${t}`);
  }
  const out: string[] = [];
  for (const [name, { type, lines }] of families) out.push(`# TYPE ${name} ${type}`, ...lines);
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}
