/**
 * @module The solver: the changes every rule and the recommender propose for one workload become one consistent
 * target state, or the proposals it cannot keep are dropped with the reason. Pure.
 *
 * What "consistent" means here:
 * - One value per setting and container. Measured proposals (confidence < 1) win over static ones for the settings
 *   measured load decides (containerConcurrency, workers, threads); otherwise the first proposal in report order
 *   wins. A dropped proposal keeps its finding (the diagnosis stands) but loses its fix, and says which one won.
 * - Edits of one string (an args element, a Dockerfile line) in different places become one edit (./strings.ts).
 * - Env changes of one container become one write where apart they would undo each other: several entries added to a
 *   container with no `env` list, and several words of `GUNICORN_CMD_ARGS` (gunicorn reads it as extra command-line
 *   words: `--timeout 0`, `--preload`), appended after a flag one change rewrites inside it (`--timeout 30` → `0`).
 *   Flags several changes rewrite inside one var (`--workers`, `--timeout`) are written in one value too.
 * - Platform concurrency agrees with the request slots the server will have after the same step: workers × threads
 *   after the writable changes, the rest as read. A change pytuner cannot write is not assumed. A static
 *   containerConcurrency proposal is re-aimed at those slots; a measured one is capped by them; where only the slots
 *   change, containerConcurrency follows them in the same fix.
 */
import type { AnyChange, Change, TextSpan } from '../model/change.ts';
import { applySpans, applyUnorderedSpans, isWritable, objectKey } from '../model/change.ts';
import type { EnvVarNote, Finding, Fix, JsonPatchOp } from '../model/finding.ts';
import { adviceMessage } from '../model/finding.ts';
import type { ContainerFacts, Inventory, Workload } from '../model/workload.ts';
import { changeTarget, containerConcurrencyLocation, propose } from '../rules/changes.ts';
import { MAX_CONTAINER_CONCURRENCY, platformConcurrency } from '../rules/facts.ts';
import { appendEnvWords, mergeFragments, setContainerConcurrency, setEnv } from '../rules/fixes.ts';
import { combineArgsEdits, combineLineEdits } from './strings.ts';
import { deployCommandEdits, serviceCommandFor, withDeployFlag } from '../rules/deployCommandEdits.ts';
import type { RunDeployCommand } from '../parse/gcloudRunDeploy.ts';
import { HEAVY_INIT, heavyInitAfter } from '../rules/startup.heavy-init.ts';
import { ignoredRules } from '../rules/index.ts';

/**
 * The findings with their changes made consistent per workload; findings about no workload pass through unchanged.
 * `enabled` says which rules ran (a policy's or the CLI's selection): a finding a winning change makes true is added
 * only for a rule that ran, and not on a workload that ignores it (`pytuner.dev/ignore`).
 */
export function solveFindings(inventory: Inventory, findings: readonly Finding[], enabled: (ruleId: string) => boolean): Finding[] {
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
    if (group !== undefined) out.push(...solveWorkload(workload, group, (id) => enabled(id) && !ignoredRules(workload).has(id)));
  }
  // A Dockerfile line is shared by every workload built from it, a gcloud run deploy command line gets one flag per
  // finding: the edits of a line are combined across findings and workloads.
  combineLineEdits(out);
  return out;
}

type Proposed<S extends AnyChange['setting']> = { finding: Finding; change: Extract<AnyChange, { setting: S }> };

function proposals<S extends AnyChange['setting']>(findings: readonly Finding[], setting: S, container?: string): Proposed<S>[] {
  // One loop, no array per finding: the solver asks this several times per container of every workload.
  const found: Proposed<S>[] = [];
  for (const finding of findings) {
    for (const change of finding.changes ?? []) {
      if (change.setting === setting && (container === undefined || change.target.container === container)) found.push({ finding, change: change as Extract<AnyChange, { setting: S }> });
    }
  }
  return found;
}

/** Measured first, then report order; only writable proposals can win. */
function winnerOf<S extends AnyChange['setting']>(candidates: readonly Proposed<S>[]): Proposed<S> | undefined {
  const writable = candidates.filter((p) => isWritable(p.change));
  return writable.find((p) => p.change.confidence < 1) ?? writable[0];
}

