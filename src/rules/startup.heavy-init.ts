/**
 * @module `startup.heavy-init`: gunicorn with more than one worker and no `--preload` imports the app in every worker,
 * so a cold start pays the import time and the app's memory once per worker. The Cloud Run Python guide: `--preload`
 * evaluates the app code before listening, which finds fatal errors at deploy time and saves memory.
 * @see docs/rules/startup.heavy-init.md
 */
import type { Change } from '../model/change.ts';
import type { Finding } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { origin, targetOf, uniqueEvidence } from './facts.ts';
import { preloadChange, preloadFix } from './preload.ts';

const ID = 'startup.heavy-init';
export { ID as HEAVY_INIT };

/** `startup.heavy-init`: several gunicorn workers each importing the app. */
export const heavyInit: Rule = {
  id: ID,
  severity: 'info',
  summary: 'gunicorn with more than one worker and no --preload imports the app in every worker',
  check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(workload, container))),
};

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server?.kind !== 'gunicorn') return [];
  const workers = server.workers.value;
  if (workers === undefined || workers <= 1) return [];
  const said = `gunicorn imports the app in each of its ${workers} workers${origin(server.workers)}`;
  const finding = preloadFinding(workload, container, workers, said);
  return finding === undefined ? [] : [finding];
}

/**
 * The finding for a container whose workers another proposal raises from one to several (`change`): after that
 * change gunicorn imports the app in every worker, which this rule would report on the next run. The solver adds it to
 * the same report, so that the fix raising workers and the one adding --preload come in one step (fix idempotence).
 * `undefined` when the server is not gunicorn, preloads already, or the change does not raise workers above one.
 */
export function heavyInitAfter(workload: Workload, container: ContainerFacts, change: Change<'workers'>): Finding | undefined {
  const server = container.server;
  if (server?.kind !== 'gunicorn' || change.to <= 1 || (server.workers.value ?? 1) > 1) return undefined;
  const said = `gunicorn will import the app in each of its ${change.to} workers once ${change.rule} raises them from ${server.workers.value ?? 1}`;
  const finding = preloadFinding(workload, container, change.to, said);
  if (finding?.fix !== undefined) finding.fix.notes = [...(finding.fix.notes ?? []), `reported with the fix of ${change.rule}, which makes it true: a second run would report it`];
  return finding;
}

function preloadFinding(workload: Workload, container: ContainerFacts, workers: number, said: string): Finding | undefined {
  const server = container.server!;
  if (server.preload !== undefined && server.preload.value !== false) return undefined;
  const evidence = [server.workers.evidence, ...(server.preload === undefined ? [] : [server.preload.evidence])];
  const finding: Finding = {
    rule: ID,
    severity: 'info',
    target: targetOf(workload, container),
    message: `${said} (no --preload): every cold start pays the import time and the app's memory ${workers} times; consider --preload`,
    current: { workers: server.workers.value ?? null, preload: false },
    recommended: { preload: true },
    evidence: uniqueEvidence(evidence),
  };
  const fix = preloadFix(workload, container);
  if (fix !== undefined) finding.fix = fix;
  finding.changes = [preloadChange(workload, container, ID, fix)];
  return finding;
}
