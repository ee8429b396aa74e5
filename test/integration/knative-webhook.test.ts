// pytuner's Knative output under the real Knative Serving webhook (v1.23, started by the harness's global setup):
// what Knative's own validation refuses, and whether the patches pytuner writes for examples/ are admitted.
// A CRD-only API server would take all of these: the Knative CRD's schema knows no bounds on
// containerConcurrency and treats `containers` as one atomic list, so a forced apply drops the image silently.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { dump, load, loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';

const SERVICES = { group: 'serving.knative.dev', version: 'v1', plural: 'services' };

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: { template?: { spec?: Record<string, unknown> } } };
type JsonPatchOp = { op: string; path: string; value?: unknown };

/** Knative's warning about containers without a hardened securityContext: advice on its future defaults. */
const KNATIVE_SECURITY_ADVICE = /^Warning: Kubernetes default value is insecure, Knative may default this to secure in a future release: .*\n/gm;

function kubectl(args: string[], input?: string) {
  const { kubeconfigPath, binDir } = inject('controlPlane');
  return spawnSync(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfigPath, ...args], { input, encoding: 'utf8' });
}

/** `pytuner report -f examples/ --emit-patches dir`, from src like the other CLI tests (dist/ is the cli project's). */
function emitPatches(dir: string): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'report', '-f', 'examples/', '--emit-patches', dir, '-o', 'json'], { cwd: repoRoot, stdio: 'ignore' });
    child.on('close', done);
  });
}

/** The example manifests' objects, keyed `<metadata.namespace>/<kind lower-case>-<name>` like --emit-patches' files. */
function exampleObjects(): Map<string, Doc> {
  const objects = new Map<string, Doc>();
  for (const file of readdirSync(join(repoRoot, 'examples'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f))) {
    for (const doc of loadAll(readFileSync(join(repoRoot, 'examples', file), 'utf8')) as (Doc | null)[]) {
      if (doc) objects.set(`${doc.metadata.namespace ?? 'default'}/${doc.kind.toLowerCase()}-${doc.metadata.name}`, doc);
    }
  }
  return objects;
}

/**
 * The object as a Knative cluster could hold it. Cloud Run YAML names an IAM e-mail as serviceAccountName, which
 * Knative refuses (it wants a Kubernetes name; examples.test.ts shows the refusal): keep the e-mail's local part.
 */
function knativeAdmissible(doc: Doc, namespace: string): Doc {
  const copy = structuredClone(doc);
  copy.metadata.namespace = namespace;
  const podSpec = copy.spec?.template?.spec;
  if (typeof podSpec?.serviceAccountName === 'string') podSpec.serviceAccountName = podSpec.serviceAccountName.split('@')[0];
  return copy;
}

/** The value at an RFC 6901 pointer; `-` (append) reads the last element. */
function at(object: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, token) => {
      if (Array.isArray(node)) return node[token === '-' ? node.length - 1 : Number(token)];
      return (node as Record<string, unknown> | undefined)?.[token];
    }, object);
}

function service(namespace: string, name: string, podSpec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name, namespace }, spec: { template: { spec: podSpec } } };
}

