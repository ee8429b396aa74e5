/**
 * @module `startup.heavy-init`: gunicorn with more than one worker and no `--preload` imports the app in every worker,
 * so a cold start pays the import time and the app's memory once per worker. The Cloud Run Python guide: `--preload`
 * evaluates the app code before listening, which finds fatal errors at deploy time and saves memory.
 * @see docs/rules/startup.heavy-init.md
 */
import type { Finding, Fix } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Location } from '../model/change.ts';
import type { Rule } from './types.ts';
import { origin, targetOf, uniqueEvidence } from './facts.ts';
import { appendEnvWords, editConfAssignment, fixFromChange } from './fixes.ts';
import { changeTarget, propose } from './changes.ts';

const ID = 'startup.heavy-init';

/** What `--preload` changes besides start-up time, for the user to check before applying it. */
export const PRELOAD_CAVEATS = [
  'with --preload the app is imported once in the master and the workers are forked from it: sockets and connections opened at import (database pools, gRPC channels) are shared by every worker; open them after the fork (gunicorn post_fork hook) or lazily',
  'threads started at import (Cloud Profiler, metrics exporters) do not survive the fork: start them in post_fork / post_worker_init',
  'gunicorn reload (HUP) does not reload preloaded app code',
];

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
  return { kind: 'env', container: container.name, name: 'GUNICORN_CMD_ARGS' };
}

/** `preload_app = False` in gunicorn.conf.py → `True`; otherwise `--preload` through `GUNICORN_CMD_ARGS`. */
function preloadFix(workload: Workload, container: ContainerFacts): Fix | undefined {
  const preload = container.server?.preload;
  if (preload !== undefined && !preload.isDefault && preload.evidence.source === 'gunicorn.conf.py') {
    const edit = editConfAssignment(container.dockerfile, preload.evidence, 'preload_app', 'True');
    return edit === undefined ? undefined : { edits: [edit], notes: PRELOAD_CAVEATS };
  }
  if (preload !== undefined && !preload.isDefault) return undefined; // an explicit --no-preload-style setting pytuner cannot rewrite
  const change = appendEnvWords(workload, container, 'GUNICORN_CMD_ARGS', '--preload');
  return change === undefined ? undefined : fixFromChange(change, PRELOAD_CAVEATS);
}
