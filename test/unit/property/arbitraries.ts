// Arbitraries the property tests share: hostile values of any type, and the run budget. Each property runs RUNS
// cases from a fixed seed, so a failure reproduces and the whole property suite stays within a few seconds of CPU.
import fc from 'fast-check';

/**
 * Cases per property: enough to reach every branch the arbitraries aim at, few enough for CI (< 20 s in all).
 * `PYTUNER_PROPERTY_RUNS=20000 vitest run --project unit test/unit/property` searches deeper from the same seeds.
 */
export const RUNS = Number(process.env['PYTUNER_PROPERTY_RUNS'] ?? 300);

/** Numbers a broken producer sends: NaN, infinities, negatives, fractions, huge, -0, and numbers as text. */
export const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, -0, 0.5, 1e308, -1e308, 2 ** 53, Number.MIN_VALUE),
  fc.double(),
  fc.integer(),
  fc.constantFrom('8', '0x10', '1e3', 'NaN', '-Inf', ' 4', ''),
);

/** Strings that break naive code: quotes, backslashes, newlines, NUL, template and shell syntax, prototype keys. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', '"', "'", '\\', '\n', '\r\n', '\u0000', '${HOME}', '$(id)', '`id`', '{{name}}', '"} or vector(1) #', '__proto__', 'constructor', '\u202e', '\ud800'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Any JSON-like value, including the hostile numbers and strings above and objects with prototype-polluting keys. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileNumber,
  hostileString,
  fc.constantFrom(null, undefined, true, false, [], {}, { __proto__: { polluted: true } }, JSON.parse('{"__proto__":{"polluted":true}}')),
  fc.anything({ maxDepth: 3, maxKeys: 4, withNullPrototype: true }),
);
