/**
 * @module The Kubernetes-object renderer for the values the controller writes to a workload: one RFC 6902 JSON Patch,
 * with `test` guards, against the object as read. Each value is rendered by the building blocks the rules' and the
 * solver's fixes are made of (setContainerConcurrency, setEnv, addStartupProbe in src/rules/fixes.ts) and the patch
 * is ordered as the report's fix planner orders one (orderOps, render/fixPlan.ts). So for the same object and the
 * same values, the ops the actuator sends are the ops `pytuner report --fix` applies, `--emit-patches` prints and a
 * TuningRecommendation's `status.fix` carries (test/integration/actuator-fix.test.ts). The actuator adds only its
 * own guards around them (src/actuator/plan.ts). Pure.
 */
import type { JsonPatchOp } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import { addStartupProbe, setContainerConcurrency, setEnv } from '../rules/fixes.ts';
import { orderOps } from './fixPlan.ts';

/** A value to write to a workload, as the actuator decided it (after the policy's bounds and step limit). */
export type ObjectValue =
  | { setting: 'containerConcurrency'; to: number }
  | { setting: 'env'; container: string; name: string; to: string }
  | { setting: 'startupProbe'; container: string; probe: Record<string, unknown> };

/** The patch, or the value that names a container the workload does not have. */
export type ObjectPatch = { ok: true; ops: JsonPatchOp[] } | { ok: false; reason: string };

/** True when the container has an `env` list in the object (an entry carries its index there). */
function hasEnvList(container: ContainerFacts): boolean {
  return [...container.env.values()].some((e) => e.index !== undefined);
}

/**
 * renderObjectPatch renders `values` as one JSON Patch of `workload`. Several env entries added to a container that
 * has no `env` list are one `add` of the list holding them all, as the solver writes them (src/solve/solve.ts
 * combineEnvWrites): apart, each would add the whole list and replace the entries added before it.
 */
export function renderObjectPatch(workload: Workload, values: readonly ObjectValue[]): ObjectPatch {
  const newEnvLists = new Map<ContainerFacts, { name: string; value: string }[]>();
  const located: { value: ObjectValue; container?: ContainerFacts }[] = [];
  for (const value of values) {
    if (value.setting === 'containerConcurrency') {
      located.push({ value });
      continue;
    }
    const container = workload.containers.find((c) => c.name === value.container);
    if (container === undefined) return { ok: false, reason: `${workload.ref.kind} ${workload.ref.name} has no container ${value.container}` };
    located.push({ value, container });
    if (value.setting === 'env' && !hasEnvList(container)) newEnvLists.set(container, [...(newEnvLists.get(container) ?? []), { name: value.name, value: value.to }]);
  }
  const lists: JsonPatchOp[][] = [];
  for (const { value, container } of located) {
    if (value.setting === 'containerConcurrency') lists.push(setContainerConcurrency(workload, value.to).jsonPatch);
    else if (container === undefined) continue;
    else if (value.setting === 'startupProbe') lists.push(addStartupProbe(workload, container, value.probe).jsonPatch);
    else lists.push(envOps(workload, container, value, newEnvLists.get(container)));
  }
  return { ok: true, ops: orderOps(lists) };
}

/** One env value's ops; on a container with no `env` list, the first of its values adds the list with all of them. */
function envOps(workload: Workload, container: ContainerFacts, value: Extract<ObjectValue, { setting: 'env' }>, newList: readonly { name: string; value: string }[] | undefined): JsonPatchOp[] {
  if (newList === undefined || newList.length === 1) return setEnv(workload, container, value.name, value.to).jsonPatch;
  if (newList[0]?.name !== value.name) return [];
  return [{ op: 'add', path: `${workload.podSpecPointer}/containers/${container.index}/env`, value: newList }];
}
