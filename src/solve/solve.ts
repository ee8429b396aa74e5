/**
 * @module The solver: the changes every rule and the recommender propose for one workload become one consistent
 * target state, or the proposals it cannot keep are dropped with the reason. Pure.
 *
 * What "consistent" means here:
 * - One value per setting and container. Measured proposals (confidence < 1) win over static ones for the settings
 *   measured load decides (containerConcurrency, workers, threads); otherwise the first proposal in report order
 *   wins. A dropped proposal keeps its finding (the diagnosis stands) but loses its fix, and says which one won.
 * - Several changes written as words of one env var (gunicorn reads `GUNICORN_CMD_ARGS` as extra command-line words:
 *   `--timeout 0` and `--preload`) become one write of that var, carried by the first finding; rendered apart, each
 *   would set the var to its own words only and undo the other.
 * - Platform concurrency agrees with the request slots the server will have after the same step: workers × threads
 *   after the writable changes, the rest as read. A change pytuner cannot write is not assumed. A static
 *   containerConcurrency proposal is re-aimed at those slots; a measured one is capped by them; where only the slots
 *   change, containerConcurrency follows them in the same fix.
 */
import type { AnyChange, Change } from '../model/change.ts';
import { isWritable, objectKey } from '../model/change.ts';
import type { Finding, Fix } from '../model/finding.ts';
import type { ContainerFacts, Inventory, Workload } from '../model/workload.ts';
import { changeTarget, containerConcurrencyLocation, propose } from '../rules/changes.ts';
import { MAX_CONTAINER_CONCURRENCY, platformConcurrency } from '../rules/facts.ts';
import { appendEnvWords, mergeFragments, setContainerConcurrency } from '../rules/fixes.ts';

/** The findings with their changes made consistent per workload; findings about no workload pass through unchanged. */
export function solveFindings(inventory: Inventory, findings: readonly Finding[]): Finding[] {
  const out = findings.map((f) => (f.changes === undefined ? f : { ...f, changes: [...f.changes] }));
  const byObject = new Map<string, Finding[]>();
  for (const finding of out) {
    for (const change of finding.changes ?? []) {
      const key = objectKey(change.target);
      const group = byObject.get(key) ?? [];
      if (!group.includes(finding)) group.push(finding);
      byObject.set(key, group);
    }
  }
  for (const workload of inventory.workloads) {
    const group = byObject.get(objectKey(changeTarget(workload)));
    if (group !== undefined) solveWorkload(workload, group);
  }
  return out;
}

type Proposed<S extends AnyChange['setting']> = { finding: Finding; change: Extract<AnyChange, { setting: S }> };

function proposals<S extends AnyChange['setting']>(findings: readonly Finding[], setting: S, container?: string): Proposed<S>[] {
  return findings.flatMap((finding) =>
    (finding.changes ?? [])
      .filter((c): c is Extract<AnyChange, { setting: S }> => c.setting === setting && (container === undefined || c.target.container === container))
      .map((change) => ({ finding, change })),
  );
}

/** Measured first, then report order; only writable proposals can win. */
function winnerOf<S extends AnyChange['setting']>(candidates: readonly Proposed<S>[]): Proposed<S> | undefined {
  const writable = candidates.filter((p) => isWritable(p.change));
  return writable.find((p) => p.change.confidence < 1) ?? writable[0];
}

function solveWorkload(workload: Workload, findings: Finding[]): void {
  for (const container of workload.containers) {
    combineArgWords(workload, container, findings);
    const workers = keepOne(proposals(findings, 'workers', container.name));
    const threads = keepOne(proposals(findings, 'threads', container.name));
    const slots = slotsAfter(container, workers?.change, threads?.change);
    if (slots === undefined || platformConcurrency(workload) === undefined) continue;
    alignConcurrency(workload, container, findings, slots, [workers, threads].filter((p) => p !== undefined));
  }
}

/** The env var gunicorn reads extra command-line words from, and the words of the settings written there. */
const ARGS_ENV = 'GUNICORN_CMD_ARGS';
function argWords(change: AnyChange): string | undefined {
  if (change.setting === 'workerTimeout') return `--timeout ${change.to}`;
  if (change.setting === 'preload') return change.to ? '--preload' : undefined;
  if (change.setting === 'threads') return `--threads ${change.to}`;
  return undefined;
}

/** One write of GUNICORN_CMD_ARGS for every change that appends words to it (see the module comment). */
function combineArgWords(workload: Workload, container: ContainerFacts, findings: Finding[]): void {
  const appending = findings.flatMap((finding) =>
    (finding.changes ?? [])
      .filter((c) => c.target.container === container.name && c.location.kind === 'env' && c.location.name === ARGS_ENV && finding.fix?.jsonPatch !== undefined)
      .map((change) => ({ finding, change, words: argWords(change) })),
  );
  const current = container.env.get(ARGS_ENV)?.value ?? '';
  // Only pure appends combine: a flag already in the value is replaced in place by its own finding's fix.
  if (appending.length < 2 || appending.some((a) => a.words === undefined || current.includes(a.words.split(' ')[0]!))) return;
  const combined = appendEnvWords(workload, container, ARGS_ENV, appending.map((a) => a.words).join(' '));
  if (combined === undefined) return;
  const [carrier, ...rest] = appending;
  const rules = rest.map((a) => a.finding.rule);
  carrier!.finding.fix = { ...carrier!.finding.fix, jsonPatch: combined.jsonPatch, notes: [...(carrier!.finding.fix?.notes ?? []), `${ARGS_ENV} also carries the words of ${rules.join(', ')}: one value for all of them`] };
  if (carrier!.finding.fix.applyFragment !== undefined && combined.applyFragment !== undefined) carrier!.finding.fix.applyFragment = combined.applyFragment;
  for (const other of rest) {
    if (other.finding === carrier!.finding) continue;
    const { jsonPatch: _ops, applyFragment: _fragment, ...kept } = other.finding.fix ?? {};
    other.finding.fix = { ...kept, notes: [...(kept.notes ?? []), `applied by the fix of ${carrier!.finding.rule}, which writes ${ARGS_ENV} once for both`] };
  }
}

