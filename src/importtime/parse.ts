/**
 * @module Parses what CPython writes to stderr under `-X importtime` / `PYTHONPROFILEIMPORTTIME=1` (3.7+) into a
 * tree of imports. CPython (Python/import.c, `import_find_and_load`) prints one header, then one line per module
 * *after* its import finished (so children come before their parent, post-order):
 *
 *     import time: self [us] | cumulative | imported package
 *     import time:       111 |        111 |   _io
 *     import time:       249 |        660 | _frozen_importlib_external
 *
 * with `"import time: %9ld | %10ld | %*s%s\n"`: self and cumulative microseconds (each rounded up), then the module
 * name indented by two spaces per nesting level. A failed import prints its line too (e.g. `nt` on Linux). Python
 * 3.14's `-X importtime=2` adds `cached | cached` lines for modules found in sys.modules; they take no time and are
 * skipped. Every other stderr line is the command's own output.
 */

/** One `import time:` line: a module whose import finished (or failed) after `cumulativeUs`. */
export interface ImportTimeLine {
  /** Microseconds spent in this module's own code: cumulative minus its children's cumulative, rounded up. */
  selfUs: number;
  /** Microseconds from the start to the end of this import, children included, rounded up. */
  cumulativeUs: number;
  /** Nesting level: 0 for an import made by the command itself, 1 for one made while importing a level-0 module, … */
  depth: number;
  /** The absolute module name, as imported (`werkzeug.test`). */
  name: string;
}

/** What one stderr line of a Python process is. */
export type StderrLine =
  | { kind: 'header' }
  | { kind: 'import'; line: ImportTimeLine }
  | { kind: 'cached'; name: string }
  | { kind: 'other'; text: string };

/** A module's import and the imports made while it ran, in the order they finished. */
export interface ImportNode {
  name: string;
  selfUs: number;
  cumulativeUs: number;
  children: ImportNode[];
}

/** The imports of one run, as a forest: each root is an import made by the command itself (`site`, `main`, …). */
export interface ImportTree {
  roots: ImportNode[];
  /** Number of `import time:` lines (every module import, including failed ones and repeats). */
  imports: number;
  /** Sum of every line's self time, µs: the run's total import time as Python reports it. */
  totalSelfUs: number;
  /** Header lines seen: 1 per Python interpreter that imported something (more when the command started others). */
  interpreters: number;
  /**
   * Imports whose parent never printed its line: the process stopped (killed, `os._exit`) while that parent was
   * still importing. They are appended to `roots`.
   */
  orphans: number;
}

const HEADER = /^import time: self \[us\] \| cumulative \| imported package$/;
const IMPORT_LINE = /^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$/;
const CACHED_LINE = /^import time:\s+cached \|\s+cached \| ( *)(\S+)$/;
/** CPython indents the module name by `import_level*2` spaces. */
const INDENT_PER_LEVEL = 2;

/** Classifies one stderr line (without its line break). */
export function classifyStderrLine(text: string): StderrLine {
  if (HEADER.test(text)) return { kind: 'header' };
  const imported = IMPORT_LINE.exec(text);
  if (imported !== null) {
    const [, self, cumulative, indent, name] = imported as unknown as [string, string, string, string, string];
    return {
      kind: 'import',
      line: { selfUs: Number(self), cumulativeUs: Number(cumulative), depth: Math.floor(indent.length / INDENT_PER_LEVEL), name },
    };
  }
  const cached = CACHED_LINE.exec(text);
  if (cached !== null) return { kind: 'cached', name: cached[2] as string };
  return { kind: 'other', text };
}

/**
 * Collects stderr lines into an import tree, one line at a time, so the CLI can pass the command's other output
 * through as it comes. A module's children are the lines one level deeper printed since the previous line at its
 * level or above.
 */
export class ImportTreeBuilder {
  /** Finished nodes waiting for their parent, by depth. */
  readonly #pending: ImportNode[][] = [];
  #imports = 0;
  #totalSelfUs = 0;
  #interpreters = 0;

  /** Adds one classified line; returns the command's own text for an `other` line, else undefined. */
  add(line: StderrLine): string | undefined {
    switch (line.kind) {
      case 'header':
        this.#interpreters += 1;
        return undefined;
      case 'import':
        this.#addImport(line.line);
        return undefined;
      case 'cached':
        return undefined;
      case 'other':
        return line.text;
    }
  }

  #addImport(line: ImportTimeLine): void {
    // Deeper levels than depth+1 are empty in well-formed output; if threads interleaved their imports, keep
    // whatever waits there under this node rather than drop it.
    const children = this.#pending.slice(line.depth + 1).flat();
    this.#pending.length = line.depth + 1;
    for (let level = 0; level <= line.depth; level++) this.#pending[level] ??= [];
    (this.#pending[line.depth] as ImportNode[]).push({ name: line.name, selfUs: line.selfUs, cumulativeUs: line.cumulativeUs, children });
    this.#imports += 1;
    this.#totalSelfUs += line.selfUs;
  }

  /** The tree so far. */
  tree(): ImportTree {
    const roots = this.#pending[0] ?? [];
    const orphans = this.#pending.slice(1).flat();
    return {
      roots: [...roots, ...orphans],
      imports: this.#imports,
      totalSelfUs: this.#totalSelfUs,
      interpreters: this.#interpreters,
      orphans: countNodes(orphans),
    };
  }
}

/** Parses a whole stderr capture: the import tree and the command's other lines, in order. */
export function parseImportTime(stderr: string): { tree: ImportTree; otherLines: string[] } {
  const builder = new ImportTreeBuilder();
  const otherLines: string[] = [];
  const lines = stderr.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const text of lines) {
    const other = builder.add(classifyStderrLine(text));
    if (other !== undefined) otherLines.push(other);
  }
  return { tree: builder.tree(), otherLines };
}

/** A node of the forest with the names from its root down to it (`['main', 'flask', 'werkzeug', 'werkzeug.test']`). */
export interface VisitedImport {
  node: ImportNode;
  /** Root first, the node's own name last. */
  chain: string[];
}

/** Every node of the forest, parents before children, each with its chain of importers. */
export function* walkImports(roots: readonly ImportNode[], chain: readonly string[] = []): Generator<VisitedImport> {
  for (const node of roots) {
    const nodeChain = [...chain, node.name];
    yield { node, chain: nodeChain };
    yield* walkImports(node.children, nodeChain);
  }
}

function countNodes(nodes: readonly ImportNode[]): number {
  let count = 0;
  for (const _ of walkImports(nodes)) count += 1;
  return count;
}
