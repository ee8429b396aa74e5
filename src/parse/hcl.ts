/**
 * @module HCL (Terraform) syntax as plain data: blocks, attributes and literal values with their source ranges, as
 * `input/terraform.ts` reads them with tree-sitter's HCL grammar. Only literals are values; any other expression
 * (`var.x`, `local.y`, a function call, a string with `${...}`) stays an `expression` with its text: pytuner does
 * not evaluate Terraform, so such a value is unknown, never guessed.
 */

/** A span of the file's text: offsets in UTF-16 code units (JavaScript string indices), and the 1-based line it starts on. */
export interface HclRange {
  start: number;
  end: number;
  line: number;
}

export type HclValue =
  | { kind: 'string'; value: string; range: HclRange }
  | { kind: 'number'; value: number; range: HclRange }
  | { kind: 'bool'; value: boolean; range: HclRange }
  | { kind: 'null'; range: HclRange }
  | { kind: 'tuple'; items: HclValue[]; range: HclRange }
  | { kind: 'object'; entries: { key: string; value: HclValue }[]; range: HclRange }
  /** Not a literal: its text as written. */
  | { kind: 'expression'; text: string; range: HclRange };

export interface HclAttribute {
  type: 'attribute';
  name: string;
  value: HclValue;
  range: HclRange;
}

export interface HclBlock {
  type: 'block';
  /** `resource`, `template`, `containers`, `dynamic`, ... */
  name: string;
  /** `resource "google_cloud_run_v2_service" "api"` → `['google_cloud_run_v2_service', 'api']`. */
  labels: string[];
  body: HclItem[];
  range: HclRange;
  /** Offset just after the opening `{`. */
  open: number;
  /** Offset of the closing `}`. */
  close: number;
}

export type HclItem = HclAttribute | HclBlock;

/** One `.tf` file as read: its text (line ends as `\n`) and its top-level items. */
export interface HclFile {
  file: string;
  text: string;
  body: HclItem[];
}

/** The attribute `name` of a body, if written. */
export function attribute(body: readonly HclItem[], name: string): HclAttribute | undefined {
  return body.find((item): item is HclAttribute => item.type === 'attribute' && item.name === name);
}

/** The nested blocks `name` of a body, in file order. */
export function blocks(body: readonly HclItem[], name: string): HclBlock[] {
  return body.filter((item): item is HclBlock => item.type === 'block' && item.name === name);
}
