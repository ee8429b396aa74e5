/**
 * @module Helpers shared by the extractors: the ObjectRef of a document and manifest Evidence with the line of
 * the field (from the document's line map), so every fact can point at `service.yaml:14`.
 */
import type { Evidence } from '../evidence.ts';
import type { ObjectRef } from '../workload.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import { formatFieldPath, lineAt } from '../../parse/fieldPath.ts';
import type { PathSegment } from '../../parse/fieldPath.ts';

/** The identifying fields every validated object has. */
export interface ObjectHeader {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string | undefined };
}

/** objectRef names an object and where its document starts. */
export function objectRef(doc: ParsedDocument, obj: ObjectHeader): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, file: doc.file, line: doc.line, docIndex: doc.docIndex };
  if (obj.metadata.namespace !== undefined) ref.namespace = obj.metadata.namespace;
  return ref;
}

/**
 * manifestEvidence points at a field of a document. For a field that is not written (an unset
 * `containerConcurrency`), the line is that of the nearest enclosing field, where it would be added.
 */
export function manifestEvidence(doc: ParsedDocument, path: readonly PathSegment[], text?: string): Evidence {
  const field = formatFieldPath(path);
  // A Terraform resource's evidence names its own attribute (`template.max_instance_request_concurrency`).
  const line = lineAt(doc.fieldLines, path, field) ?? doc.line;
  const evidence: Evidence = { source: 'manifest', file: doc.file, line, field: doc.terraform?.attributes.get(field) ?? field };
  if (text !== undefined) evidence.text = text;
  return evidence;
}

/** defaultEvidence records a platform default, saying which one. */
export function defaultEvidence(what: string): Evidence {
  return { source: 'default', field: what };
}
