// pytuner's startupProbe patch under the real Knative Serving controller (v1.23): the controller turns each
// Service into a Configuration, a Revision and the revision's Deployment (with the real queue-proxy sidecar), so a
// patch that would stop a revision from rolling out fails here. This file starts a control plane of its own: the
// controller reconciles every namespace and would write into other test files' Services on the shared one.
// No Pod runs (no scheduler or kubelet); the Deployment object is what Knative produces and the API server checks.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startControlPlane, type ControlPlane } from './harness/controlPlane.ts';
import { startKnativeController, startKnativeWebhook, type KnativeController, type KnativeWebhook } from './harness/knative.ts';
import { clientsFor } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';

// The controller's first reconcile takes a while on a loaded 2-core machine; the test timeout leaves room for the poll's own error.
const poll = { timeout: 120_000, interval: 1_000 };
const TEST_TIMEOUT_MS = 180_000;
/** Knative's warning about containers without a hardened securityContext: advice on its future defaults. */
const KNATIVE_SECURITY_ADVICE = /^Warning: Kubernetes default value is insecure, Knative may default this to secure in a future release: .*\n/gm;

type Doc = { metadata: { name: string; namespace?: string }; spec: { template: { spec: { serviceAccountName?: string } } } };
type Condition = { type: string; status: string; reason?: string; message?: string };
type Revision = { metadata: { name: string }; status?: { conditions?: Condition[] } };

/** An example's Service, in `namespace`, with a Kubernetes service account name instead of Cloud Run's IAM e-mail. */
function knativeAdmissible(file: string, namespace: string): Doc {
  const doc = load(readFileSync(join(repoRoot, file), 'utf8')) as Doc;
  doc.metadata.namespace = namespace;
  const podSpec = doc.spec.template.spec;
  if (podSpec.serviceAccountName) podSpec.serviceAccountName = podSpec.serviceAccountName.split('@')[0];
  return doc;
}

