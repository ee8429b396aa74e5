// vitest globalSetup of the `integration` project: one control plane for the whole run, shared by every test
// file. Tests isolate themselves by namespace (see uniqueNamespace in kube.ts), so files may run in parallel.
// The real Knative Serving webhook admits every serving.knative.dev write made against it (harness/knative.ts).
import type { TestProject } from 'vitest/node';
import { startControlPlane, type ControlPlane } from './controlPlane.ts';
import { startKnativeWebhook } from './knative.ts';
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
  const webhookStarted = performance.now();
  const webhook = await startKnativeWebhook(provided).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  process.stderr.write(
    `integration control plane ready in ${(timings.totalMs / 1000).toFixed(1)} s at ${provided.server}, Knative webhook in ${((performance.now() - webhookStarted) / 1000).toFixed(1)} s\n`,
  );
  project.provide('controlPlane', provided);
  // vitest calls it as the teardown: the webhook's configurations go before the webhook, then the control plane.
  return async () => {
    await webhook.stop();
    await stop();
  };
}
