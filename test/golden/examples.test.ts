/**
 * Golden files for the shipped `examples/` directory, through the built binary: the real input layer, inventory,
 * server detection and rules, in every format. A change to any of them shows here as a reviewable diff
 * (`vitest run --project cli -u test/golden` rewrites the files).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pytuner } from '../cli/run.ts';

describe('golden output of examples/', () => {
  it.each([
    ['table', 'examples.txt'],
    ['json', 'examples.json'],
    ['markdown', 'examples.md'],
    ['sarif', 'examples.sarif'],
  ])('%s', async (format, golden) => {
    const run = pytuner(['report', '-f', 'examples', '-o', format]);
    // A report that does not go to a terminal repeats its notes on stderr; examples/ has one.
    expect(run.stderr).toBe(
      'pytuner: note: examples/images/alpine-profiler/Dockerfile: only its image was checked: it starts gunicorn, but no manifest claims it and its command does not serve on $PORT, so where it runs is not known; give its manifest too, or --platform cloudrun, knative or kubernetes\n',
    );
    expect(run.status).toBe(0);
    await expect(run.stdout).toMatchFileSnapshot(golden);
  });

  it('--emit-patches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pytuner-golden-'));
    try {
      expect(pytuner(['report', '-f', 'examples', '--emit-patches', dir]).status).toBe(0);
      const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
        .filter((entry) => entry.isFile())
        .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
        .sort();
      const text = files.map((file) => `==> ${file} <==\n${readFileSync(join(dir, file), 'utf8')}`).join('\n');
      await expect(text).toMatchFileSnapshot('examples.patches.txt');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
