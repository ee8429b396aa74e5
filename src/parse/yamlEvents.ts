/**
 * @module The fast path of manifest parsing: js-yaml's event parser (offsets into the text, no nodes) → values and
 * field lines in one walk. Why: the `yaml` library's lexer, CST and composer cost about 20 times as much per manifest
 * (3.3 s against 0.17 s for 10,000 generated manifests, bench/report-scale.ts) and made most of the report's garbage.
 * `yaml` stays the authority: this path gives up, and `manifests.ts` parses the piece with `yaml`, on anything whose
 * meaning could differ between the two libraries or that needs `yaml`'s error messages: a syntax error js-yaml finds,
 * a tag, an anchor or alias, a merge key, a `%` directive, a key that is not a string, a duplicate key. Plain scalars
 * resolve through `yaml`'s own YAML 1.2 core schema, so `0o17`, `1e400` and `.NaN` load as they do there.
 */
import { EVENT_ID, SCALAR_STYLE, getScalarValue, parseEvents } from 'js-yaml';
import type { Event, ScalarEvent } from 'js-yaml';
import { LineCounter, Schema, isScalar } from 'yaml';
import type { ScalarTag } from 'yaml';
import { appendFieldPath } from './fieldPath.ts';

/** One document: its value, its 1-based line, and `path\tline` for every field below it, in document order. */
export interface LinedDocument {
  value: unknown;
  line: number;
  entries: string[];
}

/** The piece needs the `yaml` library: js-yaml failed, or it holds something whose meaning only `yaml` decides. */
class NeedsYaml extends Error {}

/** `yaml`'s core schema tags that resolve plain scalars, in the order its composer tries them. */
const PLAIN_TAGS: readonly ScalarTag[] = new Schema({ schema: 'core' }).tags.filter((tag): tag is ScalarTag => tag.default === true && 'test' in tag && tag.test !== undefined);
const RESOLVE_OPTIONS = { intAsBigInt: false };
const LONE_CR = /\r(?!\n)/;

/**
 * parseYamlEvents reads one piece of a stream (`firstLine`: the file line of its first line), or returns undefined
 * when `yaml` must parse it.
 */
export function parseYamlEvents(text: string, firstLine: number): LinedDocument[] | undefined {
  // A carriage return alone ends a line for js-yaml and is text for `yaml`.
  if (text.includes('\r') && LONE_CR.test(text)) return undefined;
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  const walk = new EventWalk(text, events, firstLine);
  try {
    return walk.documents();
  } catch (error) {
    if (error instanceof NeedsYaml) return undefined;
    throw error;
  }
}

class EventWalk {
  private next = 0;
  private entries: string[] = [];
  private readonly lines = new LineCounter();
  private readonly text: string;
  private readonly events: Event[];
  private readonly firstLine: number;

  constructor(text: string, events: Event[], firstLine: number) {
    this.text = text;
    this.events = events;
    this.firstLine = firstLine;
    this.lines.addNewLine(0);
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) this.lines.addNewLine(at + 1);
  }

  documents(): LinedDocument[] {
    const documents: LinedDocument[] = [];
    while (this.next < this.events.length) {
      const event = this.take();
      if (event.type !== EVENT_ID.DOCUMENT) throw new NeedsYaml();
      if (event.directives.length > 0) throw new NeedsYaml();
      if (this.peek().type === EVENT_ID.POP) {
        this.next++;
        continue;
      }
      this.entries = [];
      const line = this.nodeLine(this.peek());
      const value = this.node('');
      if (this.take().type !== EVENT_ID.POP) throw new NeedsYaml();
      documents.push({ value, line, entries: this.entries });
    }
    return documents;
  }

  private take(): Event {
    const event = this.events[this.next++];
    if (event === undefined) throw new NeedsYaml();
    return event;
  }

  private peek(): Event {
    const event = this.events[this.next];
    if (event === undefined) throw new NeedsYaml();
    return event;
  }

  /** The node starting at the next event, whose fields' paths extend `path`. */
  private node(path: string): unknown {
    const event = this.take();
    if (event.type === EVENT_ID.SCALAR) {
      if (event.anchorStart >= 0 || event.tagStart >= 0) throw new NeedsYaml();
      return this.scalar(event);
    }
    if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) {
      if (event.anchorStart >= 0 || event.tagStart >= 0) throw new NeedsYaml();
      return event.type === EVENT_ID.MAPPING ? this.mapping(path) : this.sequence(path);
    }
    throw new NeedsYaml();
  }

  private mapping(path: string): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    for (let key = this.take(); key.type !== EVENT_ID.POP; key = this.take()) {
      if (key.type !== EVENT_ID.SCALAR || key.anchorStart >= 0 || key.tagStart >= 0) throw new NeedsYaml();
      const name = this.scalar(key);
      // `<<` is a merge key to `yaml`; `__proto__` needs defining, not assigning; a repeated key is `yaml`'s error.
      if (typeof name !== 'string' || name === '<<' || name === '__proto__' || Object.hasOwn(object, name)) throw new NeedsYaml();
      const childPath = appendFieldPath(path, name);
      this.entries.push(`${childPath}\t${this.lineOf(key.valueStart)}`);
      object[name] = this.node(childPath);
    }
    return object;
  }

  private sequence(path: string): unknown[] {
    const items: unknown[] = [];
    while (this.peek().type !== EVENT_ID.POP) {
      const childPath = appendFieldPath(path, items.length);
      this.entries.push(`${childPath}\t${this.nodeLine(this.peek())}`);
      items.push(this.node(childPath));
    }
    this.next++;
    // The documents are held until the report is written: an exact-size copy, where an array grown by push from
    // empty keeps room for 16 or more items (a container's one-entry `env`, its `args`, a one-container list).
    return items.slice();
  }

  private scalar(event: ScalarEvent): unknown {
    const source = getScalarValue(this.text, event);
    if (event.style !== SCALAR_STYLE.PLAIN) return source;
    const tag = PLAIN_TAGS.find((candidate) => candidate.test?.test(source) === true);
    if (tag === undefined) return source;
    // Some tags resolve to a Scalar node (a boolean or float keeps its source form there): its value is what toJS gives.
    const resolved = tag.resolve(source, () => undefined, RESOLVE_OPTIONS);
    return isScalar(resolved) ? resolved.value : resolved;
  }

  /** A node's line as `yaml` gives it: where it starts; a block scalar (`|`, `>`) on its header, the line above its text. */
  private nodeLine(event: Event): number {
    if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) return this.lineOf(event.start);
    // An empty node (`-` alone) has no offset in js-yaml's events; `yaml` places it.
    if (event.type !== EVENT_ID.SCALAR || event.valueStart < 0) throw new NeedsYaml();
    if (event.style !== SCALAR_STYLE.LITERAL_BLOCK && event.style !== SCALAR_STYLE.FOLDED_BLOCK) return this.lineOf(event.valueStart);
    // A block scalar's text starts on the line after its header; an empty one at the end of the text is `yaml`'s to place.
    if (this.text[event.valueStart - 1] !== '\n') throw new NeedsYaml();
    return this.lineOf(event.valueStart) - 1;
  }

  /** The 1-based file line of an offset in the piece. */
  private lineOf(offset: number): number {
    return this.firstLine + this.lines.linePos(offset).line - 1;
  }
}
