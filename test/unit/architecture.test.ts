/**
 * The pure core (model, rules, recommender, output, report.ts) must not do I/O, so the CLI and the
 * controller can share it and its tests need nothing but data. This test reads every import of those
 * modules and fails on any that reaches the filesystem, the network, a Kubernetes client or a logger.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const PURE = [
  'src/parse',
  'src/model',
  'src/rules',
  'src/recommender',
  'src/output',
  'src/report.ts',
  'src/api',
  'src/actuator/plan.ts',
  'src/actuator/managedFields.ts',
  'src/actuator/status.ts',
  'src/importtime',
  'src/render',
];
const FORBIDDEN_PACKAGES = [
  /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads|process)$/,
  /^@kubernetes\/client-node/,
  /^undici/,
  /^pino/,
  /^prom-client/,
];
// Modules of the project that do I/O: the pure core may not import them either.
const IO_MODULES = ['src/input/files.ts', 'src/input/metrics/client.ts', 'src/input/metrics/collect.ts', 'src/cli/', 'src/controller/', 'src/actuator/apply'];

function sourceFiles(path: string): string[] {
  const abs = join(root, path);
  let stat;
  try {
    stat = statSync(abs);
  } catch {
    return [];
  }
  if (stat.isFile()) return [abs];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(abs, f));
}

/** Value imports only: `import type` and `export type` are erased and allowed. */
function valueImports(text: string): string[] {
  const specs: string[] = [];
  const re = /^\s*(import|export)\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) specs.push((m[2] ?? m[3] ?? m[4]) as string);
  return specs;
}

describe('architecture', () => {
  const files = PURE.flatMap(sourceFiles);

  it('finds the pure core', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [relative(root, f)]))('%s does no I/O', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const offending = valueImports(text).filter((spec) => {
      if (FORBIDDEN_PACKAGES.some((re) => re.test(spec))) return true;
      if (!spec.startsWith('.')) return false;
      const target = relative(root, resolve(dirname(join(root, file)), spec));
      return IO_MODULES.some((io) => target.startsWith(io));
    });
    expect(offending).toEqual([]);
  });
});
