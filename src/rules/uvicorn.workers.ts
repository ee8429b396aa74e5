/**
 * @module `uvicorn.workers`: uvicorn run with more than one worker process. uvicorn's own process manager binds the
 * listening socket itself, and asyncio turns TCP_NODELAY on only for sockets whose protocol is IPPROTO_TCP, which that
 * socket's is not; every keep-alive response then waits for the client's delayed ACK (about 40 ms on Linux). Measured
 * in pytuner's lab (docs/lab/findings.md): p95 ≈ 90 ms with 2–4 workers at 2–4 requests in flight, 44 ms with one.
 * @see docs/rules/uvicorn.workers.md
 */
import type { Finding } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { origin, plural, targetOf } from './facts.ts';
import { serverSettingWrite } from './fixes.ts';
import { changeTarget, propose } from './changes.ts';

const ID = 'uvicorn.workers';

/** `uvicorn.workers`: uvicorn with `--workers` (or `WEB_CONCURRENCY`) above 1. */
export const uvicornWorkers: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'uvicorn runs several worker processes, whose keep-alive responses wait for delayed ACKs (no TCP_NODELAY)',
  check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(workload, container))),
};

/** `fastapi run` takes uvicorn's `--workers` too; the fix edits the flag after whichever command started the server. */
function anchorOf(container: ContainerFacts): string {
  return container.server?.argv.some((word) => /(^|\/)fastapi$/.test(word)) === true ? 'fastapi' : 'uvicorn';
}

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server?.kind !== 'uvicorn') return [];
  const workers = server.workers.value;
  if (workers === undefined || workers <= 1) return [];
  const { fix, location } = serverSettingWrite(workload, container, server.workers, {
    flag: { long: '--workers' },
    confKey: 'workers',
    anchor: anchorOf(container),
    // Only reached for workers > 1, which is never uvicorn's default.
    whenUnset: () => undefined,
  }, '1');
  const alternative = `keep ${plural(workers, 'process')} per instance with gunicorn -k uvicorn.workers.UvicornWorker -w ${workers} (gunicorn sets TCP_NODELAY on its listener)`;
  if (fix !== undefined) fix.notes = [...(fix.notes ?? []), `or ${alternative}`];
  const finding: Finding = {
    rule: ID,
    severity: 'warning',
    target: targetOf(workload, container),
    message:
      `uvicorn runs ${plural(workers, 'worker')}${origin(server.workers)}: its process manager binds the socket without TCP_NODELAY, so each keep-alive response ` +
      `waits for the client's delayed ACK (about 40 ms on Linux; uvicorn#3149); set workers to 1 and let the platform add instances, or ${alternative}`,
    current: { workers },
    recommended: { workers: 1 },
    evidence: [server.workers.evidence],
    changes: [propose('workers', workers, 1, { target: changeTarget(workload, container), rule: ID, location })],
  };
  if (fix !== undefined) finding.fix = fix;
  return [finding];
}
