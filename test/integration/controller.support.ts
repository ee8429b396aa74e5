// What the controller tests share: the controller started in-process (or as a `pytuner controller` child process)
// against the harness's control plane, watching one test namespace, and builders for the objects it reads.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { inject, onTestFailed, onTestFinished } from 'vitest';
import { startController, type ControllerConfig, type RunningController } from '../../src/controller/main.ts';
import { createLogger } from '../../src/controller/log.ts';
import type { TuningRecommendation } from '../../src/api/v1alpha1/tuningRecommendation.ts';
import { adminClients } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';

/** Log level of in-process controllers: silent unless PYTUNER_TEST_LOG=debug (or info…) asks to see them on stderr. */
const TEST_LOG_LEVEL = (process.env['PYTUNER_TEST_LOG'] ?? 'silent') as 'silent';

/** Starts a controller in this process watching `namespace` only; it is stopped when the test finishes. */
export async function startTestController(namespace: string, overrides: Partial<ControllerConfig> = {}): Promise<RunningController> {
  const controller = await startController({
    kubeConfig: adminClients().kubeConfig,
    namespace,
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    resyncMs: 60_000,
    discoveryIntervalMs: 1_000,
    informerBackoff: { baseMs: 200, maxMs: 2_000 },
    shutdownTimeoutMs: 5_000,
    log: createLogger({ level: TEST_LOG_LEVEL }),
    ...overrides,
  });
  onTestFinished(() => controller.stop());
  return controller;
}

/** GETs a path of the controller's operations endpoint. */
export async function operations(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.text() };
}

/** The value of one sample of a metric in Prometheus text, e.g. `pytuner_recommendations{rule="x"}`; undefined when absent. */
export function metricValue(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/** A Knative Service whose single container runs gunicorn with `args`. */
export interface KnativeServiceSpec {
  args: string[];
  containerConcurrency?: number;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

/** The Knative Service object (no status). */
export function knativeService(namespace: string, name: string, spec: KnativeServiceSpec): KubernetesObject & { spec: Record<string, unknown> } {
  const podSpec: Record<string, unknown> = { containers: [{ name: 'app', image: 'europe-docker.pkg.dev/demo/app:1.0.0', args: spec.args }] };
  if (spec.containerConcurrency !== undefined) podSpec.containerConcurrency = spec.containerConcurrency;
  const metadata: Record<string, unknown> = { name, namespace };
  if (spec.annotations !== undefined) metadata.annotations = spec.annotations;
  if (spec.labels !== undefined) metadata.labels = spec.labels;
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata, spec: { template: { spec: podSpec } } };
}

/** gunicorn with 1 worker × 8 threads: 8 request slots. */
export const GUNICORN_1X8 = ['gunicorn', '--workers', '1', '--threads', '8', '--bind', ':8080', 'app:app'];

/** Server-side applies `object` as `manager` (a deploy tool, a GitOps controller). */
export async function applyAs<T extends KubernetesObject>(object: T, manager: string): Promise<T> {
  return adminClients().objects.patch(object, undefined, undefined, manager, true, PatchStrategy.ServerSideApply);
}

/** Creates `object` (manager: the client's default, an Update operation). */
export async function create<T extends KubernetesObject>(object: T): Promise<T> {
  return adminClients().objects.create(object);
}

/** Reads an object as the API server has it now. */
export async function read<T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string, name: string): Promise<T> {
  return adminClients().objects.read<T>({ apiVersion, kind, metadata: { name, namespace } });
}

/** Reads a Knative Service. */
export function readService(namespace: string, name: string): Promise<KubernetesObject & { spec: { template: { spec: Record<string, unknown> } } }> {
  return read('serving.knative.dev/v1', 'Service', namespace, name);
}

/**
 * Marks a Knative Service Ready for its current generation, as Knative's controller would (none runs here): through
 * the status subresource, so the spec and its managed fields stay as they are.
 */
