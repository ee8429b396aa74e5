/**
 * @module When a status counts as changed: the comparison `sameStatus` (status.ts) makes before each status write,
 * and a digest of it that the cache keeps of each TuningRecommendation in place of its findings and recommended values
 * (shardCache.ts). Two statuses with equal digests are the same status, so a reconcile that reads the slim cached copy
 * can still tell that the status it computed is already stored and write nothing. No zod, no rules: this module is
 * loaded before the controller is ready (test/unit/startup-budget.test.ts).
 */
import { createHash } from 'node:crypto';

/** The status as compared: without `lastEvaluated` (which only says when), as JSON with sorted keys and no undefined. */
export function canonicalStatus(status: object | undefined): string {
  if (status === undefined) return canonical({});
  const { lastEvaluated: _at, ...rest } = status as { lastEvaluated?: string };
  return canonical(rest);
}

/** statusDigest is a SHA-256 (base64) of canonicalStatus: equal digests, equal statuses. */
export function statusDigest(status: object | undefined): string {
  return createHash('sha256').update(canonicalStatus(status)).digest('base64');
}

/** JSON with object keys sorted and undefined dropped, so key order and absent-vs-undefined do not count as changes. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)));
  });
}
