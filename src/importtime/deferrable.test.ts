import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFERRABLE_MODULES, deferrableEntry, deferSuggestion, findDeferrableImports, HEAVY_IMPORT_MS, topLevelPackage } from './deferrable.ts';
import type { ImportNode } from './parse.ts';
import { parseImportTime } from './parse.ts';

const SAMPLE = readFileSync(join(import.meta.dirname, '../../test/fixtures/importtime/flask-app.python3.11.stderr.txt'), 'utf8');

function node(name: string, cumulativeUs: number, children: ImportNode[] = []): ImportNode {
  return { name, selfUs: cumulativeUs - children.reduce((sum, c) => sum + c.cumulativeUs, 0), cumulativeUs, children };
}

describe('DEFERRABLE_MODULES', () => {
  it('gives every entry a reason, and lists each pattern once', () => {
    for (const entry of DEFERRABLE_MODULES) expect(entry.reason.length, entry.match).toBeGreaterThan(20);
    expect(new Set(DEFERRABLE_MODULES.map((e) => e.match)).size).toBe(DEFERRABLE_MODULES.length);
  });

  it.each([
    ['pytest', 'pytest'],
    ['_pytest.fixtures', '_pytest'],
    ['unittest.mock', 'unittest'],
    ['werkzeug.test', '*.test'],
    ['sanic.testing', '*.testing'],
    ['websockets.handshake', 'websockets'],
    ['http.client', 'http.client'],
    ['requests.adapters', 'requests'],
    ['pkg_resources', 'pkg_resources'],
    ['numpy.core.multiarray', 'numpy'],
  ])('%s matches %s', (name, match) => {
    expect(deferrableEntry(name)?.match).toBe(match);
  });

  it.each(['http', 'http.server', 'requests_toolbelt', 'jinja2.tests', 'unittesting', 'flask', 'testfixtures_like', 'json'])('%s matches nothing', (name) => {
    expect(deferrableEntry(name)).toBeUndefined();
  });
});

describe('findDeferrableImports on the Flask fixture', () => {
  const { tree } = parseImportTime(SAMPLE);
  const flags = findDeferrableImports(tree.roots);

  it('flags unittest.mock, http.client and werkzeug.test, costliest first, and nothing under them again', () => {
    expect(flags.map((f) => [f.module, f.category, f.matched, f.cumulativeUs])).toEqual([
      ['unittest.mock', 'test-framework', 'unittest', 27_590],
      ['http.client', 'http-client', 'http.client', 22_074],
      ['werkzeug.test', 'test-framework', '*.test', 13_958],
    ]);
  });

  it('names who imported each, and suggests by importer', () => {
    const mock = flags.find((f) => f.module === 'unittest.mock');
    expect(mock?.importedBy).toBe('main');
    expect(mock?.chain).toEqual(['main', 'unittest.mock']);
    expect(mock?.suggestion).toBe(
      "main imports it at start-up: if main is your code, move `import unittest.mock` into the function that uses it (or import it lazily); if it is a library's, import that library where it is used, or use a part of it that does not import unittest.mock",
    );
    const test = flags.find((f) => f.module === 'werkzeug.test');
    expect(test?.importedBy).toBe('werkzeug');
    expect(test?.suggestion).toBe(
      'it comes with werkzeug.local (werkzeug.local > werkzeug > werkzeug.test), so it leaves start-up only when werkzeug.local does; flask.globals imports werkzeug.local at start-up: if flask.globals is your code, move `import werkzeug.local` into the function that uses it (or import it lazily); if it is a library\'s, import that library where it is used',
    );
  });
});

describe('findDeferrableImports', () => {
  it(`flags a numeric library only when it took ${HEAVY_IMPORT_MS} ms or more`, () => {
    const light = node('app', 100_000, [node('numpy', HEAVY_IMPORT_MS * 1000 - 1)]);
    const heavy = node('app', 100_000, [node('numpy', HEAVY_IMPORT_MS * 1000, [node('numpy.core', 15_000)])]);
    expect(findDeferrableImports([light])).toEqual([]);
    expect(findDeferrableImports([heavy]).map((f) => [f.module, f.category])).toEqual([['numpy', 'numeric']]);
  });

  it('flags an import the command made itself, and says so', () => {
    const [flag] = findDeferrableImports([node('pytest', 300_000)]);
    expect(flag?.importedBy).toBeNull();
    expect(flag?.suggestion).toBe('the command imports pytest itself: import it inside the function that uses it, or lazily (importlib.util.LazyLoader), so start-up does not pay for it');
  });

  it("flags the talk's Sanic start-up: websockets once (http.client inside it is covered), sanic.testing", () => {
    // Shape of the talk's slide 20 (Sanic 19, websockets 7): sanic.websocket → websockets → websockets.http → http.client.
    const websockets = node('websockets', 301_152, [node('websockets.http', 103_978, [node('http.client', 95_210)])]);
    const roots = [node('sanic', 400_000, [node('sanic.testing', 981), node('sanic.websocket', 301_980, [websockets])])];
    expect(findDeferrableImports(roots).map((f) => [f.module, f.importedBy])).toEqual([
      ['websockets', 'sanic.websocket'],
      ['sanic.testing', 'sanic'],
    ]);
  });

  it('uses the list it is given', () => {
    const roots = [node('app', 10_000, [node('boto3', 9_000)])];
    expect(findDeferrableImports(roots, [{ match: 'boto3', category: 'http-client', reason: 'a cloud SDK client, for tests here', minCumulativeMs: 0 }]).map((f) => f.module)).toEqual(['boto3']);
  });
});

describe('deferSuggestion and topLevelPackage', () => {
  it('finds the top-level package', () => {
    expect(topLevelPackage('werkzeug.sansio.request')).toBe('werkzeug');
    expect(topLevelPackage('flask')).toBe('flask');
  });

  it('names the import that brought the module in from outside its package', () => {
    // Werkzeug 2.2 imports http.server for its dev server, which imports http.client (measured on the fixture app
    // with its own http.client import deferred).
    expect(deferSuggestion(['main', 'flask', 'werkzeug', 'werkzeug.serving', 'http.server', 'http.client'])).toBe(
      "it comes with http.server (http.server > http.client), so it leaves start-up only when http.server does; werkzeug.serving imports http.server at start-up: if werkzeug.serving is your code, move `import http.server` into the function that uses it (or import it lazily); if it is a library's, import that library where it is used",
    );
    expect(deferSuggestion(['app', 'urllib.request', 'http.client'])).toMatch(/^urllib\.request imports it at start-up: /);
  });

  it('tells the command to defer a package it imports itself', () => {
    expect(deferSuggestion(['werkzeug', 'werkzeug.test'])).toBe(
      'it comes with werkzeug (werkzeug > werkzeug.test): the command imports werkzeug itself; import it inside the function that uses it, or lazily, so start-up does not pay for werkzeug.test',
    );
  });
});