/** Solves one workload's findings in place; returns the findings the winning changes make true (see `followers`). */
function solveWorkload(workload: Workload, findings: Finding[], enabled: (ruleId: string) => boolean): Finding[] {
  const added: Finding[] = [];
  for (const container of workload.containers) {
    // The winners first: a superseded proposal's write is not combined with others.
    const workers = keepOne(proposals(findings, 'workers', container.name));
    const threads = keepOne(proposals(findings, 'threads', container.name));
    const follow = followers(workload, container, findings, workers).filter((f) => enabled(f.rule));
    findings.push(...follow);
    added.push(...follow);
    combineEnvWrites(workload, container, findings);
    if (workload.deployedBy !== undefined) combineDeployEnvWords(workload.deployedBy, workload.updatedBy ?? [], container, findings);
    combineArgsEdits(workload, container, findings);
    const slots = slotsAfter(container, workers?.change, threads?.change);
    if (slots === undefined) continue;
    alignConcurrency(workload, container, findings, slots, [workers, threads].filter((p) => p !== undefined));
  }
  return added;
}

/**
 * Findings a rule would report on the next run because of a winning change, reported now with their fix so that one
 * step reaches the state a second run accepts: raising gunicorn's workers from one makes startup.heavy-init true.
 */
function followers(workload: Workload, container: ContainerFacts, findings: readonly Finding[], workers: Proposed<'workers'> | undefined): Finding[] {
  if (workers === undefined || workers.finding.fix === undefined) return [];
  const already = findings.some((f) => f.rule === HEAVY_INIT && f.target.container === container.name);
  const finding = already ? undefined : heavyInitAfter(workload, container, workers.change);
  return finding === undefined ? [] : [finding];
}

/**
 * An env change with the words it appends to an env var of options (`--threads 4` to `GUNICORN_CMD_ARGS`), or the
 * characters of its value as read that it rewrites (`4` of `--workers 4`), if any.
 */
interface EnvWrite {
  finding: Finding;
  change: AnyChange;
  name: string;
  words: string | undefined;
  span: TextSpan | undefined;
}

/**
 * One write per container for the env changes that would otherwise overwrite each other: on a container without an
 * `env` list each change's patch adds the whole list with its own entry, and several changes appending words to one
 * env var of options each set the var to their own words. The first finding carries the combined write; the others
 * say they are applied by it.
 */
function combineEnvWrites(workload: Workload, container: ContainerFacts, findings: Finding[]): void {
  const envChanges = envWrites(findings, container, (finding) => (finding.fix?.jsonPatch?.length ?? 0) > 0);
  // One env write or none: nothing to combine (what follows would find fewer than two findings involved).
  if (envChanges.length < 2) return;
  const appends = envChanges.filter((e) => e.words !== undefined);
  const inside = envChanges.filter((e) => e.span !== undefined);
  const optionsVar = appends[0]?.name ?? inside[0]?.name;
  if ([...appends, ...inside].some((e) => e.name !== optionsVar)) return;
  const base = optionsBase(envChanges, container, optionsVar);
  if (base === undefined) return;
  const { rewrites, rewritten, current } = base;
  const noEnvList = ![...container.env.values()].some((e) => e.index !== undefined);
  const values = new Map(envChanges.filter((e) => e.words === undefined).map((e) => [e.name, String(e.change.to)] as const));
  // Two findings that append the same words (`--preload` for startup.heavy-init and startup.probe-missing) append them once.
  const words = [...new Set(appends.map((e) => e.words))];
  const appended = words.join(' ');
  // Flags rewritten in different places of the var (`--workers`, `--timeout`) are writes of their own.
  const distinctWrites = values.size + words.length + Math.max(0, distinctSpans(rewrites) - 1);
  if (optionsVar !== undefined) values.set(optionsVar, [current, appended].filter((x) => x !== '').join(' '));
  const involved = [...new Set((noEnvList ? envChanges : [...rewrites, ...appends]).map((e) => e.finding))];
  // Findings that all write the same have nothing to combine: their ops are equal, and applied once.
  if (involved.length < 2 || distinctWrites < 2) return;
  const [carrier, ...rest] = involved;
  let ops: JsonPatchOp[];
  if (noEnvList) {
    ops = [{ op: 'add', path: `${workload.podSpecPointer}/containers/${container.index}/env`, value: [...values].map(([name, value]) => ({ name, value })) }];
  } else {
    const combined = rewritten === undefined ? appendEnvWords(workload, container, optionsVar!, appended) : setEnv(workload, container, optionsVar!, values.get(optionsVar!)!);
    if (combined === undefined) return;
    ops = combined.jsonPatch;
  }
  carryEnvWrite(carrier!, rest, involved, ops);
}

