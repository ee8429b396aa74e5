/**
 * @module uWSGI's side of the workers and timeout rules: where `processes` and `harakiri` are written (a key of the
 * `.ini`/`.yaml` config file, a flag of the command line, a `UWSGI_<OPTION>` env var) and the write that changes them,
 * and the `harakiri` check against the platform's request timeout. Pure.
 *
 * `harakiri` (https://uwsgi-docs.readthedocs.io/en/latest/Options.html#harakiri) kills a worker whose request has run
 * for that many seconds; 0, uWSGI's default, never does. Unlike gunicorn's heartbeat timeout it is a per-request limit,
 * and a request the platform has already answered with a 504 keeps running in the container (Cloud Run and Knative
 * do not stop it), so harakiri at the platform's timeout frees such a worker and is no problem; below it, harakiri ends
 * requests the platform still allows.
 */
import type { Evidence, Setting } from '../model/evidence.ts';
import type { Finding, SourceEdit } from '../model/finding.ts';
import type { ServerConfig } from '../model/server.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import { uwsgiPlugin } from '../model/server/uwsgi.ts';
import { DEFAULT_TIMEOUT_SECONDS, lowerSeverity, origin, platformName, targetOf, uniqueEvidence, unreadConfigNote } from './facts.ts';
import type { FlagSpec, ServerKnob, ServerSettingWrite } from './fixes.ts';
import { serverSettingWrite, setEnv, sourceLineOf } from './fixes.ts';
import { changeTarget, propose } from './changes.ts';

/** The uWSGI options the rules write, with the spellings uWSGI accepts for each (`core/uwsgi.c`). */
const UWSGI_OPTIONS = {
  processes: { flag: { long: '--processes', short: '-p' }, aliases: ['--workers'], env: 'UWSGI_PROCESSES' },
  harakiri: { flag: { long: '--harakiri', short: '-t' }, aliases: [], env: 'UWSGI_HARAKIRI' },
} as const;

type UwsgiOption = keyof typeof UWSGI_OPTIONS;

const CONFIG_FILE = /\.(ini|ya?ml)$/;

/**
 * The write that sets a uWSGI option to `value` where it was read: the key's line of a config file pytuner read
 * (`processes = 4` → `processes = 1`, keeping a comment), the flag as written on a command line (`--workers 4`, `-p4`),
 * the `UWSGI_*` env var it came from, or `UWSGI_<OPTION>` when only uWSGI's default applies (the command line and a
 * config file would override that env var, and then they, not the default, are what was read).
 */
export function uwsgiSettingWrite(workload: Workload, container: ContainerFacts, setting: Setting<unknown>, option: UwsgiOption, value: string): ServerSettingWrite {
  const { evidence } = setting;
  if (!setting.isDefault && evidence.source === 'build-context' && evidence.file !== undefined && CONFIG_FILE.test(evidence.file) && setting.viaEnv === undefined) {
    const edit = editConfigKey(container, evidence, value);
    if (edit === undefined) return { fix: undefined, location: { kind: 'unwritable', why: `${evidence.field} in ${evidence.file} is not a plain key = value line pytuner can edit` } };
    return { fix: { edits: [edit] }, location: { kind: 'source', file: edit.file, line: edit.line } };
  }
  return serverSettingWrite(workload, container, setting, knobOf(workload, container, option, evidence, value), value);
}

function knobOf(workload: Workload, container: ContainerFacts, option: UwsgiOption, evidence: Evidence, value: string): ServerKnob {
  const spec = UWSGI_OPTIONS[option];
  // The flag as the command wrote it (`--workers` is an alias of `--processes`), so the edit finds it.
  const aliases: readonly string[] = spec.aliases;
  const flag: FlagSpec = aliases.includes(evidence.field) ? { long: evidence.field } : spec.flag;
  return {
    flag,
    confKey: option,
    anchor: 'uwsgi',
    whenUnset: () => setEnv(workload, container, spec.env, value),
    unsetEnv: spec.env,
  };
}

/** A line edit of `key = value` (ini) or `  key: value` (yaml) at the evidence's line, keeping a trailing comment. */
function editConfigKey(container: ContainerFacts, evidence: Evidence, value: string): SourceEdit | undefined {
  const line = sourceLineOf(container.dockerfile, evidence);
  if (line === undefined) return undefined;
  const key = evidence.field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const separator = /\.ya?ml$/.test(line.file) ? ':' : '=';
  const m = new RegExp(`^(\\s*${key}\\s*${separator}\\s*)(["']?)[^\\s"'#;]*\\2(\\s*(?:[#;].*)?)$`).exec(line.text);
  if (m === null) return undefined;
  return { file: line.file, line: line.line, before: line.text, after: `${m[1]}${value}${m[3] ?? ''}` };
}

/** `uwsgi --harakiri` below the platform's request timeout on Knative/Cloud Run (the `gunicorn.timeout` rule's uWSGI case). */
export function harakiriFinding(rule: string, workload: Workload, container: ContainerFacts, server: ServerConfig): Finding[] {
  const harakiri = server.timeout;
  if (harakiri?.value === undefined || harakiri.value === 0) return [];
  // A platform timeout written as an expression pytuner does not evaluate is unknown: no comparison, no guess.
  if (workload.timeoutSeconds !== undefined && workload.timeoutSeconds.value === undefined) return [];
  const platformTimeout = workload.timeoutSeconds?.value ?? DEFAULT_TIMEOUT_SECONDS;
  if (harakiri.value >= platformTimeout) return [];
  const isDefault = workload.timeoutSeconds === undefined || workload.timeoutSeconds.isDefault;
  const platform = `${platformName(workload)}'s timeoutSeconds ${platformTimeout}${isDefault ? ' (default)' : ''}`;
  const { fix, location } = uwsgiSettingWrite(workload, container, harakiri, 'harakiri', String(platformTimeout));
  const unread = unreadConfigNote(server, harakiri, 'harakiri');
  if (fix !== undefined && unread !== undefined) fix.notes = [...(fix.notes ?? []), unread];
  const evidence = [harakiri.evidence];
  if (workload.timeoutSeconds !== undefined) evidence.push(workload.timeoutSeconds.evidence);
  const finding: Finding = {
    rule,
    severity: unread === undefined ? 'warning' : lowerSeverity('warning'),
    target: targetOf(workload, container),
    message:
      `uWSGI harakiri ${harakiri.value}${origin(harakiri)} kills a worker whose request runs past ${harakiri.value} s, while ${platform} allows more: ` +
      `longer requests end in 502 and the worker restarts; set harakiri to ${platformTimeout}, so the platform's timeout governs and harakiri only frees a worker still busy after it`,
    current: { harakiri: harakiri.value, timeoutSeconds: platformTimeout },
    recommended: { harakiri: platformTimeout },
    evidence: uniqueEvidence(evidence),
    changes: [propose('workerTimeout', harakiri.value, platformTimeout, { target: changeTarget(workload, container), rule, location })],
  };
  if (fix !== undefined) finding.fix = fix;
  return [finding];
}

/** How the workers rule names the server and its setting in messages. */
export function serverTitle(server: ServerConfig): string {
  return server.kind === 'uwsgi' ? uwsgiPlugin.title : server.kind;
}
