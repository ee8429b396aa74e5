/**
 * @module gunicorn `--preload` as a fix, shared by the rules that recommend it (startup.heavy-init: one import instead
 * of one per worker; startup.probe-missing: bind only after the import, so a TCP probe means "the app is loaded").
 */
import type { Fix } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { AnyChange, Location } from '../model/change.ts';
import { appendEnvWords, editConfAssignment, fixFromChange } from './fixes.ts';
import { changeTarget, propose } from './changes.ts';

/** The words `--preload` appends to GUNICORN_CMD_ARGS. */
const PRELOAD_WORDS = '--preload';

/** What `--preload` changes besides start-up time, for the user to check before applying it. */
export const PRELOAD_CAVEATS = [
  'with --preload the app is imported once in the master and the workers are forked from it: sockets and connections opened at import (database pools, gRPC channels) are shared by every worker; open them after the fork (gunicorn post_fork hook) or lazily',
  'threads started at import (Cloud Profiler, metrics exporters) do not survive the fork: start them in post_fork / post_worker_init',
  'gunicorn reload (HUP) does not reload preloaded app code',
];

/** The typed change `--preload` is: preload false → true, where `preloadFix` writes it (or why it cannot). */
export function preloadChange(workload: Workload, container: ContainerFacts, rule: string, fix: Fix | undefined): AnyChange {
  return propose('preload', false, true, { target: changeTarget(workload, container), rule, location: preloadLocation(container, fix !== undefined) });
}

/**
 * Where preloadFix writes: the gunicorn.conf.py line, or the `--preload` word appended to GUNICORN_CMD_ARGS (so that
 * the solver writes it together with other words of that var).
 */
function preloadLocation(container: ContainerFacts, writable: boolean): Location {
  const preload = container.server?.preload;
  if (!writable) return { kind: 'unwritable', why: 'preload is set where pytuner cannot rewrite it, or GUNICORN_CMD_ARGS comes from a Secret' };
  if (preload !== undefined && !preload.isDefault && preload.evidence.file !== undefined && preload.evidence.line !== undefined) {
    return { kind: 'source', file: preload.evidence.file, line: preload.evidence.line };
  }
  return { kind: 'env', container: container.name, name: 'GUNICORN_CMD_ARGS', words: PRELOAD_WORDS };
}

/**
 * `preload_app = False` in gunicorn.conf.py → `True`; otherwise `--preload` through `GUNICORN_CMD_ARGS`. `undefined`
 * when the setting is written somewhere pytuner cannot rewrite, or GUNICORN_CMD_ARGS comes from a Secret.
 */
export function preloadFix(workload: Workload, container: ContainerFacts, notes: readonly string[] = PRELOAD_CAVEATS): Fix | undefined {
  const preload = container.server?.preload;
  if (preload !== undefined && !preload.isDefault && preload.evidence.source === 'gunicorn.conf.py') {
    const edit = editConfAssignment(container.dockerfile, preload.evidence, 'preload_app', 'True');
    return edit === undefined ? undefined : { edits: [edit], notes: [...notes] };
  }
  if (preload !== undefined && !preload.isDefault) return undefined; // an explicit --no-preload-style setting pytuner cannot rewrite
  const change = appendEnvWords(workload, container, 'GUNICORN_CMD_ARGS', PRELOAD_WORDS);
  return change === undefined ? undefined : fixFromChange(change, notes);
}