/**
 * The env changes of `container` in the findings `keep` chooses. One loop, no array per finding and change: this runs
 * for every container of every workload with findings.
 */
function envWrites(findings: readonly Finding[], container: ContainerFacts, keep: (finding: Finding) => boolean): EnvWrite[] {
  const writes: EnvWrite[] = [];
  for (const finding of findings) {
    if (!keep(finding)) continue;
    for (const change of finding.changes ?? []) {
      const at = change.location;
      if (at.kind === 'env' && change.target.container === container.name) writes.push({ finding, change, name: at.name, words: at.words, span: at.span });
    }
  }
  return writes;
}

/**
 * The value the appended words of an env var of options follow: the one the changes rewriting flags inside it write
 * (`--workers 4 --timeout 30` → `--workers 1 --timeout 0`, each change's span of the value as read), else the value as
 * read. `undefined` when two changes rewrite one flag (overlapping spans), or when one of several sets the whole value.
 */
function optionsBase(envChanges: readonly EnvWrite[], container: ContainerFacts, optionsVar: string | undefined): { rewrites: EnvWrite[]; rewritten: string | undefined; current: string } | undefined {
  if (optionsVar === undefined) return { rewrites: [], rewritten: undefined, current: '' };
  const rewrites = envChanges.filter((e) => e.name === optionsVar && e.words === undefined);
  const rewritten = rewrittenValue(rewrites, container.env.get(optionsVar)?.value, (only) => envValueWritten(only.finding, container, optionsVar));
  if (rewrites.length > 0 && rewritten === undefined) return undefined;
  return { rewrites, rewritten, current: rewritten ?? container.env.get(optionsVar)?.value ?? '' };
}

/**
 * The value of an env var of options once every change rewriting a flag inside it is made: their spans applied to the
 * value as read; for a single change without a span, what `written` says it writes. `undefined` when there is none,
 * spans overlap, or several changes include one that sets the whole value.
 */
function rewrittenValue(rewrites: readonly EnvWrite[], asRead: string | undefined, written: (only: EnvWrite) => string | undefined): string | undefined {
  if (rewrites.length === 0) return undefined;
  const spans = rewrites.flatMap((e) => (e.span === undefined ? [] : [e.span]));
  if (asRead !== undefined && spans.length === rewrites.length) return applySpans(asRead, spans);
  return rewrites.length === 1 ? written(rewrites[0]!) : undefined;
}

/** How many different rewrites of a value the writes' spans make (one change proposed by two findings is one). */
function distinctSpans(writes: readonly EnvWrite[]): number {
  return new Set(writes.flatMap((w) => (w.span === undefined ? [] : [`${w.span.start}:${w.span.end}:${w.span.text}`]))).size;
}

/** `carrier`'s fix writes `ops` for the env of every finding `involved`; the `rest` hand their env write over to it. */
function carryEnvWrite(carrier: Finding, rest: readonly Finding[], involved: readonly Finding[], ops: JsonPatchOp[]): void {
  const fragments = involved.map((f) => f.fix?.applyFragment);
  const fix: Fix = { ...carrier.fix, jsonPatch: [...(carrier.fix?.jsonPatch ?? []).filter((op) => !op.path.includes('/env')), ...ops] };
  fix.notes = [...(carrier.fix?.notes ?? []), `one write of the env for ${involved.map((f) => f.rule).join(', ')}: apart, each would replace the others' entries`];
  if (fragments.every((f) => f !== undefined)) fix.applyFragment = fragments.reduce((a, b) => mergeFragments(a, b));
  else delete fix.applyFragment;
  fix.alsoFixes = [...(carrier.fix?.alsoFixes ?? []), ...rest];
  carrier.fix = fix;
  for (const other of rest) handOverEnv(other, carrier.rule);
}

