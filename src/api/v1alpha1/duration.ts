/**
 * @module Durations as pytuner's custom resources write them, without zod: `pytuner controller` parses its duration
 * flags with this before anything else loads, and zod's 0.7 MB (17 ms of CPU to load, compile cache warm) waits until
 * the first reconcile (bench/startup.ts). common.ts re-exports both names.
 */

/**
 * A Go `time.ParseDuration` string restricted to the units a policy needs (`ms`, `s`, `m`, `h`), e.g. `1h`, `90s`,
 * `1h30m`, `0s`. Kubernetes validates it with this pattern; CEL `duration()` accepts the same syntax.
 */
export const DURATION_PATTERN = /^(0|([0-9]+(\.[0-9]+)?(ms|s|m|h))+)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** parseDuration turns `1h30m` into 5_400_000 (milliseconds); `undefined` for anything DURATION_PATTERN rejects. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  if (text === '0') return 0;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return total;
}
