/**
 * @module The one duration grammar of pytuner: CLI flags (`--window 7d`), TuningPolicy fields (`window: 7d`,
 * `cooldown: 1h`) and controller flags all read durations with this, in milliseconds. Without zod: `pytuner
 * controller` parses its duration flags with this before anything else loads, and zod's 0.7 MB (17 ms of CPU to
 * load, compile cache warm) waits until the first reconcile (bench/startup.ts).
 */

/**
 * Go's `time.ParseDuration` syntax with Prometheus's day and week (`1h30m`, `90s`, `300ms`, `7d`, `2w`, `0`). The
 * CRDs validate policy fields with this pattern. CEL's `duration()` knows no `d` or `w`, so no CEL rule may call it
 * on these fields: compare them in code, with parseDuration.
 */
export const DURATION_PATTERN = /^(0|([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+)$/;

/** What DURATION_PATTERN means, for error messages. */
export const DURATION_EXAMPLES = 'a duration such as 300ms, 90s, 5m, 1h30m, 7d or 2w';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** parseDuration turns `1h30m` into 5_400_000 (milliseconds); `undefined` for anything DURATION_PATTERN rejects. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  if (text === '0') return 0;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return total;
}
