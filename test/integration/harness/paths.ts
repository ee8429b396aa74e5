import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript } from './processes.ts';

/** The repository root, found from this file's place in it (test/integration/harness/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The directory scripts/install-crd-modules.sh lays out from the pinned Go modules (scripts/versions.env):
 * `crds/<source>/*.yaml` (Knative Serving, networking and caching, Config Connector IAM, Prometheus Operator
 * monitors) and `modules/<name>` links into the Go module cache (Knative's ConfigMaps and webhooks). The script
 * downloads the modules the first time, so a fresh clone needs nothing beside the repository.
 */
export async function crdModulesDir(): Promise<string> {
  const script = scriptPath('install-crd-modules.sh');
  const { lastLine } = await runScript(script).catch((err: Error) => {
    throw new Error(`${err.message}. The third-party CRDs come from Go modules that script downloads with Go`);
  });
  return lastLine;
}

/** The directories whose *.yaml CRDs every control plane installs: pytuner's own, then the third-party ones. */
export async function defaultCrdDirs(): Promise<CrdDir[]> {
  return [
    { path: resolve(repoRoot, 'crds'), required: true, hint: 'regenerate them with npm run gen:crds' },
    { path: resolve(await crdModulesDir(), 'crds'), required: true, hint: 'run scripts/install-crd-modules.sh' },
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
