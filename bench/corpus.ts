/**
 * Recall and precision of `pytuner report` on the realistic corpus (test/fixtures/realistic), against the findings an
 * expert expects there (test/fixtures/realistic/EXPECTED.tsv, written by hand). A finding counts by file and rule; a
 * resource of a Terraform module called more than once counts per call (`file#module.<call>`).
 *
 *   node bench/corpus.ts            # figures and the misses
 *   node bench/corpus.ts --json
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { loadPaths } from '../src/input/files.ts';
import { analyse } from '../src/report.ts';

const CORPUS = resolve(import.meta.dirname, '../test/fixtures/realistic');

interface Expected {
  key: string;
  status: 'found' | 'missed';
  why: string;
}

function expectations(): Expected[] {
  return readFileSync(join(CORPUS, 'EXPECTED.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [file, rule, status, why] = line.split('\t');
      if (status !== 'found' && status !== 'missed') throw new Error(`EXPECTED.tsv: bad status in ${line}`);
      return { key: `${file}\t${rule}`, status, why: why ?? '' };
    });
}

const started = performance.now();
const loaded = await loadPaths([CORPUS]);
const report = analyse(loaded);
const moduleCall = (namespace: string | undefined) => (namespace?.startsWith('module.') === true ? `#${namespace}` : '');
const reported = new Set(report.findings.map((f) => `${relative(CORPUS, f.target.file ?? '')}${moduleCall(f.target.namespace)}\t${f.rule}`));
const expected = expectations();
const expertKeys = new Set(expected.map((e) => e.key));
const truePositives = expected.filter((e) => reported.has(e.key));
const falseNegatives = expected.filter((e) => !reported.has(e.key));
const falsePositives = [...reported].filter((key) => !expertKeys.has(key));
const figures = {
  expected: expected.length,
  reported: reported.size,
  truePositives: truePositives.length,
  falseNegatives: falseNegatives.length,
  falsePositives: falsePositives.length,
  recall: truePositives.length / expected.length,
  precision: reported.size === 0 ? 1 : truePositives.length / reported.size,
  inputErrors: report.errors.length,
  notes: report.notes?.length ?? 0,
  seconds: (performance.now() - started) / 1000,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
};

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ ...figures, misses: falseNegatives, unexpected: falsePositives }, null, 2));
} else {
  const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
  console.log(`realistic corpus: ${figures.expected} expected findings, ${figures.reported} reported, ${figures.inputErrors} input errors`);
  console.log(`recall ${percent(figures.recall)} (${figures.truePositives}/${figures.expected}), precision ${percent(figures.precision)} (${figures.truePositives}/${figures.reported})`);
  for (const miss of falseNegatives) console.log(`  missed: ${miss.key.replace('\t', ' ')}: ${miss.why}`);
  for (const key of falsePositives) console.log(`  unexpected: ${key.replace('\t', ' ')}`);
  console.log(`${figures.seconds.toFixed(2)} s on ${figures.machine}`);
}
