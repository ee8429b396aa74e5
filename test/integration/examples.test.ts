// The bundled examples must be objects a real cluster accepts: each one is sent to the real kube-apiserver
// (Knative Serving and Config Connector CRD schemas installed) with server-side dry run and strict field
// validation, so a typo or a field the schema does not know fails here instead of in a user's cluster.
// Knative manifests also go through the real Knative webhook. Cloud Run manifests are Cloud Run's API, not Knative's
// (Cloud Run takes an IAM e-mail as serviceAccountName, Knative a Kubernetes name): they are checked against the
// Knative CRD schema in a namespace Knative's webhook leaves alone, and a separate case shows the webhook refuses them.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { describe, expect, inject, it } from 'vitest';
import { KNATIVE_WEBHOOK_EXCLUDE_LABEL } from './harness/knative.ts';
import { uniqueNamespace } from './harness/kube.ts';
import { repoRoot } from './harness/paths.ts';

const examples = join(repoRoot, 'examples');
const manifests = readdirSync(examples, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => relative(repoRoot, join(examples, f)));

type Doc = { kind: string; metadata: Record<string, unknown>; spec?: { template?: { spec?: { serviceAccountName?: string } } } };

function documents(file: string): Doc[] {
  return loadAll(readFileSync(join(repoRoot, file), 'utf8')).filter((d) => d !== null) as Doc[];
}

/** A Service whose serviceAccountName is an IAM e-mail is Cloud Run YAML: Knative would want a Kubernetes name. */
function isCloudRun(doc: Doc): boolean {
  return doc.kind === 'Service' && (doc.spec?.template?.spec?.serviceAccountName ?? '').endsWith('.iam.gserviceaccount.com');
}

const cloudRunManifests = manifests.filter((file) => documents(file).some(isCloudRun));

const KNATIVE_SECURITY_ADVICE = /^Warning: Kubernetes default value is insecure, Knative may default this to secure in a future release: .*\n/gm;

function withoutKnativeSecurityAdvice(stderr: string): string {
  return stderr.replace(KNATIVE_SECURITY_ADVICE, '');
}

function kubectlApply(args: string[], docs: Doc[]) {
  const { kubeconfigPath, binDir } = inject('controlPlane');
  return spawnSync(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfigPath, 'apply', ...args, '-f', '-'], { input: docs.map((d) => dump(d)).join('---\n'), encoding: 'utf8' });
}

describe('examples/ against the real API server', () => {
  it('has manifests to check', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(6);
  });

  it('has Cloud Run manifests, told apart by their IAM e-mail service account', () => {
    expect(cloudRunManifests).toEqual(['examples/buildpacks-catalog/service.yaml', 'examples/cloudrun-checkout/service.yaml', 'examples/cloudrun-clean/service.yaml', 'examples/cloudrun-fastapi/service.yaml']);
  });

  it.each(manifests)('%s is accepted by server-side dry run with strict field validation', async (file) => {
    const docs = documents(file);
    // Excluded from Knative's webhook only for Cloud Run manifests: they are Cloud Run's API, which Knative refuses (the
    // next test shows it); every other example is admitted, defaulted and validated by the real webhook.
    const namespace = await uniqueNamespace('example', docs.some(isCloudRun) ? { [KNATIVE_WEBHOOK_EXCLUDE_LABEL]: 'cloud-run-api' } : {});
    // Examples name their own namespaces (a Cloud Run project number, `shop`); move them into the test's one.
    for (const doc of docs) doc.metadata.namespace = namespace;

    const run = kubectlApply(['--dry-run=server', '--validate=strict'], docs);

    // Knative's webhook warns about every container without a hardened securityContext (its advice on future
    // defaults, not a schema problem); any other warning or error fails.
    expect(withoutKnativeSecurityAdvice(run.stderr)).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(docs.length);
    expect(run.stdout).toMatch(/\(server dry run\)$/m);
  });

  it.each(cloudRunManifests)('%s is refused by the real Knative webhook: a Cloud Run service account is no Kubernetes name', async (file) => {
    const docs = documents(file);
    const namespace = await uniqueNamespace('example');
    for (const doc of docs) doc.metadata.namespace = namespace;

    const run = kubectlApply(['--dry-run=server'], docs);

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('admission webhook "validation.webhook.serving.knative.dev" denied the request');
    expect(run.stderr).toMatch(/invalid value: [a-z-]+@shop-prod\.iam\.gserviceaccount\.com: spec\.template\.spec\.serviceAccountName/);
  });
});
