/**
 * @module `gunicorn.timeout`: on Knative/Cloud Run the platform's request timeout (`timeoutSeconds`) governs, so
 * gunicorn's own worker timeout (default 30 s) should be 0, as in the Cloud Run Python guide's
 * `gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 main:app`.
 * @see docs/rules/gunicorn.timeout.md
 */
import type { Setting } from '../model/evidence.ts';
import { byDefault } from '../model/evidence.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { ServerConfig } from '../model/server.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { DEFAULT_TIMEOUT_SECONDS, isServing, lowerSeverity, origin, platformName, targetOf, uniqueEvidence, unreadConfigNote } from './facts.ts';
import type { ServerKnob } from './fixes.ts';
import { appendEnvWords, serverSettingWrite } from './fixes.ts';
import { changeTarget, propose } from './changes.ts';
import { harakiriFinding } from './uwsgiSettings.ts';

const ID = 'gunicorn.timeout';

/** gunicorn's `--timeout` default (https://docs.gunicorn.org/en/stable/settings.html#timeout). */
export const GUNICORN_DEFAULT_TIMEOUT = 30;

/** `gunicorn.timeout`: gunicorn --timeout other than 0 behind Knative/Cloud Run. */
export const gunicornTimeout: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'gunicorn --timeout is not 0 (or uWSGI harakiri is below timeoutSeconds) on Knative/Cloud Run, where timeoutSeconds governs requests',
  check: (inventory) =>
    inventory.workloads.flatMap((workload) => (isServing(workload) ? workload.containers.flatMap((container) => checkContainer(workload, container)) : [])),
};

/** The words that set --timeout when nothing else does. */
const UNSET_WORDS = '--timeout 0';

/** gunicorn's `--timeout`: `-t`, `timeout` in gunicorn.conf.py, or `GUNICORN_CMD_ARGS` when nothing sets it. */
function timeoutKnob(workload: Workload, container: ContainerFacts): ServerKnob {
  return {
    flag: { long: '--timeout', short: '-t' },
    confKey: 'timeout',
    anchor: 'gunicorn',
    // GUNICORN_CMD_ARGS ranks above gunicorn.conf.py and below the command line (https://docs.gunicorn.org/en/stable/configure.html).
    whenUnset: () => appendEnvWords(workload, container, 'GUNICORN_CMD_ARGS', UNSET_WORDS),
    unsetEnv: 'GUNICORN_CMD_ARGS',
    unsetWords: UNSET_WORDS,
  };
}

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server?.kind === 'uwsgi') return harakiriFinding(ID, workload, container, server);
  if (server?.kind !== 'gunicorn') return [];
  const timeout: Setting<number> = server.timeout ?? byDefault(GUNICORN_DEFAULT_TIMEOUT, 'gunicorn --timeout');
  if (timeout.value === undefined || timeout.value === 0) return [];
  const platformTimeout = workload.timeoutSeconds?.value ?? DEFAULT_TIMEOUT_SECONDS;
  const unread = unreadConfigNote(server, timeout, 'timeout');
  const base: Severity = server.model === 'sync' && timeout.value < platformTimeout ? 'warning' : 'info';
  const { fix, location } = serverSettingWrite(workload, container, timeout, timeoutKnob(workload, container), '0');
  if (fix !== undefined && unread !== undefined) fix.notes = [...(fix.notes ?? []), unread];
  const evidence = [timeout.evidence];
  if (workload.timeoutSeconds !== undefined) evidence.push(workload.timeoutSeconds.evidence);
  const finding: Finding = {
    rule: ID,
    severity: unread === undefined ? base : lowerSeverity(base),
    target: targetOf(workload, container),
    message: message(workload, server, timeout, platformTimeout),
    current: { timeout: timeout.value, timeoutSeconds: platformTimeout },
    recommended: { timeout: 0 },
    evidence: uniqueEvidence(evidence),
    changes: [propose('workerTimeout', timeout.value, 0, { target: changeTarget(workload, container), rule: ID, location })],
  };
  if (fix !== undefined) finding.fix = fix;
  return [finding];
}

function message(workload: Workload, server: ServerConfig, timeout: Setting<number>, platformTimeout: number): string {
  const seconds = timeout.value!;
  const flag = `gunicorn --timeout ${seconds}${origin(timeout)}`;
  const isDefault = workload.timeoutSeconds === undefined || workload.timeoutSeconds.isDefault;
  const platform = `${platformName(workload)}'s timeoutSeconds ${platformTimeout}${isDefault ? ' (default)' : ''}`;
  if (server.model !== 'sync') {
    const workerClass = nonSyncClass(server);
    return `${flag} restarts a ${workerClass} worker whose main loop is silent for ${seconds} s, while ${platform} already bounds requests; set --timeout 0`;
  }
  if (seconds >= platformTimeout) {
    return `${flag} never ends a request before ${platform} does; set --timeout 0 so the platform alone governs`;
  }
  return `${flag} kills a sync worker whose request runs past ${seconds} s, while ${platform} allows more: longer requests end in 502 and WORKER TIMEOUT; set --timeout 0`;
}

/** gunicorn switches the default `sync` class to gthread when `--threads` > 1, so the model, not the flag, names it. */
function nonSyncClass(server: ServerConfig): string {
  const written = server.workerClass?.value;
  if (server.model === 'threaded') return written === undefined || written === 'sync' ? 'gthread' : written;
  return written === undefined || written === 'sync' ? 'async' : written;
}
