/**
 * @module Objects read from the API server → the documents the extractors read. Such an object has no file and no
 * lines: its identity is the object itself (apiVersion, kind, namespace, name), so the document carries neither.
 */
import type { ParsedDocument } from './types.ts';

/**
 * The annotation `kubectl apply` keeps a JSON copy of the last applied object in: a second copy of the spec that no
 * rule reads, often larger than the rest of the object.
 */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * apiObjectDocument wraps one object of a list as a document without file or line. `managedFields`, the
 * last-applied annotation and `status` are dropped: the extractors never read them, and they are most of the bytes.
 */
export function apiObjectDocument(object: Record<string, unknown>, docIndex: number): ParsedDocument {
  const { status: _status, metadata, ...rest } = object;
  return { docIndex, object: { ...rest, metadata: withoutNoise(metadata) } };
}

function withoutNoise(metadata: unknown): unknown {
  if (typeof metadata !== 'object' || metadata === null) return metadata;
  const { managedFields: _managedFields, annotations, ...rest } = metadata as Record<string, unknown>;
  if (typeof annotations !== 'object' || annotations === null) return annotations === undefined ? rest : { ...rest, annotations };
  const { [LAST_APPLIED]: _lastApplied, ...kept } = annotations as Record<string, unknown>;
  return Object.keys(kept).length === 0 ? rest : { ...rest, annotations: kept };
}
