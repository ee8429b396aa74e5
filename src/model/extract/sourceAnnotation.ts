/**
 * @module The `pytuner.dev/source` annotation: where a workload's Dockerfile / Procfile / gunicorn.conf.py live.
 */
import { posix } from 'node:path';
import type { Evidence } from '../evidence.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import { SOURCE_ANNOTATION } from './draft.ts';
import type { WorkloadDraft } from './draft.ts';
import { manifestEvidence } from './context.ts';

/**
 * sourceAnnotation reads the annotation from the template's annotations, then the object's, and resolves it
 * against the manifest's directory (stdin manifests and objects read from the API server resolve against the working
 * directory).
 */
export function sourceAnnotation(doc: ParsedDocument, objectAnnotations?: Record<string, string>, templateAnnotations?: Record<string, string>): { path: string; evidence: Evidence } | undefined {
  const template = templateAnnotations?.[SOURCE_ANNOTATION];
  const value = template ?? objectAnnotations?.[SOURCE_ANNOTATION];
  if (value === undefined) return undefined;
  const field = template !== undefined ? ['spec', 'template', 'metadata', 'annotations', SOURCE_ANNOTATION] : ['metadata', 'annotations', SOURCE_ANNOTATION];
  return { path: resolveAgainstManifest(doc.file, value), evidence: manifestEvidence(doc, field, value) };
}

/** withSourceAnnotation records the workload's `pytuner.dev/source` annotation on its draft, if it has one. */
export function withSourceAnnotation(draft: WorkloadDraft, doc: ParsedDocument, objectAnnotations?: Record<string, string>, templateAnnotations?: Record<string, string>): WorkloadDraft {
  const found = sourceAnnotation(doc, objectAnnotations, templateAnnotations);
  if (found !== undefined) draft.sourceAnnotation = found;
  return draft;
}

/** resolveAgainstManifest joins a relative path to the manifest's directory, posix-normalised. */
export function resolveAgainstManifest(manifest: string | undefined, value: string): string {
  if (posix.isAbsolute(value) || manifest === undefined || manifest === '-') return normalizePath(value);
  return normalizePath(posix.join(posix.dirname(manifest), value));
}

/** normalizePath makes two spellings of one relative path equal: `./api/` and `api` both become `api`. */
export function normalizePath(p: string): string {
  const normal = posix.normalize(p);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** annotatedSourcePaths lists the resolved `pytuner.dev/source` paths of raw documents, for the CLI to load before analysing. */
export function annotatedSourcePaths(documents: readonly ParsedDocument[]): string[] {
  const paths = new Set<string>();
  for (const doc of documents) {
    const obj = asRecord(doc.object);
    const annotations = asStringRecord(asRecord(obj?.['metadata'])?.['annotations']);
    const template = asStringRecord(asRecord(asRecord(asRecord(obj?.['spec'])?.['template'])?.['metadata'])?.['annotations']);
    const found = sourceAnnotation(doc, annotations, template);
    if (found !== undefined) paths.add(found.path);
  }
  return [...paths];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function asStringRecord(value: unknown): Record<string, string> | undefined {
  const record = asRecord(value);
  if (record === undefined) return undefined;
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
