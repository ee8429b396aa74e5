// Real Knative Serving components (knative.dev/serving KNATIVE_SERVING_VERSION, scripts/versions.env) against a
// harness control plane, as plain processes: the webhook, so that every serving.knative.dev write goes through
// Knative's own defaulting and validation, and (for the tests that need it) the controller, which turns Services
// into Configurations, Revisions, Routes and the revision Deployments.
//
// The webhook runs in the control plane's network namespace: its only listeners are the webhook port
// (WEBHOOK_PORT) and pprof (PROFILING_PORT), both free ports picked here, and it serves metrics only when
// config-observability asks for them. kube-apiserver reaches it through an ExternalName Service
// knative-serving/webhook → 127.0.0.1 and verifies its TLS as webhook.knative-serving.svc, a name Knative's own
// certificate carries (a clientConfig.url to 127.0.0.1 fails: the certificate has no IP SAN).
// The controller hard-codes its health-probe port (8080), so it runs in a network namespace of its own
// (startKnativeController).
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { httpsRequest } from './https.ts';
import { crdModulesDir, scriptPath } from './paths.ts';
import { createServerGroup, exitedError, freeLoopbackPorts, pollUntil, runScript, type ManagedProcess } from './processes.ts';

export const KNATIVE_NAMESPACE = 'knative-serving';
/** The webhook configurations Knative's webhook reconciles; failurePolicy Fail on all three. */
export const KNATIVE_WEBHOOK_CONFIGURATIONS = [
  { kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', name: 'webhook.serving.knative.dev' },
  { kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', name: 'validation.webhook.serving.knative.dev' },
  { kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', name: 'config.webhook.serving.knative.dev' },
] as const;
/**
 * A namespace with this label is left alone by Knative's webhooks (the namespaceSelector Knative's reconciler
 * writes into its configurations). The tests put it only on namespaces that hold Cloud Run manifests, which are
 * Cloud Run's API and not Knative-admissible (a Cloud Run serviceAccountName is an IAM e-mail).
 */
export const KNATIVE_WEBHOOK_EXCLUDE_LABEL = 'webhooks.knative.dev/exclude';
/** The queue-proxy image the controller writes into revision Deployments; no Pod runs, so it is never pulled. */
export const QUEUE_SIDECAR_IMAGE = 'registry.example/knative/queue:v1.23.0';
/** Registries whose tags the controller does not resolve to digests (it would go to the network otherwise). */
export const SKIP_TAG_RESOLVING = ['kind.local', 'ko.local', 'dev.local', 'registry.example', 'docker.io', 'index.docker.io', 'gcr.io', 'ghcr.io', 'us-docker.pkg.dev', 'europe-docker.pkg.dev', 'europe-west1-docker.pkg.dev', 'us-central1-docker.pkg.dev'];

/** What the Knative processes need to know about the control plane. */
export interface KnativeTarget {
  server: string;
  /** The CA that verifies the API server. */
  ca: string;
  adminToken: string;
  kubeconfigPath: string;
  /** The directory holding kubectl. */
  binDir: string;
}

export interface KnativeWebhook {
  /** The webhook's port on 127.0.0.1 (also service.port in its webhook configurations). */
  port: number;
  /**
   * Deletes the webhook configurations, then stops the process. In this order: with failurePolicy Fail, a
   * configuration left behind a stopped webhook would refuse every serving.knative.dev write. Safe to call twice.
   */
  stop(): Promise<void>;
}

/** scripts/install-knative.sh prints the directory of the webhook and controller, building them the first time. */
async function knativeBinDir(): Promise<string> {
  const { lastLine } = await runScript(scriptPath('install-knative.sh')).catch((err: Error) => {
    throw new Error(`${err.message}. The Knative webhook and controller are built from knative.dev/serving with Go by that script`);
  });
  return lastLine;
}

async function servingModuleDir(): Promise<string> {
  return join(await crdModulesDir(), 'modules', 'knative-serving');
}

async function networkingModuleDir(): Promise<string> {
  return join(await crdModulesDir(), 'modules', 'knative-networking');
}

type Document = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

async function yamlDocuments(file: string): Promise<Document[]> {
  return (loadAll(await readFile(file, 'utf8')) as (Document | null)[]).filter((d): d is Document => d !== null && d !== undefined);
}

async function yamlDirectory(dir: string): Promise<Document[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  return (await Promise.all(files.map((f) => yamlDocuments(join(dir, f))))).flat();
}

/** `kubectl apply --server-side` of `documents`, in order (the namespace before what lives in it). */
export async function kubectlApply(target: KnativeTarget, documents: unknown[]): Promise<void> {
  const input = documents.map((d) => dump(d)).join('---\n');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(join(target.binDir, 'kubectl'), ['--kubeconfig', target.kubeconfigPath, 'apply', '--server-side', '--force-conflicts', '--field-manager=pytuner-test-harness', '-f', '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply of Knative's objects failed (exit code ${code}): ${stderr.trim()}`))));
    child.stdin.end(input);
  });
}

/**
 * The namespace, ConfigMaps (serving's config/core/configmaps and networking's config-network, as shipped, but
 * config-deployment's queue image and tag resolving, which point at ko:// and the network) and the empty
 * webhook-certs Secret that Knative's certificate controller fills.
 */
async function knativeSystemObjects(): Promise<Document[]> {
  const serving = join(await servingModuleDir(), 'config', 'core');
  const namespace = await yamlDocuments(join(serving, '100-namespace.yaml'));
  const configMaps = [...(await yamlDirectory(join(serving, 'configmaps'))), ...(await yamlDocuments(join(await networkingModuleDir(), 'config', 'config-network.yaml')))];
  for (const configMap of configMaps) {
    if (configMap.metadata.name === 'config-deployment') {
      configMap.data = { ...(configMap.data as Record<string, string>), 'queue-sidecar-image': QUEUE_SIDECAR_IMAGE, 'registries-skipping-tag-resolving': SKIP_TAG_RESOLVING.join(',') };
    }
  }
  const secret = await yamlDocuments(join(serving, 'webhooks', 'secret.yaml'));
  return [...namespace, ...configMaps, ...secret];
}

/** Knative's three webhook configurations as shipped, pointed at `port` of the ExternalName Service. */
async function webhookConfigurations(port: number): Promise<Document[]> {
  const dir = join(await servingModuleDir(), 'config', 'core', 'webhooks');
  const documents = (await Promise.all(['defaulting.yaml', 'resource-validation.yaml', 'configmap-validation.yaml'].map((f) => yamlDocuments(join(dir, f))))).flat();
  for (const document of documents) {
    for (const webhook of document.webhooks as { clientConfig: { service: { port?: number } } }[]) webhook.clientConfig.service.port = port;
  }
  return documents;
}

function webhookService(port: number): Document {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'webhook', namespace: KNATIVE_NAMESPACE },
    spec: { type: 'ExternalName', externalName: '127.0.0.1', ports: [{ name: 'https-webhook', port, targetPort: port }] },
  };
}

/** The environment Knative's Deployments give their containers (config/core/deployments). */
function knativeEnv(podName: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SYSTEM_NAMESPACE: KNATIVE_NAMESPACE,
    POD_NAME: podName,
    CONFIG_LOGGING_NAME: 'config-logging',
    CONFIG_OBSERVABILITY_NAME: 'config-observability',
    ...extra,
  };
}

/** A Service that both Knative webhooks must have seen: the mutating one writes the creator annotation. */
function probeService(containerConcurrency: number): unknown {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'pytuner-webhook-probe', namespace: 'default' },
    spec: { template: { spec: { containerConcurrency, containers: [{ image: 'registry.example/probe:1' }] } } },
  };
}

/**
 * Installs Knative's system objects and webhook configurations and starts the real webhook; resolves once a
 * dry-run create of a Service is defaulted by it and an invalid one is refused by it.
 */
export async function startKnativeWebhook(target: KnativeTarget, options: { timeoutMs?: number } = {}): Promise<KnativeWebhook> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const binDir = await knativeBinDir();
  const [port, profilingPort] = (await freeLoopbackPorts(2)) as [number, number];
  await kubectlApply(target, [...(await knativeSystemObjects()), webhookService(port)]);
  await kubectlApply(target, await webhookConfigurations(port));

  const group = await createServerGroup('pytuner-knative-webhook-');
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= deleteWebhookConfigurations(target).finally(() => group.stop()));
  try {
    const webhook = group.start(
      'knative-webhook',
      join(binDir, 'webhook'),
      [`--kubeconfig=${target.kubeconfigPath}`],
      knativeEnv('webhook-pytuner-test-0', { WEBHOOK_NAME: 'webhook', WEBHOOK_PORT: String(port), PROFILING_PORT: String(profilingPort) }),
    );
    await pollUntil('the Knative webhook to default and validate a dry-run Service', () => webhookAnswers(target), { timeoutMs, intervalMs: 250, abortIf: () => exitedError(webhook) });
    return { port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function webhookAnswers(target: KnativeTarget): Promise<true | undefined> {
  const path = `${target.server}/apis/serving.knative.dev/v1/namespaces/default/services?dryRun=All`;
  const request = (body: unknown) => httpsRequest(path, { method: 'POST', ca: target.ca, token: target.adminToken, contentType: 'application/json', body: JSON.stringify(body) });
  const valid = await request(probeService(8));
  if (valid.status !== 201) return undefined; // no endpoint yet, or the certificate is not written yet
  const annotations = (JSON.parse(valid.body) as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {};
  if (!('serving.knative.dev/creator' in annotations)) return undefined;
  const invalid = await request(probeService(1001));
  return invalid.status === 400 && invalid.body.includes('validation.webhook.serving.knative.dev') ? true : undefined;
}

async function deleteWebhookConfigurations(target: KnativeTarget): Promise<void> {
  await Promise.all(
    KNATIVE_WEBHOOK_CONFIGURATIONS.map(async ({ plural, name }) => {
      const { status, body } = await httpsRequest(`${target.server}/apis/admissionregistration.k8s.io/v1/${plural}/${name}`, { method: 'DELETE', ca: target.ca, token: target.adminToken });
      if (status >= 300 && status !== 404) throw new Error(`deleting ${plural}/${name} failed with HTTP ${status}: ${body}`);
    }),
  );
}

export interface KnativeController {
  process: ManagedProcess;
  /** Stops the controller and its network namespace; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts Knative's controller against a control plane that already runs the webhook (startKnativeWebhook wrote
 * config-network and config-deployment). The controller serves health probes on a hard-coded :8080 (knative.dev/pkg
 * injection.HealthCheckDefaultPort) and pprof on :8008, so it runs in a network namespace of its own
 * (`unshare -n`, which needs root or CAP_SYS_ADMIN), where it sees only loopback: harness/netnsBridge.ts listens
 * there on the API server's port and forwards to a Unix socket that this process forwards to the API server. The
 * kubeconfig's https://127.0.0.1:<port> and the server certificate stay valid on both sides.
 */
export async function startKnativeController(target: KnativeTarget): Promise<KnativeController> {
  const binDir = await knativeBinDir();
  const apiserverPort = Number(new URL(target.server).port);
  const group = await createServerGroup('pytuner-knative-controller-');
  const socketPath = join(group.dir, 'apiserver.sock');
  const bridge = createServer((inside) => {
    const outside = connect(apiserverPort, '127.0.0.1');
    inside.pipe(outside).pipe(inside);
    inside.on('error', () => outside.destroy());
    outside.on('error', () => inside.destroy());
  });
  await new Promise<void>((resolve, reject) => bridge.once('error', reject).listen(socketPath, resolve));
  const controller = group.start(
    'knative-controller',
    'unshare',
    ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, join(import.meta.dirname, 'netnsBridge.ts'), socketPath, String(apiserverPort), join(binDir, 'controller'), `--kubeconfig=${target.kubeconfigPath}`],
    { ...knativeEnv('controller-pytuner-test-0', {}), PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  );
  let stopped: Promise<void> | undefined;
  return {
    process: controller,
    stop: () => (stopped ??= group.stop().finally(() => new Promise<void>((resolve) => bridge.close(() => resolve())))),
  };
}
