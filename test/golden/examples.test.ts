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
    expect(run.stderr).toBe('');
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
