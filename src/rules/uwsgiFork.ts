/**
 * @module The shape the two uWSGI profiler rules share: uWSGI forks its workers from a master that loaded the app,
 * and Cloud Profiler needs a uWSGI option so its agent works in the forked workers ("Known issues" of
 * https://cloud.google.com/profiler/docs/profiling-python). The fix sets the option through uWSGI's environment form
 * (`UWSGI_<OPTION>`, upper case, dashes as underscores), which works wherever the command line lives.
 */
import type { Setting } from '../model/evidence.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { ServerConfig } from '../model/server.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { lowerSeverity, plural, profilerSignals, targetOf, uniqueEvidence, unreadConfigNote } from './facts.ts';
import { fixFromChange, setEnv } from './fixes.ts';

/** What differs between the two rules. */
export interface UwsgiProfilerOption {
  id: string;
  summary: string;
  /** The uWSGI option, as on the command line without dashes: `lazy-apps`. */
  option: string;
  setting: (server: ServerConfig) => Setting<boolean> | undefined;
  /** What goes wrong without it, after "uWSGI ... (no --option): ". */
  consequence: string;
}

/** A `warning` rule that fires when a profiled uWSGI container that forks workers lacks `option`. */
export function uwsgiProfilerRule(spec: UwsgiProfilerOption): Rule {
  return {
    id: spec.id,
    severity: 'warning',
    summary: spec.summary,
    check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(spec, workload, container))),
  };
}

/** `UWSGI_LAZY_APPS` for `lazy-apps` (https://uwsgi-docs.readthedocs.io/en/latest/Configuration.html#environment-variables). */
function uwsgiEnvName(option: string): string {
  return `UWSGI_${option.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * Without `--master` and with one process, uWSGI serves in the process that loaded the app ("spawned uWSGI worker 1
 * (and the only)"): nothing is forked, so neither option matters.
 */
function forks(server: ServerConfig): boolean {
  return !(server.workers.value === 1 && server.master?.value !== true);
}

function checkContainer(spec: UwsgiProfilerOption, workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server?.kind !== 'uwsgi' || !forks(server)) return [];
  const setting = spec.setting(server);
  if (setting !== undefined && setting.value !== false) return []; // set, or unknown
  const signals = profilerSignals(workload, container);
  if (signals.length === 0) return [];
  const unread = unreadConfigNote(server, setting, spec.option);
  const severity: Severity = unread === undefined ? 'warning' : lowerSeverity('warning');
  const env = uwsgiEnvName(spec.option);
  const workers = server.workers.value === undefined ? 'its workers' : plural(server.workers.value, 'worker');
  const evidence = [server.evidence, ...(setting === undefined ? [] : [setting.evidence]), ...signals];
  return [
    {
      rule: spec.id,
      severity,
      target: targetOf(workload, container),
      message: `uWSGI forks ${workers} from its master (no --${spec.option}): ${spec.consequence}; set --${spec.option} (or ${env}=true)`,
      current: { [spec.option]: false },
      recommended: { [spec.option]: true },
      evidence: uniqueEvidence(evidence),
      fix: fixFromChange(setEnv(workload, container, env, 'true'), unread === undefined ? [] : [unread]),
    },
  ];
}