/**
 * On a service a `gcloud run deploy` command deploys, the findings that change one env var of options each edit the
 * command's env flag with only their change: words appended (`--timeout 0`, `--preload` to `GUNICORN_CMD_ARGS`), a flag
 * rewritten inside it (`--workers 4` → `1`). The first carries one flag with all of them; the others hand theirs over.
 * Only edits whose env flags all set that var are combined (another var in the same flag, or a change that sets the
 * whole value, keeps the one-at-a-time notes).
 */
function combineDeployEnvWords(created: RunDeployCommand, updates: readonly RunDeployCommand[], container: ContainerFacts, findings: Finding[]): void {
  // The changes inside an env var of options: words appended, or a flag rewritten at its span.
  const writes = envWrites(findings, container, () => true).filter((w) => w.words !== undefined || w.span !== undefined);
  const name = writes[0]?.name;
  const involved = [...new Set(writes.map((a) => a.finding))];
  if (name === undefined || involved.length < 2 || writes.some((a) => a.name !== name)) return;
  // The command the var is written in (`serviceCommandFor`), as each finding's own fix wrote it.
  const deploy = serviceCommandFor(created, updates, { name: '--update-env-vars', value: `${name}=` });
  const envFlags = (f: Finding) => (f.fix?.edits ?? []).filter((e) => e.file === deploy.file).flatMap((e) => (e.flags ?? []).filter((flag) => flag.envVar !== undefined));
  const value = optionsValue(writes, container.env.get(name)?.value);
  if (value === undefined) return;
  if (involved.every((f) => envFlags(f).length === 0 && (f.fix?.envVarNotes ?? []).some((n) => n.envVar === name))) {
    combineDeployEnvNotes(deploy, name, value, involved);
    return;
  }
  if (involved.some((f) => envFlags(f).length === 0 || envFlags(f).some((flag) => flag.envVar !== name))) return;
  if (findings.some((f) => !involved.includes(f) && envFlags(f).some((flag) => flag.envVar === name))) return;
  const [carrier, ...rest] = involved as [Finding, ...Finding[]];
  const placed = withDeployFlag(carrier.fix?.edits ?? [], deploy, { name: '--update-env-vars', value: `${name}=${value}` });
  carrier.fix = { ...carrier.fix, edits: placed.edits, alsoFixes: [...(carrier.fix?.alsoFixes ?? []), ...rest], notes: [...(carrier.fix?.notes ?? []), ...placed.notes, `one ${name} value in the deploy for ${involved.map((f) => f.rule).join(', ')}: apart, each would set it to its own words`] };
  if (placed.envVarNotes.length > 0) carrier.fix.envVarNotes = [...(carrier.fix.envVarNotes ?? []), ...placed.envVarNotes];
  for (const other of rest) handOverEnvFlags(other, deploy, `its ${name} words are written by the fix of ${carrier.rule}, in one value with the others'`);
}

/**
 * Where no edit of the command can write the env var (a deploy-cloudrun step without `flags:` or `env_vars:`, an
 * `--env-vars-file`), each finding's note would say its own value, and following the notes one after the other
 * would keep only the last. The first finding's note says one value with every finding's words; the others point to it.
 */
function combineDeployEnvNotes(deploy: RunDeployCommand, name: string, value: string, involved: readonly Finding[]): void {
  const combined = deployCommandEdits(deploy, [{ name: '--update-env-vars', value: `${name}=${value}` }]);
  if (combined.edits.length > 0 || combined.notes.length !== 1) return;
  const [carrier, ...rest] = involved as [Finding, ...Finding[]];
  const about = (f: Finding) => new Set((f.fix?.envVarNotes ?? []).filter((n) => n.envVar === name).map((n) => n.text));
  // The fix without its notes about the var: the notes, and the record of which notes are about which var.
  const without = (f: Finding): { notes: string[]; envVarNotes: EnvVarNote[] } => {
    const drop = about(f);
    return { notes: (f.fix?.notes ?? []).filter((n) => !drop.has(n)), envVarNotes: (f.fix?.envVarNotes ?? []).filter((n) => n.envVar !== name) };
  };
  const kept = without(carrier);
  carrier.fix = { ...carrier.fix, notes: [...kept.notes, ...combined.notes, `one ${name} value for ${involved.map((f) => f.rule).join(', ')}: set apart, each would replace the others' words`], envVarNotes: [...kept.envVarNotes, ...combined.envVarNotes] };
  for (const other of rest) {
    const { notes, envVarNotes } = without(other);
    other.fix = { ...other.fix, notes: [...notes, `its ${name} words are in the value the fix of ${carrier.rule} says to set, once for all of them`], envVarNotes };
    if (envVarNotes.length === 0) delete other.fix.envVarNotes;
  }
}

