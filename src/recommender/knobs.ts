/**
 * @module Where each Python server takes its worker and thread counts, as `ServerKnob`s for `fixServerSetting`
 * (`src/rules/fixes.ts`), built from the knob declarations of the server plug-ins (`src/model/server/*.ts`).
 */
import type { ServerKind } from '../model/server.ts';
import type { KnobDeclaration } from '../model/server/plugin.ts';
import { serverPlugin } from '../model/server/registry.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { ServerKnob } from '../rules/fixes.ts';
import { appendEnvWords, setEnv } from '../rules/fixes.ts';

/** The workers knob of a server; `undefined` for servers with one process (waitress). */
export function workersKnob(kind: ServerKind, workload: Workload, container: ContainerFacts, value: number): ServerKnob | undefined {
  const declared = serverPlugin(kind).knobs.workers;
  return declared === undefined ? undefined : knobOf(declared, workload, container, value);
}

/** The threads knob of a server; `undefined` for event-loop servers (uvicorn, hypercorn). */
export function threadsKnob(kind: ServerKind, workload: Workload, container: ContainerFacts, value: number): ServerKnob | undefined {
  const declared = serverPlugin(kind).knobs.threads;
  return declared === undefined ? undefined : knobOf(declared, workload, container, value);
}

function knobOf(declared: KnobDeclaration, workload: Workload, container: ContainerFacts, value: number): ServerKnob {
  const unset = declared.whenUnset;
  return {
    // A setting with no flag or config key is read only from env or its default, and those are the paths
    // fixServerSetting takes for it; the empty names are never searched for.
    flag: declared.flag ?? { long: '' },
    confKey: declared.confKey ?? '',
    anchor: declared.anchor,
    ...(unset === undefined ? {} : 'env' in unset ? { unsetEnv: unset.env } : { unsetEnv: unset.envWords, unsetWords: unset.words(value) }),
    whenUnset: () => {
      if (unset === undefined) return undefined;
      if ('env' in unset) return setEnv(workload, container, unset.env, String(value));
      return appendEnvWords(workload, container, unset.envWords, unset.words(value));
    },
  };
}
