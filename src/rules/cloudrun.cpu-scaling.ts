/**
 * @module `cloudrun.cpu-scaling`: a Cloud Run service with several vCPU whose Python server runs fewer GIL-bound
 * processes than it has vCPU. Each process runs Python on one core at a time, so CPU utilisation can never pass
 * processes ÷ vCPU; when that is below Cloud Run's CPU scaling target (60 % by default, set per revision with
 * `run.googleapis.com/scaling-cpu-target`), CPU never drives scaling and the other vCPU are paid for and idle.
 * gunicorn is left to `gunicorn.workers-vs-cpu`, which carries the fix; a free-threaded build is not GIL-bound.
 * @see docs/rules/cloudrun.cpu-scaling.md
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding } from '../model/finding.ts';
import type { ServerKind } from '../model/server.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { freeThreaded, plural, targetOf, templateAnnotationEvidence, uniqueEvidence, vcpus } from './facts.ts';

const ID = 'cloudrun.cpu-scaling';

/** The revision annotation gcloud writes for `--scaling-cpu-target` (googlecloudsdk/api_lib/run/revision.py `CPU_UTILIZATION_ANNOTATION`). */
const CPU_TARGET_ANNOTATION = 'run.googleapis.com/scaling-cpu-target';

/** Cloud Run's default CPU utilisation target, 60 % (configurable 10-95 %: https://cloud.google.com/run/docs/configuring/scaling-controls). */
const DEFAULT_CPU_TARGET = 60;

/** Servers other rules cover (the workers rule: gunicorn, uWSGI), or that pytuner does not tune (development and interactive servers). */
const LEFT_TO_OTHERS: ReadonlySet<ServerKind> = new Set(['gunicorn', 'uwsgi', 'flask-dev', 'django-runserver', 'streamlit', 'gradio']);

/** `cloudrun.cpu-scaling`: fewer GIL-bound processes than vCPU on a multi-vCPU Cloud Run service. */
export const cpuScaling: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'a multi-vCPU Cloud Run service runs fewer GIL-bound Python processes than vCPU: CPU can never reach the scaling target',
  check: (inventory) => inventory.workloads.filter((w) => w.platform === 'cloudrun').flatMap((w) => w.containers.flatMap((c) => checkContainer(w, c))),
};

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  const cpu = vcpus(container);
  if (server === undefined || LEFT_TO_OTHERS.has(server.kind) || cpu === undefined || cpu.value < 2) return [];
  const processes = server.workers.value;
  if (processes === undefined || processes >= cpu.value || freeThreaded(container) !== undefined) return [];
  const target = cpuTarget(workload);
  if (target === undefined) return [];
  const ceiling = Math.round((processes / cpu.value) * 100);
  const reachable = ceiling >= target.value;
  const idle = cpu.value - processes;
  const how = server.kind === 'uvicorn' ? ` (gunicorn -k uvicorn.workers.UvicornWorker -w ${cpu.value})` : '';
  const consequence = reachable
    ? `it reaches Cloud Run's CPU scaling target of ${target.value}% only when every process is saturated`
    : `below Cloud Run's CPU scaling target of ${target.value}%, so CPU never drives scaling (only concurrency does)`;
  return [
    {
      rule: ID,
      severity: reachable ? 'info' : 'warning',
      target: targetOf(workload, container),
      message: `${server.kind} runs ${plural(processes, 'GIL-bound process')} on ${cpu.value} vCPU: CPU utilisation tops out at ${ceiling}%, ${consequence}, and ${plural(idle, 'vCPU')} ${idle === 1 ? 'stays' : 'stay'} idle; run ${cpu.value} processes${how} or give the service ${plural(processes, 'vCPU')}`,
      current: { processes, vCPU: cpu.value, cpuCeilingPercent: ceiling, cpuTargetPercent: target.value },
      recommended: { processes: cpu.value },
      evidence: uniqueEvidence([server.workers.evidence, cpu.evidence, target.evidence]),
    },
  ];
}

/** The revision's CPU target in percent; `undefined` when the annotation is not a number (pytuner does not guess). */
function cpuTarget(workload: Workload): { value: number; evidence: Evidence } | undefined {
  const written = workload.templateAnnotations[CPU_TARGET_ANNOTATION];
  const evidence = templateAnnotationEvidence(workload, CPU_TARGET_ANNOTATION);
  if (written === undefined) return { value: DEFAULT_CPU_TARGET, evidence: { ...evidence, field: `Cloud Run default CPU scaling target (${DEFAULT_CPU_TARGET}%)` } };
  const value = Number(written);
  return Number.isFinite(value) && written.trim() !== '' ? { value, evidence } : undefined;
}