/** A finding whose env flag of the deploy command another finding's fix now carries keeps its other flags. */
function handOverEnvFlags(finding: Finding, deploy: RunDeployCommand, why: string): void {
  const edits = (finding.fix?.edits ?? []).flatMap((e) => {
    if (e.file !== deploy.file || e.flags === undefined) return [e];
    const flags = e.flags.filter((flag) => flag.envVar === undefined);
    const after = applyUnorderedSpans(e.before, flags.map((flag) => flag.span));
    return flags.length === 0 || after === undefined ? [] : [{ ...e, after, flags }];
  });
  finding.fix = { ...finding.fix, notes: [...(finding.fix?.notes ?? []), why] };
  if (edits.length > 0) finding.fix.edits = edits;
  else delete finding.fix.edits;
}

/** The var's value with every write: the flags rewritten in the value as read, then the words appended (each once); `undefined` when rewrites overlap. */
function optionsValue(writes: readonly EnvWrite[], asRead: string | undefined): string | undefined {
  const rewrites = writes.filter((w) => w.words === undefined);
  const rewritten = rewrites.length === 0 ? asRead : rewrittenValue(rewrites, asRead, () => undefined);
  if (rewritten === undefined && rewrites.length > 0) return undefined;
  return [rewritten?.trim() ?? '', ...new Set(writes.flatMap((w) => (w.words === undefined ? [] : [w.words])))].filter((x) => x !== '').join(' ');
}

/** The value a finding's fix writes to env var `name` of `container` (an entry added or replaced, or its value). */
function envValueWritten(finding: Finding, container: ContainerFacts, name: string): string | undefined {
  const index = container.env.get(name)?.index;
  let written: string | undefined;
  for (const op of finding.fix?.jsonPatch ?? []) {
    if (op.op === 'test' || op.op === 'remove' || !op.path.includes('/env')) continue;
    if (typeof op.value === 'string' && index !== undefined && op.path.endsWith(`/env/${index}/value`)) written = op.value;
    for (const entry of Array.isArray(op.value) ? op.value : [op.value]) {
      const { name: entryName, value } = (entry ?? {}) as { name?: unknown; value?: unknown };
      if (entryName === name && typeof value === 'string') written = value;
    }
  }
  return written;
}

/** A finding whose env write another finding's fix now carries keeps the rest of its fix. */
function handOverEnv(finding: Finding, carrierRule: string): void {
  const { jsonPatch, applyFragment: _fragment, ...kept } = finding.fix ?? {};
  const remaining = (jsonPatch ?? []).filter((op) => !op.path.includes('/env'));
  finding.fix = { ...kept, notes: [...(kept.notes ?? []), `its env change is written by the fix of ${carrierRule}, once for all of them`] };
  if (remaining.length > 0) finding.fix.jsonPatch = remaining;
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
  const changes = shape.map((p) => `${p.change.setting} ${String(p.change.from ?? '?')} → ${p.change.to}`);
  const why = shape.map((p, i) => `${changes[i]} (${p.change.rule})`).join(', ');
  const after = changes.join(', ');
  if (winner !== undefined) {
    const measured = winner.change.confidence < 1;
    const value = measured ? Math.min(winner.change.to, target) : target;
    if (value !== winner.change.to) retarget(workload, winner, value, retargetReasons(measured, slots, container, why, after));
    return;
  }
  // Only the slots change: containerConcurrency follows them in the fix that changes the slots.
  const current = platformConcurrency(workload)?.value;
  if (current === undefined) return;
  const carrier = shape.find((p) => p.finding.fix !== undefined);
  if (current === target || carrier === undefined) return;
  const follow = propose('containerConcurrency', current, target, { target: changeTarget(workload), rule: carrier.change.rule, confidence: carrier.change.confidence, location: containerConcurrencyLocation(workload) });
  carrier.finding.changes = [...(carrier.finding.changes ?? []), follow];
  carrier.finding.fix = withObjectChange(carrier.finding.fix!, workload, target, `containerConcurrency follows to ${target}: the ${slots} request slots after ${why}`);
}

