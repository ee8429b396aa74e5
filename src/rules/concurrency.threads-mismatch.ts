/**
 * @module `concurrency.threads-mismatch`: the requests a Knative/Cloud Run proxy lets into a container
 * (`containerConcurrency`) differ from the requests its Python server can serve at once (workers × threads).
 * @see docs/rules/concurrency.threads-mismatch.md
 */
import type { Finding, Severity, ValueAdvice, Values } from '../model/finding.ts';
import { adviceMessage } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import type { PlatformConcurrency, RequestSlots } from './facts.ts';
import { MAX_CONTAINER_CONCURRENCY, platformConcurrency, requestSlots, targetOf, uniqueEvidence } from './facts.ts';
import { fixFromChange, setContainerConcurrency, setEnv, where } from './fixes.ts';
import { changeTarget, containerConcurrencyLocation, propose } from './changes.ts';

const ID = 'concurrency.threads-mismatch';

/**
 * Above this many requests per slot the excess waits in the server's accept backlog while the autoscaler believes
 * the instance is busy serving them: 4× means three quarters of admitted requests are queued.
 */
const CRITICAL_RATIO = 4;

/** `concurrency.threads-mismatch`: containerConcurrency ≠ the server's request slots. */
export const threadsMismatch: Rule = {
  id: ID,
  severity: 'critical',
  summary: 'containerConcurrency differs from the request slots of the Python server (workers × threads)',
  check: (inventory) =>
    inventory.workloads.flatMap((workload) => {
      const concurrency = platformConcurrency(workload);
      if (concurrency === undefined) return [];
      return workload.containers.flatMap((container) => checkContainer(workload, container, concurrency));
    }),
};

function checkContainer(workload: Workload, container: ContainerFacts, concurrency: PlatformConcurrency): Finding[] {
  if (container.server === undefined) return [];
  const slots = requestSlots(container.server);
  if (slots === undefined || slots.slots === concurrency.value) return [];
  const recommended = Math.min(slots.slots, MAX_CONTAINER_CONCURRENCY);
  const threadsAlternative = threadsViaEnv(container, concurrency, slots);
  const current: Values = { containerConcurrency: concurrency.value, workers: slots.workers, threads: slots.threads, requestSlots: slots.slots };
  const recommendedValues: Values = { containerConcurrency: recommended };
  if (threadsAlternative !== undefined) recommendedValues.THREADS = threadsAlternative;
  const said = advice(container, concurrency, slots, recommended, threadsAlternative);
  return [
    {
      rule: ID,
      severity: severityFor(concurrency.value, slots.slots),
      target: targetOf(workload, container),
      message: adviceMessage(said),
      advice: said,
      current,
      recommended: recommendedValues,
      evidence: uniqueEvidence([concurrency.evidence, ...slots.evidence]),
      fix: fixFromChange(setContainerConcurrency(workload, recommended), notes(workload, container, concurrency, slots, threadsAlternative)),
      changes: [propose('containerConcurrency', concurrency.value, recommended, { target: changeTarget(workload, container), rule: ID, location: containerConcurrencyLocation(workload) })],
    },
  ];
}

function severityFor(concurrency: number, slots: number): Severity {
  if (concurrency < slots) return 'info';
  return concurrency >= CRITICAL_RATIO * slots ? 'critical' : 'warning';
}

/**
 * When threads come from `$THREADS` (the Cloud Run guide's convention: "set THREADS equal to the concurrency"),
 * raising or lowering THREADS to ceil(concurrency / workers) is the other way to line the two up.
 */
function threadsViaEnv(container: ContainerFacts, concurrency: PlatformConcurrency, slots: RequestSlots): number | undefined {
  const threads = container.server?.threads;
  if (threads?.viaEnv !== 'THREADS' || container.server?.model !== 'threaded') return undefined;
  return Math.ceil(concurrency.value / slots.workers);
}

function advice(container: ContainerFacts, concurrency: PlatformConcurrency, slots: RequestSlots, recommended: number, threads: number | undefined): ValueAdvice {
  const server = container.server!.kind;
  const tail = threads === undefined ? '' : ` or THREADS to ${threads}`;
  const lead =
    concurrency.value > slots.slots
      ? `${concurrency.described} admits ${concurrency.value} requests but ${server} serves ${slots.slots} at a time (${slots.breakdown}): ${concurrency.value - slots.slots} wait in its backlog`
      : `${concurrency.described} admits ${concurrency.value} requests but ${server} has ${slots.slots} request slots (${slots.breakdown}): ${slots.slots - concurrency.value} stay idle`;
  return { lead, setting: 'containerConcurrency', value: recommended, tail };
}

function notes(workload: Workload, container: ContainerFacts, concurrency: PlatformConcurrency, slots: RequestSlots, threads: number | undefined): string[] {
  const out: string[] = [];
  if (slots.slots > MAX_CONTAINER_CONCURRENCY) out.push(`containerConcurrency is capped at ${MAX_CONTAINER_CONCURRENCY}; ${slots.slots} slots exceed it`);
  if (workload.platform === 'cloudrun' && container.cpu?.value !== undefined && container.cpu.value < 1 && slots.slots > 1) {
    out.push(`Cloud Run requires containerConcurrency 1 below 1 vCPU (cpu ${container.cpu.value}): raise cpu to 1 or serve one request at a time`);
  }
  if (threads !== undefined) {
    const env = container.env.get('THREADS');
    const ops = setEnv(workload, container, 'THREADS', String(threads)).jsonPatch;
    const at = env === undefined ? '' : ` (${where(env.evidence)})`;
    out.push(
      `alternative, instead of this fix: keep ${concurrency.described} and set THREADS=${threads}${at}, JSON patch ${JSON.stringify(ops)}; apply one of the two, not both`,
    );
  }
  return out;
}
