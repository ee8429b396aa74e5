import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportNode } from './parse.ts';
import { classifyStderrLine, ImportTreeBuilder, parseImportTime, walkImports } from './parse.ts';

/**
 * Captured on this repository's CI machine (Debian 12, /usr/bin/python3 = CPython 3.11.2, python3-flask 2.2.2) in
 * test/fixtures/importtime/app with `PYTHONPROFILEIMPORTTIME=1 /usr/bin/python3 -c "import main" 2> …`.
 */
const SAMPLE = readFileSync(join(import.meta.dirname, '../../test/fixtures/importtime/flask-app.python3.11.stderr.txt'), 'utf8');

/** Sum of the first column of the raw lines, read without the parser: `import time: <self> | …`. */
function rawSelfSum(text: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith('import time:') && !line.includes('self [us]'))
    .reduce((sum, line) => sum + Number((line.split('|')[0] as string).replace('import time:', '').trim()), 0);
}

function find(roots: readonly ImportNode[], name: string): ImportNode {
  for (const { node } of walkImports(roots)) if (node.name === name) return node;
  throw new Error(`${name} is not in the tree`);
}

describe('classifyStderrLine', () => {
  it('reads self, cumulative, depth and name of an import line', () => {
    expect(classifyStderrLine('import time:       963 |      14331 |             werkzeug.test')).toEqual({
      kind: 'import',
      line: { selfUs: 963, cumulativeUs: 14331, depth: 6, name: 'werkzeug.test' },
    });
    expect(classifyStderrLine('import time:   4301835 |    4301835 | aiohttp')).toEqual({
      kind: 'import',
      line: { selfUs: 4301835, cumulativeUs: 4301835, depth: 0, name: 'aiohttp' },
    });
  });

  it('knows the header, the cached lines of -X importtime=2, and everything else', () => {
    expect(classifyStderrLine('import time: self [us] | cumulative | imported package')).toEqual({ kind: 'header' });
    expect(classifyStderrLine('import time:    cached |     cached |   os')).toEqual({ kind: 'cached', name: 'os' });
    expect(classifyStderrLine('Traceback (most recent call last):')).toEqual({ kind: 'other', text: 'Traceback (most recent call last):' });
    expect(classifyStderrLine('import time: not a number | 1 | x')).toEqual({ kind: 'other', text: 'import time: not a number | 1 | x' });
    expect(classifyStderrLine('')).toEqual({ kind: 'other', text: '' });
  });
});

describe('parseImportTime on real python3.11 output (Flask app)', () => {
  const { tree, otherLines } = parseImportTime(SAMPLE);

  it('totals exactly the self times of the raw lines', () => {
    expect(tree.totalSelfUs).toBe(116_428);
    expect(tree.totalSelfUs).toBe(rawSelfSum(SAMPLE));
    expect(tree.imports).toBe(326);
    expect(SAMPLE.split('\n').filter((l) => l.startsWith('import time:')).length).toBe(326 + 1);
    expect(tree.interpreters).toBe(1);
    expect(tree.orphans).toBe(0);
    expect(otherLines).toEqual([]);
  });

  it('puts every line in the tree once, roots in the order Python finished them', () => {
    expect([...walkImports(tree.roots)].length).toBe(326);
    expect(tree.roots.map((r) => [r.name, r.cumulativeUs])).toEqual([
      ['_frozen_importlib_external', 582],
      ['zipimport', 153],
      ['encodings', 927],
      ['encodings.utf_8', 115],
      ['_signal', 63],
      ['io', 183],
      ['site', 2926],
      ['main', 111_314],
    ]);
  });

  it('nests by indentation: werkzeug.test is six levels down, under werkzeug', () => {
    const chain = [...walkImports(tree.roots)].find(({ node }) => node.name === 'werkzeug.test')?.chain;
    expect(chain).toEqual(['main', 'flask', 'flask.json', 'flask.globals', 'werkzeug.local', 'werkzeug', 'werkzeug.test']);
    expect(find(tree.roots, 'werkzeug.test')).toMatchObject({ selfUs: 833, cumulativeUs: 13_958 });
    expect(find(tree.roots, 'main').children.map((c) => c.name)).toEqual(['http.client', 'json', 'unittest.mock', 'flask']);
  });

  it("keeps Python's arithmetic: self = cumulative - the children's cumulative, give or take the rounding up of each", () => {
    for (const { node } of walkImports(tree.roots)) {
      const childrenUs = node.children.reduce((sum, c) => sum + c.cumulativeUs, 0);
      const difference = node.selfUs - (node.cumulativeUs - childrenUs);
      expect(Math.abs(difference), node.name).toBeLessThanOrEqual(node.children.length + 1);
    }
  });
});