/** Why containerConcurrency follows the slots: `reason` for the fix notes, `said` for the message. */
function retargetReasons(measured: boolean, slots: number, container: ContainerFacts, why: string, after: string): { reason: string; said: string } {
  if (!measured) return { reason: `${slots} request slots after ${why}`, said: `the ${slots} request slots after ${after}` };
  return {
    reason: `capped at the ${slots} request slots ${container.server?.kind ?? 'the server'} has after this change${why === '' ? '' : ` (${why})`}: more would wait in its backlog`,
    said: `capped at the ${slots} request slots${after === '' ? '' : ` after ${after}`}`,
  };
}

/**
 * Points a containerConcurrency proposal at `value`: its change, recommended value, message and fix. The message
 * says why, since its diagnosis still names the slots read before the other fixes.
 */
function retarget(workload: Workload, proposed: Proposed<'containerConcurrency'>, value: number, { reason, said }: { reason: string; said: string }): void {
  const { finding, change } = proposed;
  const before = change.to;
  const index = finding.changes!.indexOf(change);
  finding.changes![index] = { ...change, to: value };
  finding.recommended = { ...finding.recommended, containerConcurrency: value };
  if (finding.advice !== undefined) {
    finding.advice = { ...finding.advice, value, tail: ` (${said})${finding.advice.tail}` };
    finding.message = adviceMessage(finding.advice);
  }
  const notes = [...(finding.fix?.notes ?? []), `containerConcurrency ${value}, not ${before}: ${reason}`];
  if (workload.deployedBy !== undefined) {
    finding.fix = withConcurrencyFlag({ ...finding.fix, notes }, concurrencyCommand(workload.deployedBy, workload.updatedBy), value);
    return;
  }
  const rendered = setContainerConcurrency(workload, value);
  const fix: Fix = { ...finding.fix, jsonPatch: rendered.jsonPatch, notes };
  if (rendered.applyFragment !== undefined) fix.applyFragment = rendered.applyFragment;
  finding.fix = fix;
}

/** A fix with containerConcurrency → `value` added to its object changes. */
function withObjectChange(fix: Fix, workload: Workload, value: number, note: string): Fix {
  if (workload.deployedBy !== undefined) return withConcurrencyFlag({ ...fix, notes: [...(fix.notes ?? []), note] }, concurrencyCommand(workload.deployedBy, workload.updatedBy), value);
  const rendered = setContainerConcurrency(workload, value);
  const out: Fix = { ...fix, jsonPatch: [...(fix.jsonPatch ?? []), ...rendered.jsonPatch], notes: [...(fix.notes ?? []), note] };
  // A fragment is only complete when every object change has one (Knative container fields have none).
  const onlyObjectOps = (fix.jsonPatch ?? []).length === 0 && (fix.edits ?? []).length > 0;
  if (fix.applyFragment !== undefined && rendered.applyFragment !== undefined) out.applyFragment = mergeFragments(fix.applyFragment, rendered.applyFragment);
  else if (onlyObjectOps && rendered.applyFragment !== undefined) out.applyFragment = rendered.applyFragment;
  return out;
}

function concurrencyCommand(deploy: RunDeployCommand, updates: readonly RunDeployCommand[] | undefined): RunDeployCommand {
  return serviceCommandFor(deploy, updates ?? [], { name: '--concurrency' });
}

/** A service a `gcloud run deploy` command deploys has no object to patch: its command's `--concurrency` is edited. */
function withConcurrencyFlag(fix: Fix, deploy: RunDeployCommand, value: number): Fix {
  const { edits, notes } = withDeployFlag(fix.edits ?? [], deploy, { name: '--concurrency', value: String(value) });
  const out: Fix = { ...fix, notes: [...(fix.notes ?? []), ...notes] };
  if (edits.length > 0) out.edits = edits;
  else delete out.edits;
  return out;
}

/** A finding whose proposal lost to another: it keeps its diagnosis and says which fix to apply instead. */
function supersede(finding: Finding, why: string): void {
  const notes = [...(finding.fix?.notes ?? []), `no fix of its own: ${why}`];
  finding.fix = { notes };
  finding.changes = (finding.changes ?? []).map((c) => ({ ...c, location: { kind: 'unwritable', why } }) as AnyChange);
}