describe('the real Knative controller', () => {
  let controlPlane: ControlPlane;
  let webhook: KnativeWebhook | undefined;
  let controller: KnativeController | undefined;
  let patchDir: string;

  beforeAll(async () => {
    patchDir = mkdtempSync(join(tmpdir(), 'pytuner-knative-patches-'));
    // pytuner writes an httpGet startupProbe only on a path it has evidence for: the checkout example, copied, gets the
    // pytuner.dev/health-path annotation a user would add.
    const examples = mkdtempSync(join(tmpdir(), 'pytuner-knative-examples-'));
    cpSync(join(repoRoot, 'examples'), examples, { recursive: true });
    const checkoutFile = join(examples, 'cloudrun-checkout', 'service.yaml');
    writeFileSync(checkoutFile, readFileSync(checkoutFile, 'utf8').replace('  annotations:\n', "  annotations:\n    pytuner.dev/health-path: /healthz\n"));
    const emitted = new Promise<number | null>((done) =>
      spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'report', '-f', examples, '--emit-patches', patchDir, '-o', 'json'], { cwd: repoRoot, stdio: 'ignore' }).on('close', done),
    );
    controlPlane = await startControlPlane();
    webhook = await startKnativeWebhook(controlPlane);
    controller = await startKnativeController(controlPlane);
    expect(await emitted).toBe(0);
  });
  afterAll(async () => {
    await controller?.stop();
    await webhook?.stop();
    await controlPlane?.stop();
    rmSync(patchDir, { recursive: true, force: true });
  });

  function kubectl(args: string[], input?: string) {
    return spawnSync(join(controlPlane.binDir, 'kubectl'), ['--kubeconfig', controlPlane.kubeconfigPath, ...args], { input, encoding: 'utf8' });
  }

  async function createNamespace(name: string): Promise<void> {
    await clientsFor(controlPlane.kubeconfigPath).core.createNamespace({ body: { metadata: { name } } });
  }

  async function revision(namespace: string, name: string): Promise<Revision | undefined> {
    const run = kubectl(['get', '-n', namespace, 'revisions.serving.knative.dev', name, '-o', 'json', '--ignore-not-found']);
    return run.stdout.trim() === '' ? undefined : (JSON.parse(run.stdout) as Revision);
  }

  function controllerAlive(): void {
    const reason = controller?.process.exitReason();
    if (reason !== undefined) throw new Error(`the Knative controller ${reason}:\n${controllerLogTail()}`);
  }

  function controllerLogTail(): string {
    try {
      return readFileSync(controller!.process.logPath, 'utf8').trimEnd().split('\n').slice(-8).join('\n');
    } catch (err) {
      return `(no log: ${(err as Error).message})`;
    }
  }

  it("rolls out the revision Deployment after pytuner's startupProbe JSON patch", async () => {
    const namespace = 'kn-rollout';
    await createNamespace(namespace);
    const checkout = knativeAdmissible('examples/cloudrun-checkout/service.yaml', namespace);
    expect(kubectl(['create', '-f', '-'], dump(checkout)).stderr.replace(KNATIVE_SECURITY_ADVICE, '')).toBe('');
    const patchFile = join(patchDir, '123456789012', 'service-checkout.patch.json');
    const patch = JSON.parse(readFileSync(patchFile, 'utf8')) as { op: string; path: string; value?: { httpGet?: { port?: number } } }[];
    const probe = patch.find((op) => op.path === '/spec/template/spec/containers/0/startupProbe');
    expect(probe?.value?.httpGet?.port).toBe(8080);
    const patched = kubectl(['patch', '-n', namespace, 'services.serving.knative.dev', 'checkout', '--type=json', '--patch-file', patchFile]);
    expect(patched.stderr.replace(KNATIVE_SECURITY_ADVICE, '')).toBe('');
    expect(patched.status).toBe(0);

    // Knative cuts a revision for the patched template (the first or the second, depending on whether the controller
    // saw the Service before the patch) and a Deployment for it, which the API server validates.
    const apps = clientsFor(controlPlane.kubeconfigPath).apps;
    const deployment = await vi.waitFor(async () => {
      controllerAlive();
      const list = await apps.listNamespacedDeployment({ namespace, labelSelector: 'serving.knative.dev/service=checkout' });
      const probed = list.items.find((d) => d.spec?.template.spec?.containers[0]?.startupProbe !== undefined);
      if (!probed) throw new Error(`no revision Deployment with the startupProbe yet (${list.items.length} Deployments); the controller's log ends:\n${controllerLogTail()}`);
      return probed;
    }, poll);
    const containers = (deployment as V1Deployment).spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['checkout', 'queue-proxy']);
    expect(containers[0]?.startupProbe?.httpGet).toMatchObject({ path: '/healthz', port: 8080 });
    expect(containers[1]?.image).toBe('registry.example/knative/queue:v1.23.0');
  }, TEST_TIMEOUT_MS);

  it('produces no Deployment for a port-less httpGet startupProbe: Knative fills only liveness ports', async () => {
    const namespace = 'kn-portless';
    await createNamespace(namespace);
    // examples/cloudrun-fastapi's probe, valid on Cloud Run: httpGet with a path and no port.
    const quotes = knativeAdmissible('examples/cloudrun-fastapi/service.yaml', namespace);
    expect(kubectl(['create', '-f', '-'], dump(quotes)).stderr.replace(KNATIVE_SECURITY_ADVICE, '')).toBe('');

    // The revision stays Deploying; the controller reports the API server's refusal as a Warning Event on it.
    const core = clientsFor(controlPlane.kubeconfigPath).core;
    const refusal = await vi.waitFor(async () => {
      controllerAlive();
      const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=quotes-00001' });
      const warning = events.items.find((e) => e.type === 'Warning' && e.reason === 'InternalError');
      if (!warning) throw new Error(`no Warning Event on revision quotes-00001 yet; the controller's log ends:\n${controllerLogTail()}`);
      return warning;
    }, poll);
    expect(refusal.message).toContain('failed to create deployment "quotes-00001-deployment"');
    expect(refusal.message).toContain('spec.template.spec.containers[0].startupProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535');
    expect((await revision(namespace, 'quotes-00001'))?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Deploying' });
    expect(kubectl(['get', '-n', namespace, 'deployments', '-o', 'name']).stdout.trim()).toBe('');
  }, TEST_TIMEOUT_MS);
});