describe('the real Knative webhook', () => {
  const { custom } = adminClients();
  let patchDir: string;

  beforeAll(async () => {
    patchDir = mkdtempSync(join(tmpdir(), 'pytuner-knative-patches-'));
    expect(await emitPatches(patchDir)).toBe(0);
  });
  afterAll(() => rmSync(patchDir, { recursive: true, force: true }));

  it('refuses containerConcurrency 1001 and admits 1000, the bound the CRD schema does not have', async () => {
    const namespace = await uniqueNamespace('kn-cc');
    const refused = await apiFailure(custom.createNamespacedCustomObject({ ...SERVICES, namespace, body: service(namespace, 'over', { containerConcurrency: 1001, containers: [{ image: 'registry.example/app:1' }] }) }));
    expect(refused.httpStatus).toBe(400);
    expect(refused.message).toBe('admission webhook "validation.webhook.serving.knative.dev" denied the request: validation failed: expected 0 <= 1001 <= 1000: spec.template.spec.containerConcurrency');

    const admitted = (await custom.createNamespacedCustomObject({ ...SERVICES, namespace, body: service(namespace, 'max', { containerConcurrency: 1000, containers: [{ image: 'registry.example/app:1' }] }) })) as {
      metadata: { annotations: Record<string, string> };
      spec: { template: { spec: { containerConcurrency: number } } };
    };
    expect(admitted.spec.template.spec.containerConcurrency).toBe(1000);
    // Written by Knative's defaulting webhook: the object did go through it.
    expect(admitted.metadata.annotations['serving.knative.dev/creator']).toBe('pytuner-admin');
  });

  it("shows why pytuner emits no apply fragment for Knative container fields: one is a conflict, and forced, refused for the missing image", async () => {
    const namespace = await uniqueNamespace('kn-ssa');
    const orders = knativeAdmissible(exampleObjects().get('shop/service-orders')!, namespace);
    const created = kubectl(['apply', '-f', '-'], dump(orders));
    expect(created.stderr.replace(KNATIVE_SECURITY_ADVICE, '')).toBe('');
    expect(created.status).toBe(0);

    // pytuner writes only the JSON patch for this Service (its findings change env inside the container).
    expect(existsSync(join(patchDir, 'shop', 'service-orders.apply.yaml'))).toBe(false);
    expect(existsSync(join(patchDir, 'shop', 'service-orders.patch.json'))).toBe(true);
    // The fragment an earlier pytuner wrote: the container by name, with only the env entry it changes.
    const container = (at(orders, '/spec/template/spec/containers/0') ?? {}) as { name?: string };
    const fragment: Doc = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'orders', namespace },
      spec: { template: { spec: { containers: [{ name: container.name ?? 'user-container', env: [{ name: 'GUNICORN_CMD_ARGS', value: '--timeout 0' }] }] } } },
    } as Doc;

    const applied = kubectl(['apply', '--server-side', '--field-manager=pytuner', '-f', '-'], dump(fragment));
    expect(applied.status).toBe(1);
    expect(applied.stderr).toContain('conflict with "kubectl-client-side-apply"');
    expect(applied.stderr).toContain('.spec.template.spec.containers');

    const forced = kubectl(['apply', '--server-side', '--field-manager=pytuner', '--force-conflicts', '-f', '-'], dump(fragment));
    expect(forced.status).toBe(1);
    expect(forced.stderr).toContain('admission webhook "validation.webhook.serving.knative.dev" denied the request');
    expect(forced.stderr).toContain('missing field(s): spec.template.spec.containers[0].image');
    const live = JSON.parse(kubectl(['get', '-n', namespace, 'services.serving.knative.dev', 'orders', '-o', 'json']).stdout) as Doc;
    expect(at(orders, '/spec/template/spec/containers/0/image')).toEqual(expect.any(String));
    expect(at(live, '/spec/template/spec/containers/0/image')).toBe(at(orders, '/spec/template/spec/containers/0/image'));
  });

  it('admits every JSON Patch pytuner emits for the Knative and Cloud Run Services of examples/', async () => {
    const objects = exampleObjects();
    const patchFiles = readdirSync(patchDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => /(^|\/)service-[^/]+\.patch\.json$/.test(f))
      .sort();
    expect(patchFiles).toEqual(['123456789012/service-catalog.patch.json', '123456789012/service-checkout.patch.json', '123456789012/service-quotes.patch.json', 'shop/service-orders.patch.json']);

    for (const file of patchFiles) {
      const namespace = await uniqueNamespace('kn-patch');
      const source = objects.get(file.replace(/\.patch\.json$/, ''));
      expect(source, `the example object of ${file}`).toBeDefined();
      const created = kubectl(['create', '-f', '-'], dump(knativeAdmissible(source!, namespace)));
      expect(created.stderr.replace(KNATIVE_SECURITY_ADVICE, ''), `creating the object of ${file}`).toBe('');
      expect(created.status).toBe(0);

      const patch = JSON.parse(readFileSync(join(patchDir, file), 'utf8')) as JsonPatchOp[];
      const patched = kubectl(['patch', '-n', namespace, 'services.serving.knative.dev', source!.metadata.name, '--type=json', '--patch-file', join(patchDir, file), '-o', 'json']);
      expect(patched.stderr.replace(KNATIVE_SECURITY_ADVICE, ''), `kubectl patch with ${relative(repoRoot, join(patchDir, file))}`).toBe('');
      expect(patched.status).toBe(0);
      const live = JSON.parse(patched.stdout) as unknown;
      // Knative's defaulting may add fields inside an added object (a probe's successThreshold), so objects match by their given fields.
      for (const op of patch.filter((o) => o.op === 'add' || o.op === 'replace')) {
        if (typeof op.value === 'object' && op.value !== null && !Array.isArray(op.value)) expect(at(live, op.path), `${file}: ${op.op} ${op.path}`).toMatchObject(op.value);
        else expect(at(live, op.path), `${file}: ${op.op} ${op.path}`).toEqual(op.value);
      }
    }
  });
});
