/**
 * @module One copy of what many cached objects repeat. `JSON.parse` gives every string value its own copy: each
 * cached TuningRecommendation carried its own "MetricsAvailable", "False", "RecommendOnly", timestamps and apiVersions,
 * each workload its own image, kind and namespace (about 2.4 KB of strings a workload in a heap snapshot at 2,000).
 * And a workload's managedFields hold field names only (no values), so workloads deployed by the same tool from the
 * same chart have equal tries. The cache keeps one copy of each:
 * - strings through a bounded pool (`StringPool`): a string not seen before is added, and the pool starts again empty
 *   once full, so unique strings (names, uids) cost at most one pool's worth and the repeated ones are back after a
 *   few objects;
 * - JSON values through `SharedValues`: equal values (by their JSON text) are one frozen object, held weakly, so a
 *   trie no cached object uses any more is collected with its entry.
 */

/** Strings longer than this are not pooled: a message or a JSON document is rarely repeated. */
const MAX_POOLED_LENGTH = 256;

/** StringPool keeps one copy of each short string it is given, up to `capacity` strings (then it starts again empty). */
export class StringPool {
  readonly #capacity: number;
  #strings = new Map<string, string>();

  constructor(capacity = 16_384) {
    this.#capacity = capacity;
  }

  /** The pool's copy of `text` (the first one given). */
  intern(text: string): string {
    if (text.length > MAX_POOLED_LENGTH) return text;
    const pooled = this.#strings.get(text);
    if (pooled !== undefined) return pooled;
    if (this.#strings.size >= this.#capacity) this.#strings = new Map();
    this.#strings.set(text, text);
    return text;
  }

  /**
   * `value` (a JSON value: plain objects, arrays, scalars) with every string in it replaced by the pool's copy, in
   * place: an equal string is no change anyone can see, and a copy would lose the shapes JSON.parse gave its objects
   * (a copy built key by key carries an extra property array from its fifth key on). Frozen objects and other
   * objects than plain ones and arrays (a Date a client library made) are left as they are.
   */
  internStrings<T>(value: T): T {
    if (typeof value === 'string') return this.intern(value) as T;
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.internStrings(value[i] as unknown);
      return value;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = this.internStrings(record[key]);
    return value;
  }
}

/**
 * SharedValues gives equal JSON values (plain objects and arrays) one frozen copy, while any holder uses it. Callers
 * must not change what they get (it is frozen: a write throws in strict code).
 */
export class SharedValues {
  readonly #byText = new Map<string, WeakRef<object>>();
  readonly #collected = new FinalizationRegistry<string>((text) => {
    if (this.#byText.get(text)?.deref() === undefined) this.#byText.delete(text);
  });

  /** The shared copy of `value` (`value` itself, frozen, when it is the first of its kind). */
  shared<T extends object>(value: T): T {
    const text = JSON.stringify(value);
    const found = this.#byText.get(text)?.deref();
    if (found !== undefined) return found as T;
    deepFreeze(value);
    this.#byText.set(text, new WeakRef(value));
    this.#collected.register(value, text);
    return value;
  }
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const item of Object.values(value)) deepFreeze(item);
}
