import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file's place in it (test/integration/harness/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The shared, read-only material (real CRDs among it). CI clones it beside the repository, so the
 * default is ../shared relative to the repository root; PYTUNER_SHARED_DIR overrides it.
 */
export function sharedDir(): string {
  return process.env.PYTUNER_SHARED_DIR ?? resolve(repoRoot, '..', 'shared');
}

/** The directories whose *.yaml CRDs every control plane installs: pytuner's own, then the shared fixtures. */
export function defaultCrdDirs(): CrdDir[] {
  return [
    { path: resolve(repoRoot, 'crds'), required: true, hint: 'regenerate them with npm run gen:crds' },
    { path: resolve(sharedDir(), 'fixtures', 'crds'), required: true, hint: 'clone the shared repository beside this one or set PYTUNER_SHARED_DIR' },
  ];
}

export interface CrdDir {
  path: string;
  /** A missing required directory is an error; a missing optional one holds no CRDs. */
  required: boolean;
  /** How to get the directory when it is missing. */
  hint?: string;
}

export function scriptPath(name: string): string {
  return resolve(repoRoot, 'scripts', name);
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in a PATH directory, like `command -v`. */
export function findOnPath(name: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(isExecutable);
}
