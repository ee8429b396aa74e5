/**
 * @module `startup.heavy-init`: gunicorn with more than one worker and no `--preload` imports the app in every worker,
 * so a cold start pays the import time and the app's memory once per worker. The Cloud Run Python guide: `--preload`
 * evaluates the app code before listening, which finds fatal errors at deploy time and saves memory.
 * @see docs/rules/startup.heavy-init.md
 */
import type { Finding } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Location } from '../model/change.ts';
import type { Rule } from './types.ts';
import { origin, targetOf, uniqueEvidence } from './facts.ts';
import { preloadFix } from './preload.ts';
import { changeTarget, propose } from './changes.ts';

const ID = 'startup.heavy-init';

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
  if (server.preload !== undefined && server.preload.value !== false) return [];
  const evidence = [server.workers.evidence, ...(server.preload === undefined ? [] : [server.preload.evidence])];
  const finding: Finding = {
    rule: ID,
    severity: 'info',
    target: targetOf(workload, container),
    message: `gunicorn imports the app in each of its ${workers} workers${origin(server.workers)} (no --preload): every cold start pays the import time and the app's memory ${workers} times; consider --preload`,
    current: { workers, preload: false },
    recommended: { preload: true },
    evidence: uniqueEvidence(evidence),
  };
  const fix = preloadFix(workload, container);
  if (fix !== undefined) finding.fix = fix;
  finding.changes = [propose('preload', false, true, { target: changeTarget(workload, container), rule: ID, location: preloadLocation(container, fix !== undefined) })];
  return [finding];
}

/** Where preloadFix writes: the gunicorn.conf.py line, or GUNICORN_CMD_ARGS. */
function preloadLocation(container: ContainerFacts, writable: boolean): Location {
  const preload = container.server?.preload;
  if (!writable) return { kind: 'unwritable', why: 'preload is set where pytuner cannot rewrite it, or GUNICORN_CMD_ARGS comes from a Secret' };
  if (preload !== undefined && !preload.isDefault && preload.evidence.file !== undefined && preload.evidence.line !== undefined) {
    return { kind: 'source', file: preload.evidence.file, line: preload.evidence.line };
  }
  return { kind: 'env', container: container.name, name: 'GUNICORN_CMD_ARGS', words: '--preload' };
}
