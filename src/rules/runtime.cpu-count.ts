/**
 * @module `runtime.cpu-count`: a server size computed from `os.cpu_count()` (Functions Framework's `THREADS` default of
 * 4 × cpu_count(), `workers = multiprocessing.cpu_count() * 2 + 1` in gunicorn.conf.py). In a container
 * `os.cpu_count()` is the host's CPU count, not the container's CPU limit or Cloud Run's vCPU: on a 64-core node a
 * 1-vCPU container starts 129 workers or 256 threads.
 * @see docs/rules/runtime.cpu-count.md
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding, Fix } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { platformConcurrency, targetOf, uniqueEvidence, vcpus } from './facts.ts';
import { editConfAssignment, fixFromChange, setEnv } from './fixes.ts';

const ID = 'runtime.cpu-count';

/** Python code that asks for the CPU count. */
const CPU_COUNT = /\bcpu_count\s*\(|\bsched_getaffinity\s*\(|\bnproc\b/;

export const cpuCount: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'a worker or thread count computed from os.cpu_count(), which sees the host CPUs, not the container quota',
  check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(workload, container))),
};

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server === undefined) return [];
  const computed: Array<{ setting: 'workers' | 'threads'; evidence: Evidence }> = [];
  for (const setting of ['workers', 'threads'] as const) {
    const s = server[setting];
    if (s.value === undefined && CPU_COUNT.test(`${s.evidence.text ?? ''} ${s.evidence.field}`)) computed.push({ setting, evidence: s.evidence });
  }
  for (const evidence of server.cpuCountDefaults ?? []) if (!computed.some((c) => c.evidence === evidence)) computed.push({ setting: 'threads', evidence });
  if (computed.length === 0) return [];
  const cpu = vcpus(container);
  const names = computed.map((c) => c.setting).join(' and ');
  const python = pythonVersion(container);
  const readsEnv = python !== undefined && (python.major > 3 || (python.major === 3 && python.minor >= 13));
  const alternative = readsEnv && cpu !== undefined ? `, or set PYTHON_CPU_COUNT=${cpu.value} (Python ${python.major}.${python.minor} reads it in os.cpu_count())` : '';
  const finding: Finding = {
    rule: ID,
    severity: 'warning',
    target: targetOf(workload, container),
    message: `${server.kind} ${names} ${computed.length > 1 ? 'are' : 'is'} computed from os.cpu_count(), the host's CPU count, not the container's ${cpu === undefined ? 'CPU limit' : `${cpu.cpu} vCPU`}: set explicit values${alternative}`,
    current: Object.fromEntries(computed.map((c) => [c.setting, 'os.cpu_count()'])),
    recommended: recommended(workload, container, computed.map((c) => c.setting)),
    evidence: uniqueEvidence([...computed.map((c) => c.evidence), ...(cpu === undefined ? [] : [cpu.evidence])]),
  };
  const fix = fixOf(workload, container, computed, alternative);
  if (fix !== undefined) finding.fix = fix;
  return [finding];
}

/** One worker per vCPU; threads to cover the platform's concurrency per worker (or 8, the Cloud Run guide's example). */
function recommended(workload: Workload, container: ContainerFacts, settings: ReadonlyArray<'workers' | 'threads'>): Record<string, number> {
  const cpu = vcpus(container)?.value;
  const out: Record<string, number> = {};
  if (settings.includes('workers') && cpu !== undefined) out.workers = cpu;
  if (settings.includes('threads')) {
    const workers = container.server?.workers.value ?? cpu ?? 1;
    const concurrency = platformConcurrency(workload)?.value;
    out.threads = concurrency === undefined ? 8 : Math.max(1, Math.ceil(concurrency / workers));
  }
  return out;
}

function fixOf(workload: Workload, container: ContainerFacts, computed: ReadonlyArray<{ setting: 'workers' | 'threads'; evidence: Evidence }>, alternative: string): Fix | undefined {
  const values = recommended(workload, container, computed.map((c) => c.setting));
  const fix: Fix = {};
  const notes: string[] = [];
  for (const { setting, evidence } of computed) {
    const value = values[setting];
    if (value === undefined) {
      notes.push(`set ${setting} to the container's vCPU count (no CPU limit was read)`);
      continue;
    }
    if (evidence.source === 'gunicorn.conf.py') {
      const edit = editConfAssignment(container.dockerfile, evidence, setting, String(value));
      if (edit !== undefined) fix.edits = [...(fix.edits ?? []), edit];
    } else if (evidence.source === 'default' && container.server?.threads.viaEnv !== undefined) {
      const change = fixFromChange(setEnv(workload, container, container.server.threads.viaEnv, String(value)));
      Object.assign(fix, change);
    }
  }
  if (alternative !== '') notes.push(alternative.replace(/^, or /, 'alternatively, '));
  if (notes.length > 0) fix.notes = [...(fix.notes ?? []), ...notes];
  return Object.keys(fix).length === 0 ? undefined : fix;
}

/** The Python version of the image's base (`python:3.13-slim` → 3.13), when its tag says. */
function pythonVersion(container: ContainerFacts): { major: number; minor: number } | undefined {
  const base = container.dockerfile?.base;
  if (base?.repository !== 'python' || base.tag === undefined) return undefined;
  const m = /^(\d+)\.(\d+)/.exec(base.tag);
  return m === null ? undefined : { major: Number(m[1]), minor: Number(m[2]) };
}