describe('ImportTreeBuilder', () => {
  function build(lines: string[]) {
    const builder = new ImportTreeBuilder();
    const other = lines.map((line) => builder.add(classifyStderrLine(line))).filter((text) => text !== undefined);
    return { tree: builder.tree(), other };
  }

  it('returns the command\'s own lines and keeps them out of the tree', () => {
    const { tree, other } = build([
      'import time: self [us] | cumulative | imported package',
      'import time:        10 |         10 |   b',
      'WARNING: something the app logged',
      'import time:         5 |         15 | a',
    ]);
    expect(other).toEqual(['WARNING: something the app logged']);
    expect(tree.roots).toEqual([{ name: 'a', selfUs: 5, cumulativeUs: 15, children: [{ name: 'b', selfUs: 10, cumulativeUs: 10, children: [] }] }]);
    expect(tree.totalSelfUs).toBe(15);
  });

  it('keeps failed and repeated imports, each as its own line (nt three times on Linux)', () => {
    const { tree } = build([
      'import time:        59 |         59 |   nt',
      'import time:        55 |         55 |   nt',
      'import time:        49 |         49 |   nt',
      'import time:       139 |        302 | ntpath',
    ]);
    expect(tree.roots[0]?.children.map((c) => c.selfUs)).toEqual([59, 55, 49]);
    expect(tree.imports).toBe(4);
  });

  it('skips cached lines: they cost nothing and do not nest', () => {
    const { tree } = build(['import time:    cached |     cached |   os', 'import time:        20 |         20 |   x', 'import time:        5 |         25 | y']);
    expect(tree.roots).toEqual([{ name: 'y', selfUs: 5, cumulativeUs: 25, children: [{ name: 'x', selfUs: 20, cumulativeUs: 20, children: [] }] }]);
    expect(tree.imports).toBe(2);
  });

  it('lists imports whose parent never finished (killed mid-import) at the top level, and counts them', () => {
    const { tree } = build(['import time:       100 |        100 | done', 'import time:        30 |         30 |     deep', 'import time:        40 |         70 |   half']);
    expect(tree.roots.map((r) => r.name)).toEqual(['done', 'half']);
    expect(tree.roots[1]?.children.map((c) => c.name)).toEqual(['deep']);
    expect(tree.orphans).toBe(2);
    expect(tree.totalSelfUs).toBe(170);
  });

  it('counts one header per interpreter (a command that starts another Python)', () => {
    const header = 'import time: self [us] | cumulative | imported package';
    const { tree } = build([header, 'import time:        10 |         10 | a', header, 'import time:        20 |         20 | b']);
    expect(tree.interpreters).toBe(2);
    expect(tree.roots.map((r) => r.name)).toEqual(['a', 'b']);
  });

  it('gives an empty tree for output without import lines', () => {
    expect(parseImportTime('hello\n').tree).toEqual({ roots: [], imports: 0, totalSelfUs: 0, interpreters: 0, orphans: 0 });
    expect(parseImportTime('hello\n').otherLines).toEqual(['hello']);
  });
});
