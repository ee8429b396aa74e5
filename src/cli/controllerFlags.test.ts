// `pytuner controller`'s flags for the cluster default policy and the Prometheus credentials: contradictions are
// usage errors (exit 2) naming the flags, before anything connects.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './program.ts';
import type { CliIo } from './io.ts';

const dir = mkdtempSync(join(tmpdir(), 'pytuner-controller-flags-'));
const kubeconfig = join(dir, 'kubeconfig');
// A cluster nothing listens on: every case below must stop before any request.
writeFileSync(
  kubeconfig,
  'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function controller(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const out = { write: (t: string) => ((stderr += t), true) } as unknown as NodeJS.WritableStream;
  const io: CliIo = { stdout: out, stderr: out, stdin: process.stdin, env: {} };
  const code = await run(['controller', '--kubeconfig', kubeconfig, ...args], io);
  return { code, stderr };
}

// The first case imports the controller's modules: seconds on a busy machine.
describe('pytuner controller flags', { timeout: 30_000 }, () => {
  it('refuses credentials without the Prometheus they are for', async () => {
    const result = await controller(['--prometheus-bearer-token-file', join(dir, 'token')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pytuner: --prometheus-bearer-token-file and --prometheus-ca-file need --prometheus-url (the only Prometheus they are sent to)\n');
  });

  it('refuses a --prometheus-url that is not http(s), and a --default-policy that is not namespace/name', async () => {
    const url = await controller(['--prometheus-url', 'file:///etc/passwd']);
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('expected an http(s) URL');
    const policy = await controller(['--default-policy', 'pytuner-default']);
    expect(policy.code).toBe(2);
    expect(policy.stderr).toContain('expected <namespace>/<name> of a TuningPolicy');
  });

  it('refuses --default-policy with --namespace (opting in by label is cluster-wide)', async () => {
    const result = await controller(['--default-policy', 'pytuner-system/pytuner-default', '--namespace', 'shop']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pytuner: --default-policy opts namespaces in by label across the cluster; with --namespace, use a TuningPolicy in that namespace\n');
  });
});
