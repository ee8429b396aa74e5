/**
 * @module A workload as read from its manifest, before source files are joined to it.
 */
import type { Evidence } from '../evidence.ts';
import type { Workload } from '../workload.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import type { PathSegment } from '../../parse/fieldPath.ts';

/** Annotation naming the source directory (or file) of a workload, relative to the manifest's directory. */
export const SOURCE_ANNOTATION = 'pytuner.dev/source';

/** A workload with what joining needs: its document, its serving container and its source annotation. */
export interface WorkloadDraft {
  workload: Workload;
  doc: ParsedDocument;
  servingIndex: number;
  sourceAnnotation?: { path: string; evidence: Evidence };
  /** Where the containers sit in the object, for evidence; default `spec.template.spec.containers`. */
  containersPath?: readonly PathSegment[];
}
