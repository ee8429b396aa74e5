/**
 * @module `profiler.background-cpu`: on Cloud Run with request-based billing (`run.googleapis.com/cpu-throttling`
 * not `'false'`) an instance gets CPU only while it handles requests, so the profiler agent's background thread,
 * which collects and uploads profiles, stalls between them. The Cloud Run Python guide: background activity needs
 * instance-based billing "so you can run background activities outside requests and still have CPU access".
 * @see docs/rules/profiler.background-cpu.md
 */
import type { Finding } from '../model/finding.ts';
import type { Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { targetOf, templateAnnotationEvidence, uniqueEvidence, workloadProfilerSignals } from './facts.ts';
import { fixFromChange, setTemplateAnnotation, escapePointerSegment } from './fixes.ts';
import { changeTarget, propose } from './changes.ts';

const ID = 'profiler.background-cpu';

/** Revision annotation: `'true'` (the default) = CPU only during requests; `'false'` = CPU always allocated. */
export const CPU_THROTTLING = 'run.googleapis.com/cpu-throttling';

/** `profiler.background-cpu`: the profiler on Cloud Run with CPU only during requests. */
export const backgroundCpu: Rule = {
  id: ID,
  severity: 'warning',
  summary: "Cloud Profiler on Cloud Run with request-based billing: the agent's background thread gets no CPU between requests",
  check: (inventory) => inventory.workloads.flatMap(checkWorkload),
};

function checkWorkload(workload: Workload): Finding[] {
  if (workload.platform !== 'cloudrun') return [];
  const throttling = workload.templateAnnotations[CPU_THROTTLING];
  if (throttling === 'false') return [];
  const signals = workloadProfilerSignals(workload);
  if (signals.length === 0) return [];
  const notes = ['instance-based billing charges for the whole life of each instance, not only while it serves requests'];
  const smallCpu = workload.containers.find((c) => c.cpu?.value !== undefined && c.cpu.value < 1);
  if (smallCpu !== undefined) notes.push(`CPU always allocated needs at least 1 vCPU: raise container ${smallCpu.name}'s cpu from ${smallCpu.cpu!.value} to 1`);
  const described = throttling === undefined ? `${CPU_THROTTLING} unset (default 'true')` : `${CPU_THROTTLING} '${throttling}'`;
  return [
    {
      rule: ID,
      severity: 'warning',
      target: targetOf(workload),
      message: `Cloud Profiler runs with CPU only during requests (${described}): its background thread stalls between requests, so profiles are sparse or missing; set ${CPU_THROTTLING} to 'false'`,
      current: { [CPU_THROTTLING]: throttling ?? 'true' },
      recommended: { [CPU_THROTTLING]: 'false' },
      evidence: uniqueEvidence([templateAnnotationEvidence(workload, CPU_THROTTLING), ...signals]),
      fix: fixFromChange(setTemplateAnnotation(workload, CPU_THROTTLING, 'false'), notes),
      changes: [
        propose('templateAnnotation', throttling, 'false', {
          target: changeTarget(workload),
          rule: ID,
          location: { kind: 'field', pointer: `${workload.podSpecPointer.replace(/\/spec$/, '')}/metadata/annotations/${escapePointerSegment(CPU_THROTTLING)}` },
        }),
      ],
    },
  ];
}
