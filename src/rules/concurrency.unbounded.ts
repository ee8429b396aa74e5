/**
 * @module `concurrency.unbounded`: a Knative Service with `containerConcurrency` unset or 0 (unlimited) in front
 * of a server that serves a fixed number of requests at once (sync or threaded).
 * @see docs/rules/concurrency.unbounded.md
 */
import type { Finding, ValueAdvice, Values } from '../model/finding.ts';
import { adviceMessage } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { concurrencyEvidence, MAX_CONTAINER_CONCURRENCY, requestSlots, targetOf, uniqueEvidence, writtenConcurrency } from './facts.ts';
import { fixFromChange, setContainerConcurrency } from './fixes.ts';
import { changeTarget, containerConcurrencyLocation, propose } from './changes.ts';

const ID = 'concurrency.unbounded';

/** Knative config-autoscaler `container-concurrency-target-default` (used when containerConcurrency is 0). */
const KNATIVE_TARGET_DEFAULT = 100;
/** Knative config-autoscaler `container-concurrency-target-percentage`. */
const KNATIVE_TARGET_UTILIZATION = 0.7;

/** `concurrency.unbounded`: unlimited Knative concurrency in front of a sync/threaded server. */
export const unbounded: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'Knative containerConcurrency is unlimited (unset or 0) in front of a server with a fixed number of request slots',
  check: (inventory) =>
    inventory.workloads.flatMap((workload) => {
      if (workload.platform !== 'knative') return [];
      const written = writtenConcurrency(workload);
      if (written !== undefined && written > 0) return [];
      return workload.containers.flatMap((container) => checkContainer(workload, container, written));
    }),
};

function checkContainer(workload: Workload, container: ContainerFacts, written: number | undefined): Finding[] {
  const server = container.server;
  if (server === undefined || server.model === 'async') return [];
  const slots = requestSlots(server);
  const how = written === 0 ? 'containerConcurrency 0 (unlimited on Knative)' : 'containerConcurrency unset (Knative default 0 = unlimited)';
  const target = autoscalerTarget(workload);
  const targetText = target === undefined ? '' : `; the autoscaler aims at ${target} in-flight requests per pod`;
  const current: Values = { containerConcurrency: written ?? null, requestSlots: slots?.slots ?? null };
  if (target !== undefined) current.autoscalerTarget = target;
  const evidence = uniqueEvidence([
    concurrencyEvidence(workload),
    ...(slots?.evidence ?? [server.workers.evidence, server.threads.evidence]),
  ]);
  if (slots === undefined) {
    return [
      {
        rule: ID,
        severity: 'warning',
        target: targetOf(workload, container),
        message: `${how} sends any number of requests to ${server.kind}, whose request slots pytuner cannot count${targetText}`,
        current,
        recommended: { containerConcurrency: null },
        evidence,
      },
    ];
  }
  const recommended = Math.min(slots.slots, MAX_CONTAINER_CONCURRENCY);
  const notes = ['a cluster can change the default in config-defaults container-concurrency; pytuner reads only the manifest'];
  const advice: ValueAdvice = { lead: `${how} sends any number of requests to ${server.kind}, which serves ${slots.slots} at a time (${slots.breakdown})${targetText}`, setting: 'containerConcurrency', value: recommended, tail: '' };
  return [
    {
      rule: ID,
      severity: 'warning',
      target: targetOf(workload, container),
      message: adviceMessage(advice),
      advice,
      current,
      recommended: { containerConcurrency: recommended },
      evidence,
      fix: fixFromChange(setContainerConcurrency(workload, recommended), notes),
      changes: [propose('containerConcurrency', written ?? 0, recommended, { target: changeTarget(workload, container), rule: ID, location: containerConcurrencyLocation(workload) })],
    },
  ];
}

/**
 * The concurrency the Knative autoscaler targets per pod when containerConcurrency is 0: `autoscaling.knative.dev/target`
 * or 100, times `target-utilization-percentage` or 70% (pkg/reconciler/autoscaling/resources/target.go). `undefined`
 * when the revision scales on another metric (rps, cpu) or the annotations are not numbers.
 */
function autoscalerTarget(workload: Workload): number | undefined {
  const a = workload.templateAnnotations;
  const metric = a['autoscaling.knative.dev/metric'];
  if (metric !== undefined && metric !== 'concurrency') return undefined;
  const total = a['autoscaling.knative.dev/target'] === undefined ? KNATIVE_TARGET_DEFAULT : Number(a['autoscaling.knative.dev/target']);
  const percentage = a['autoscaling.knative.dev/target-utilization-percentage'];
  const utilization = percentage === undefined ? KNATIVE_TARGET_UTILIZATION : Number(percentage) / 100;
  if (!Number.isFinite(total) || !Number.isFinite(utilization)) return undefined;
  return Math.round(Math.max(0.01, total * utilization) * 100) / 100;
}
