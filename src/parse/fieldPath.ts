/**
 * @module Dotted field paths (`spec.template.spec.containers[0].args`), the form every manifest
 * Evidence and InputError uses, so a reader can find the field and a line map can be keyed by it.
 */
import type { FieldLines } from './types.ts';

/** One step into a parsed document: a mapping key or a sequence index. */
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * formatFieldPath writes segments as a dotted path. Keys that are not plain identifiers (annotation
 * names such as `run.googleapis.com/cpu-throttling`) are bracketed and quoted, so the path stays unambiguous.
 */
export function formatFieldPath(segments: readonly PropertyKey[]): string {
  // Pieces joined once: the report keeps this text in every Evidence, and appending segment by segment left V8 a
  // rope of a dozen pieces per path (about 3 times the bytes of the text, and as many objects for the GC to copy).
  const pieces: string[] = [];
  for (const segment of segments) pieces.push(segmentText(segment, pieces.length === 0));
  return pieces.join('');
}

/** appendFieldPath is `formatFieldPath([...segments, segment])` given the path of `segments`: a walk extends its parent's path. */
export function appendFieldPath(path: string, segment: PropertyKey): string {
  return path + segmentText(segment, path === '');
}

/** How one segment is written after the path before it (`first`: there is none). */
function segmentText(segment: PropertyKey, first: boolean): string {
  if (typeof segment === 'number') return `[${segment}]`;
  if (typeof segment === 'string' && PLAIN_KEY.test(segment)) return first ? segment : `.${segment}`;
  return `[${JSON.stringify(String(segment))}]`;
}

/**
 * lineAt finds the line of a field, or of its nearest enclosing field that has one. `formatted`: the field's path as
 * `formatFieldPath(segments)` writes it, when the caller has it: the field itself is looked up by it first, and only
 * on a miss are the enclosing paths written (most fields asked about are written).
 */
export function lineAt(fieldLines: FieldLines | undefined, segments: readonly PropertyKey[], formatted?: string): number | undefined {
  if (fieldLines === undefined) return undefined;
  if (formatted !== undefined) {
    const own = fieldLine(fieldLines, formatted);
    if (own !== undefined) return own;
  }
  // Each enclosing path extends the one before it: written once each, not the whole prefix again per step.
  const paths: string[] = [];
  let path = '';
  const enclosing = formatted === undefined ? segments.length : segments.length - 1;
  for (let i = 0; i < enclosing; i++) paths.push((path = appendFieldPath(path, segments[i] as PropertyKey)));
  for (let n = paths.length - 1; n >= 0; n--) {
    const line = fieldLine(fieldLines, paths[n] as string);
    if (line !== undefined) return line;
  }
  return undefined;
}

/** fieldLine is the line of the field at `path` exactly; for packed lines the last entry of a path wins, as in a Map. */
export function fieldLine(fieldLines: FieldLines, path: string): number | undefined {
  if (!('packed' in fieldLines)) return fieldLines.get(path);
  const { packed } = fieldLines;
  const key = `\n${path}\t`;
  const at = packed.lastIndexOf(key);
  if (at < 0) return undefined;
  const start = at + key.length;
  return Number(packed.slice(start, packed.indexOf('\n', start)));
}
