import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { CrdDir } from './paths.ts';

export interface CrdManifest {
  /** The file it came from, for error messages. */
  file: string;
  /** metadata.name */
  name: string;
  /** The document as parsed, sent to the API server unchanged. */
  document: CrdDocument;
}

/** The parts of a raw CustomResourceDefinition document the harness reads. */
export interface CrdDocument {
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: { group: string; names: { plural: string }; versions: { name: string; served: boolean }[] };
}

/**
 * Every CustomResourceDefinition in the *.yaml / *.yml files under `dirs` (subdirectories included), in
 * path order. A document of another kind is an error rather than silently skipped: these directories are
 * meant to hold CRDs only.
 */
export async function loadCrdManifests(dirs: CrdDir[]): Promise<CrdManifest[]> {
  const perDir = await Promise.all(dirs.map(loadCrdDir));
  return perDir.flat();
}

async function loadCrdDir(dir: CrdDir): Promise<CrdManifest[]> {
  let entries: string[];
  try {
    entries = await readdir(dir.path, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !dir.required) return [];
    throw new Error(`cannot read the CRD directory ${dir.path}: ${(err as Error).message}${dir.hint ? ` (${dir.hint})` : ''}`);
  }
  const files = entries.filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir.path, f));
  const perFile = await Promise.all(files.map(loadCrdFile));
  return perFile.flat();
}

async function loadCrdFile(file: string): Promise<CrdManifest[]> {
  let documents: unknown[];
  try {
    documents = loadAll(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  return documents
    .filter((doc) => doc !== null && doc !== undefined) // empty documents, e.g. after a leading ---
    .map((doc, index) => {
      const { kind, metadata } = doc as Partial<CrdDocument>;
      if (kind !== 'CustomResourceDefinition') throw new Error(`${file}, document ${index + 1}: kind ${String(kind)}, not CustomResourceDefinition`);
      if (!metadata?.name) throw new Error(`${file}, document ${index + 1}: a CustomResourceDefinition without metadata.name`);
      return { file, name: metadata.name, document: doc as CrdDocument };
    });
}
