/**
 * @module `gunicorn.workers-vs-cpu`: gunicorn worker processes ≠ the container's vCPU. One worker is one
 * GIL-bound Python process: fewer workers than vCPU leave CPUs idle, more cost memory and context switches.
 * @see docs/rules/gunicorn.workers-vs-cpu.md
 */
import type { Finding, Severity } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { freeThreaded, lowerSeverity, origin, plural, targetOf, uniqueEvidence, unreadConfigNote, vcpus } from './facts.ts';
import type { ServerKnob } from './fixes.ts';
import { serverSettingWrite, setEnv } from './fixes.ts';
import { changeTarget, propose } from './changes.ts';
import { serverTitle, uwsgiSettingWrite } from './uwsgiSettings.ts';

const ID = 'gunicorn.workers-vs-cpu';

/** `gunicorn.workers-vs-cpu`: gunicorn workers ≠ vCPU. */
export const workersVsCpu: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'gunicorn workers or uWSGI processes differ from the container vCPU (rounded up)',
  check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(workload, container))),
};

/** gunicorn's `--workers`: `-w` on a command line, `workers` in gunicorn.conf.py, `WEB_CONCURRENCY` as the default. */
function workersKnob(workload: Workload, container: ContainerFacts, value: number): ServerKnob {
  return {
    flag: { long: '--workers', short: '-w' },
    confKey: 'workers',
    anchor: 'gunicorn',
    // gunicorn's default worker count is int(os.environ.get("WEB_CONCURRENCY", 1)); a -w on the command line would win.
    whenUnset: () => setEnv(workload, container, 'WEB_CONCURRENCY', String(value)),
    unsetEnv: 'WEB_CONCURRENCY',
  };
}

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server?.kind !== 'gunicorn' && server?.kind !== 'uwsgi') return [];
  const workers = server.workers.value;
  const cpu = vcpus(container);
  if (workers === undefined || cpu === undefined || workers === cpu.value) return [];
  // On a free-threaded build the threads of one gthread worker run Python on several cores: fewer workers is no hotspot.
  if (workers < cpu.value && server.model === 'threaded' && server.threads.value !== 1 && freeThreaded(container) !== undefined) return [];
  const unread = unreadConfigNote(server, server.workers, 'workers');
  const base: Severity = workers < cpu.value ? 'warning' : 'info';
  const { fix, location } =
    server.kind === 'uwsgi'
      ? uwsgiSettingWrite(workload, container, server.workers, 'processes', String(cpu.value))
      : serverSettingWrite(workload, container, server.workers, workersKnob(workload, container, cpu.value), String(cpu.value));
  if (fix !== undefined && unread !== undefined) fix.notes = [...(fix.notes ?? []), unread];
  const finding: Finding = {
    rule: ID,
    severity: unread === undefined ? base : lowerSeverity(base),
    target: targetOf(workload, container),
    message: message(serverTitle(server), server.kind === 'uwsgi' ? 'processes' : 'workers', workers, cpu, origin(server.workers)),
    current: { workers, vCPU: cpu.value },
    recommended: { workers: cpu.value },
    evidence: uniqueEvidence([server.workers.evidence, cpu.evidence]),
    changes: [propose('workers', workers, cpu.value, { target: changeTarget(workload, container), rule: ID, location })],
  };
  if (fix !== undefined) finding.fix = fix;
  return [finding];
}

function message(title: string, knob: string, workers: number, cpu: { value: number; cpu: number }, from: string): string {
  const on = cpu.cpu === cpu.value ? `${cpu.value} vCPU` : `${cpu.value} vCPU (cpu ${cpu.cpu}, rounded up)`;
  const runs = `${title} runs ${plural(workers, 'worker')}${from} on ${on}`;
  if (workers < cpu.value) {
    const percent = Math.round((workers / cpu.value) * 100);
    return `${runs}: each worker is one GIL-bound process, so at most ${workers} of ${cpu.value} vCPU work (${percent}% average CPU at full load, a vCPU hotspot); set ${knob} to ${cpu.value}`;
  }
  const extra = workers - cpu.value;
  return `${runs}: ${plural(extra, 'process')} more than vCPU, each holding its own copy of the app in memory, compete for the CPU; set ${knob} to ${cpu.value}`;
}
