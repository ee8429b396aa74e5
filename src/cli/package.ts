/**
 * @module Where pytuner is installed: the package root (found from this file, so it works from `src/cli`
 * run by Node's type stripping and from the built `dist/cli`), its version, and its rule docs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above `src/cli/` and `dist/cli/` alike. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The `version` field of package.json. */
export function packageVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  const version = typeof manifest === 'object' && manifest !== null ? (manifest as Record<string, unknown>)['version'] : undefined;
  return typeof version === 'string' ? version : '0.0.0';
}

/** Absolute path of a repository-relative path such as `docs/rules/<id>.md`. */
export function packagePath(relative: string): string {
  return path.join(PACKAGE_ROOT, relative);
}