/** The winner of one setting's proposals; the losers lose their fix and say why. */
function keepOne<S extends AnyChange['setting']>(candidates: readonly Proposed<S>[]): Proposed<S> | undefined {
  const winner = winnerOf(candidates);
  if (winner === undefined) return undefined;
  for (const loser of candidates) {
    if (loser === winner || !isWritable(loser.change) || loser.change.to === winner.change.to) continue;
    supersede(loser.finding, `${winner.change.rule} sets ${winner.change.setting} to ${String(winner.change.to)} instead`);
  }
  return winner;
}

/** Request slots once the winning workers/threads changes are made; `undefined` when the server has no fixed slots. */
function slotsAfter(container: ContainerFacts, workers: Change<'workers'> | undefined, threads: Change<'threads'> | undefined): number | undefined {
  const server = container.server;
  if (server === undefined || server.model === 'async') return undefined;
  const w = workers?.to ?? server.workers.value;
  const t = server.model === 'sync' ? 1 : (threads?.to ?? server.threads.value);
  return w === undefined || t === undefined ? undefined : w * t;
}

function alignConcurrency(workload: Workload, container: ContainerFacts, findings: Finding[], slots: number, shape: readonly (Proposed<'workers'> | Proposed<'threads'>)[]): void {
  const target = Math.min(slots, MAX_CONTAINER_CONCURRENCY);
  const candidates = proposals(findings, 'containerConcurrency');
  const winner = keepOne(candidates.filter((p) => p.change.confidence < 1).length > 0 ? candidates.filter((p) => p.change.confidence < 1) : candidates);
  for (const other of candidates) if (other !== winner && isWritable(other.change) && winner !== undefined) supersede(other.finding, `${winner.change.rule} sets containerConcurrency instead`);
  const why = shape.length === 0 ? '' : shape.map((p) => `${p.change.setting} ${String(p.change.from ?? '?')} → ${p.change.to} (${p.change.rule})`).join(', ');
  if (winner !== undefined) {
    const measured = winner.change.confidence < 1;
    const value = measured ? Math.min(winner.change.to, target) : target;
    if (value !== winner.change.to) {
      const reason = measured
        ? `capped at the ${slots} request slots ${container.server?.kind ?? 'the server'} has after this change${why === '' ? '' : ` (${why})`}: more would wait in its backlog`
        : `${slots} request slots after ${why}`;
      retarget(workload, winner, value, reason);
    }
    return;
  }
  // Only the slots change: containerConcurrency follows them in the fix that changes the slots.
  const current = platformConcurrency(workload)!.value;
  const carrier = shape.find((p) => p.finding.fix !== undefined);
  if (current === target || carrier === undefined) return;
  const follow = propose('containerConcurrency', current, target, { target: changeTarget(workload), rule: carrier.change.rule, confidence: carrier.change.confidence, location: containerConcurrencyLocation(workload) });
  carrier.finding.changes = [...(carrier.finding.changes ?? []), follow];
  carrier.finding.fix = withObjectChange(carrier.finding.fix!, workload, target, `containerConcurrency follows to ${target}: the ${slots} request slots after ${why}`);
}

/** Points a containerConcurrency proposal at `value`: its change, recommended value, message and fix. */
function retarget(workload: Workload, proposed: Proposed<'containerConcurrency'>, value: number, reason: string): void {
  const { finding, change } = proposed;
  const before = change.to;
  const index = finding.changes!.indexOf(change);
  finding.changes![index] = { ...change, to: value };
  finding.recommended = { ...finding.recommended, containerConcurrency: value };
  finding.message = finding.message.replace(`set containerConcurrency to ${before}`, `set containerConcurrency to ${value}`);
  const notes = [...(finding.fix?.notes ?? []), `containerConcurrency ${value}, not ${before}: ${reason}`];
  const rendered = setContainerConcurrency(workload, value);
  const fix: Fix = { ...finding.fix, jsonPatch: rendered.jsonPatch, notes };
  if (rendered.applyFragment !== undefined) fix.applyFragment = rendered.applyFragment;
  finding.fix = fix;
}

/** A fix with containerConcurrency → `value` added to its object changes. */
function withObjectChange(fix: Fix, workload: Workload, value: number, note: string): Fix {
  const rendered = setContainerConcurrency(workload, value);
  const out: Fix = { ...fix, jsonPatch: [...(fix.jsonPatch ?? []), ...rendered.jsonPatch], notes: [...(fix.notes ?? []), note] };
  // A fragment is only complete when every object change has one (Knative container fields have none).
  const onlyObjectOps = (fix.jsonPatch ?? []).length === 0 && (fix.edits ?? []).length > 0;
  if (fix.applyFragment !== undefined && rendered.applyFragment !== undefined) out.applyFragment = mergeFragments(fix.applyFragment, rendered.applyFragment);
  else if (onlyObjectOps && rendered.applyFragment !== undefined) out.applyFragment = rendered.applyFragment;
  return out;
}

/** A finding whose proposal lost to another: it keeps its diagnosis and says which fix to apply instead. */
function supersede(finding: Finding, why: string): void {
  const notes = [...(finding.fix?.notes ?? []), `no fix of its own: ${why}`];
  finding.fix = { notes };
  finding.changes = (finding.changes ?? []).map((c) => ({ ...c, location: { kind: 'unwritable', why } }) as AnyChange);
}