export async function markServiceReady(namespace: string, name: string): Promise<number> {
  const live = await readService(namespace, name);
  const generation = live.metadata?.generation ?? 1;
  await adminClients().custom.patchNamespacedCustomObjectStatus(
    {
      group: 'serving.knative.dev',
      version: 'v1',
      namespace,
      plural: 'services',
      name,
      body: { status: { observedGeneration: generation, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return generation;
}

/** Marks a Deployment's rollout complete for its current generation, as the deployment controller would. */
export async function markDeploymentRolledOut(namespace: string, name: string): Promise<void> {
  const { apps } = adminClients();
  const live = await apps.readNamespacedDeployment({ namespace, name });
  const replicas = live.spec?.replicas ?? 1;
  await apps.patchNamespacedDeploymentStatus(
    { namespace, name, body: { status: { observedGeneration: live.metadata?.generation ?? 1, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** A TuningPolicy object. */
export function tuningPolicy(namespace: string, name: string, spec: Record<string, unknown>): KubernetesObject {
  return { apiVersion: 'pytuner.dev/v1alpha1', kind: 'TuningPolicy', metadata: { name, namespace }, spec } as KubernetesObject;
}

/** Reads the TuningRecommendation `name`, or undefined while it does not exist. */
export async function recommendation(namespace: string, name: string): Promise<TuningRecommendation | undefined> {
  try {
    return (await adminClients().custom.getNamespacedCustomObject({ group: 'pytuner.dev', version: 'v1alpha1', namespace, plural: 'tuningrecommendations', name })) as TuningRecommendation;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** The condition `type` of a status. */
export function condition(status: { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined, type: string) {
  return status?.conditions?.find((c) => c.type === type);
}

/** Events in `namespace` about `name`, as reason and note (core/v1 shows events.k8s.io notes as `message`). */
export async function eventsAbout(namespace: string, name: string): Promise<Array<{ reason: string; type: string; note: string }>> {
  const list = await adminClients().core.listNamespacedEvent({ namespace });
  return list.items
    .filter((e) => e.involvedObject.name === name)
    .map((e) => ({ reason: e.reason ?? '', type: e.type ?? '', note: e.message ?? '' }));
}

/** Which managers own spec.template.spec.containerConcurrency in `managedFields`. */
export function containerConcurrencyOwners(live: KubernetesObject): string[] {
  type Entry = { manager?: string; fieldsV1?: { 'f:spec'?: { 'f:template'?: { 'f:spec'?: Record<string, unknown> } } } };
  return ((live.metadata?.managedFields ?? []) as Entry[])
    .filter((e) => e.fieldsV1?.['f:spec']?.['f:template']?.['f:spec']?.['f:containerConcurrency'] !== undefined)
    .map((e) => e.manager ?? '');
}

/** A `pytuner controller` child process, its JSON log lines, and how it exited. */
export interface ControllerProcess {
  child: ChildProcess;
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** The port of its operations endpoint, once it has logged "controller started"; rejects if it exits before. */
  port(): Promise<number>;
  /** Resolves with the exit code (or the signal's name) when it has exited and its stderr has been read to the end. */
  exited: Promise<number | string>;
}

/** Spawns `pytuner controller` (from source, with this Node) on the harness's kubeconfig; killed when the test finishes. */
export function spawnController(args: string[]): ControllerProcess {
  const child = spawn(process.execPath, [resolve(repoRoot, 'src/cli/main.ts'), 'controller', '--kubeconfig', inject('controlPlane').kubeconfigPath, '--metrics-port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  // Every stderr line as it arrived, by the test's clock: printed when the test fails (a timeout included), so a flake
  // seen once in CI comes with what each controller did and when.
  const received: string[] = [];
  const spawnedAt = Date.now();
  let announcePort: (port: number) => void;
  let failPort: (error: Error) => void;
  const portPromise = new Promise<number>((resolvePort, rejectPort) => {
    announcePort = resolvePort;
    failPort = rejectPort;
  });
  // Handled here as well: a port nobody asks for must not fail the run as an unhandled rejection.
  portPromise.catch(() => undefined);
  createInterface(child.stderr!).on('line', (line) => {
    received.push(`+${Date.now() - spawnedAt}ms ${line}`);
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      entry = { msg: line };
    }
    logs.push(entry);
    if (entry['msg'] === 'controller started' && typeof entry['port'] === 'number') announcePort(entry['port']);
  });
  // 'close', not 'exit': at 'exit' the last lines ("stopped") may still be in the pipe, and a test reads them next.
  const exited = new Promise<number | string>((resolveExit) =>
    child.once('close', (code, signal) => {
      // A controller that could not start never announces its port: fail the waiter instead of holding the test.
      failPort(new Error(`the controller exited with ${code ?? signal} before it announced its port`));
      resolveExit(code ?? signal ?? 'unknown');
    }),
  );
  onTestFailed(() => {
    const state = child.exitCode === null && child.signalCode === null ? `still running at +${Date.now() - spawnedAt}ms` : `exited with ${child.exitCode ?? child.signalCode}`;
    process.stderr.write(`--- pytuner controller pid ${child.pid} (${args.join(' ')}), spawned ${new Date(spawnedAt).toISOString()}, ${state}; its stderr:\n${received.join('\n')}\n---\n`);
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, logs, port: () => portPromise, exited };
}
