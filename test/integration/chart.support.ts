// What the chart tests share: the helm binary (built from its Go module by scripts/install-helm.sh), rendering and
// installing charts/pytuner, the ServiceAccount's own credentials (a TokenRequest token) and kubectl.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, inject } from 'vitest';
import { adminClients } from './harness/kube.ts';
import { repoRoot, scriptPath } from './harness/paths.ts';
import { runScript } from './harness/processes.ts';

/** The chart under test. */
export const CHART_DIR = resolve(repoRoot, 'charts', 'pytuner');

/** A first build of helm takes minutes (scripts/install-helm.sh); later runs find it in the cache at once. */
export const HELM_BUILD_TIMEOUT_MS = 15 * 60_000;

let helmPath: Promise<string> | undefined;

/** The path of the helm binary, built once per machine (and located once per test file). */
export function helmBinary(): Promise<string> {
  helmPath ??= runScript(scriptPath('install-helm.sh')).then((result) => result.lastLine);
  return helmPath;
}

/** What a command printed, and how it exited. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

let scratch: Promise<string> | undefined;

/** A directory of this test file's own for helm's state, values files and kubeconfigs; removed after the file. */
export function scratchDir(): Promise<string> {
  scratch ??= mkdtemp(join(tmpdir(), 'pytuner-chart-test-'));
  return scratch;
}

afterAll(async () => {
  if (scratch !== undefined) await rm(await scratch, { recursive: true, force: true });
});

/**
 * A chart named `name` whose one template is `object` without its namespace, its container image the value `image`
 * (the object carries the placeholder `IMAGE`): a deploy tool's release of one workload.
 */
export async function oneObjectChart(name: string, object: KubernetesObject): Promise<string> {
  const dir = join(await scratchDir(), `${name}-chart`);
  await mkdir(join(dir, 'templates'), { recursive: true });
  await writeFile(join(dir, 'Chart.yaml'), dump({ apiVersion: 'v2', name, version: '0.1.0' }));
  const { namespace: _, ...metadata } = object.metadata ?? {};
  await writeFile(join(dir, 'templates', 'object.yaml'), dump({ ...object, metadata }).replace('IMAGE', '{{ .Values.image }}'));
  return dir;
}

/** Runs helm with its config, cache and data in the scratch directory, against the harness's API server. */
export async function helm(args: string[]): Promise<CommandResult> {
  const home = join(await scratchDir(), 'helm');
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: inject('controlPlane').kubeconfigPath,
  };
  return run(await helmBinary(), args, env);
}

/** Runs kubectl from the harness's binaries as the admin user. */
export function kubectl(args: string[], stdin?: string): Promise<CommandResult> {
  const { binDir, kubeconfigPath } = inject('controlPlane');
  return run(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfigPath, ...args], process.env, stdin);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(command, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') reject(error);
      else resolvePromise({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** A release name no other test uses: the ClusterRole and its binding are cluster-scoped and named after it. */
export function uniqueRelease(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Writes `values` to a file for `helm -f`. */
export async function valuesFile(values: Record<string, unknown>): Promise<string> {
  const file = join(await scratchDir(), `values-${randomBytes(4).toString('hex')}.yaml`);
  await writeFile(file, dump(values));
  return file;
}

/** `helm template`: the objects the chart renders with `values`; throws with helm's message when it refuses. */
export async function render(release: string, namespace: string, values: Record<string, unknown> = {}, extraArgs: string[] = []): Promise<KubernetesObject[]> {
  const result = await helm(['template', release, CHART_DIR, '--namespace', namespace, '-f', await valuesFile(values), ...extraArgs]);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}): ${result.stderr}`);
  return parseObjects(result.stdout);
}

/** The Kubernetes objects of a multi-document YAML stream (empty documents dropped). */
export function parseObjects(text: string): KubernetesObject[] {
  return loadAll(text).filter((doc): doc is KubernetesObject => typeof doc === 'object' && doc !== null);
}

/** The one object of `kind` (and `name`, when given) among `objects`; fails when there is not exactly one. */
export function only<T = KubernetesObject>(objects: KubernetesObject[], kind: string, name?: string): T {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (matches.length !== 1) throw new Error(`expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${matches.length}`);
  return matches[0] as T;
}

/** `helm install`, which the test undoes with `uninstall` (the ClusterRole outlives the namespace otherwise). */
export async function install(release: string, namespace: string, values: Record<string, unknown> = {}): Promise<CommandResult> {
  return helm(['install', release, CHART_DIR, '--namespace', namespace, '-f', await valuesFile(values)]);
}

/** `helm upgrade` of an installed release with new values. */
export async function upgrade(release: string, namespace: string, values: Record<string, unknown>): Promise<CommandResult> {
  return helm(['upgrade', release, CHART_DIR, '--namespace', namespace, '-f', await valuesFile(values)]);
}

/** `helm uninstall`. */
export function uninstall(release: string, namespace: string): Promise<CommandResult> {
  return helm(['uninstall', release, '--namespace', namespace]);
}

/**
 * A KubeConfig that authenticates as the ServiceAccount `namespace/name` with a token from the TokenRequest API (the
 * harness's kube-apiserver signs them), so requests get exactly the RBAC the chart binds to it.
 */
export async function serviceAccountKubeConfig(namespace: string, name: string): Promise<KubeConfig> {
  const admin = adminClients();
  const request = await admin.core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = request.status?.token;
  if (token === undefined) throw new Error(`no token for ServiceAccount ${namespace}/${name}`);
  const cluster = admin.kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig has no cluster');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'harness', server: cluster.server, caData: cluster.caData }],
    users: [{ name, token }],
    contexts: [{ name, cluster: 'harness', user: name, namespace }],
    currentContext: name,
  });
  return kubeConfig;
}

/** The kubeconfig file of `kubeConfig` (for a controller started as a process), in a directory of its own. */
export async function kubeconfigFile(kubeConfig: KubeConfig, mode = 0o600): Promise<string> {
  const directory = await mkdtemp(join(await scratchDir(), 'kubeconfig-'));
  const file = join(directory, 'kubeconfig');
  await writeFile(file, kubeConfig.exportConfig(), { mode });
  return file;
}
