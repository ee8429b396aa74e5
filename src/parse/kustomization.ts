/**
 * @module A kustomization file read for one thing: the patch files it names. Those hold partial objects (a
 * strategic-merge patch is a Deployment without containers) that kustomize merges into a base, so a directory walk
 * counts them as skipped instead of reporting them as invalid objects.
 */
import path from 'node:path';
import { parse } from 'yaml';

/** The file names kustomize looks for in a directory. */
const KUSTOMIZATION_NAMES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

/** isKustomization: the file is a kustomization by its name, as kustomize finds it. */
export function isKustomization(file: string): boolean {
  return KUSTOMIZATION_NAMES.has(path.basename(file));
}

/**
 * kustomizationPatchFiles returns the patch files a kustomization names, joined to its directory and normalized:
 * `patchesStrategicMerge` entries that are paths, and the `path` of `patches` and `patchesJson6902` entries.
 * Inline patches are not files; a kustomization that does not parse names none.
 */
export function kustomizationPatchFiles(file: string, text: string): string[] {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: false });
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null) return [];
  const k = doc as Record<string, unknown>;
  const names: string[] = [];
  const entries = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  for (const entry of entries(k['patchesStrategicMerge'])) {
    // An inline patch is YAML text (it has a newline or a colon); a path is a file name.
    if (typeof entry === 'string' && !/[\n:]/.test(entry)) names.push(entry);
  }
  for (const entry of [...entries(k['patches']), ...entries(k['patchesJson6902'])]) {
    const p = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)['path'] : undefined;
    if (typeof p === 'string') names.push(p);
  }
  const dir = path.dirname(file);
  return names.map((name) => path.normalize(path.join(dir, name)));
}
