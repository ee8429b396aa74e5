// vitest globalSetup of the `integration` project: one control plane for the whole run, shared by every test
// file. Tests isolate themselves by namespace (see uniqueNamespace in kube.ts), so files may run in parallel.
import type { TestProject } from 'vitest/node';
import { startControlPlane, type ControlPlane } from './controlPlane.ts';
import { locatePrometheusBinaries } from './prometheus.ts';

/** What tests get with `inject('controlPlane')`: everything but the functions, which cannot cross to workers. */
export type ProvidedControlPlane = Omit<ControlPlane, 'stop' | 'restartApiserver' | 'timings'>;

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: ProvidedControlPlane;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await locatePrometheusBinaries(); // installs them if missing, before any test's hook timeout runs
  // restartApiserver is left out too: a test that restarts the API server starts a control plane of its own.
  const { stop, restartApiserver: _restart, timings, ...provided } = await startControlPlane();
  process.stderr.write(`integration control plane ready in ${(timings.totalMs / 1000).toFixed(1)} s at ${provided.server}\n`);
  project.provide('controlPlane', provided);
  return stop; // vitest calls it as the teardown
}
