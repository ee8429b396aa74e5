/**
 * @module What the rules could not check, said in the report instead of by silence: a container whose CPU is unset
 * (no limit or request, and no platform default) or written as an expression pytuner does not evaluate, an interactive
 * app server (streamlit, gradio) that has no worker settings to tune, and a free-threaded build, for which the GIL
 * rules change. Pure; the notes go to `Report.notes`.
 */
import type { ContainerFacts, Inventory, Workload } from '../model/workload.ts';
import { freeThreaded } from './facts.ts';
import { serverPlugin } from '../model/server/registry.ts';

/** One note per container and reason, in inventory order. */
export function coverageNotes(inventory: Inventory): string[] {
  const notes: string[] = [];
  for (const workload of inventory.workloads) {
    for (const container of workload.containers) notes.push(...containerNotes(workload, container));
  }
  for (const image of inventory.standaloneImages) {
    if (image.server?.interactive !== undefined) notes.push(`${image.file}: ${image.server.interactive}`);
  }
  return notes;
}

function containerNotes(workload: Workload, container: ContainerFacts): string[] {
  const server = container.server;
  if (server === undefined) return [];
  const { ref } = workload;
  const where = `${ref.file ?? 'API server'}${ref.line === undefined ? '' : `:${ref.line}`}: ${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}[${container.name}]`;
  if (server.interactive !== undefined) return [`${where}: ${server.interactive}`];
  const notes: string[] = [];
  if (container.cpu === undefined) {
    notes.push(`${where}: not checked: no CPU limit or request, so workers and threads are not compared with vCPU (gunicorn.workers-vs-cpu, cloudrun.cpu-scaling)`);
  } else if (container.cpu.value === undefined) {
    notes.push(`${where}: not checked: the CPU is ${container.cpu.evidence.text ?? 'not known'}, so workers and threads are not compared with vCPU`);
  }
  const free = freeThreaded(container);
  if (free !== undefined) {
    notes.push(`${where}: free-threaded Python (${free.text ?? free.field}): threads of one process run Python on several cores, so fewer processes than vCPU is not flagged for threaded servers; ${server.kind}: ${serverPlugin(server.kind).concurrency.freeThreaded}`);
  }
  return notes;
}
