import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeTransport, transportFor } from './kubeHttp.ts';

const CA = (n: number) => `-----BEGIN CERTIFICATE-----\nMIIB${n}\n-----END CERTIFICATE-----\n`;

/** A kubeconfig with a CA (so a TLS pool is built) and a bearer token; the CA from a file when `caFile` is given. */
function kubeConfig(caFile?: string): KubeConfig {
  const config = new KubeConfig();
  const cluster = caFile === undefined ? { caData: Buffer.from(CA(0)).toString('base64') } : { caFile };
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false, ...cluster }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return config;
}

async function authenticated(auth: { applySecurityAuthentication(context: RequestContext): Promise<void> }): Promise<RequestContext> {
  const context = new RequestContext('https://127.0.0.1:6443/api/v1/namespaces', HttpMethod.GET);
  await auth.applySecurityAuthentication(context);
  return context;
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('KubeTransport', () => {
  // What the transport replaces: when this fails, client-node caches its dispatcher and kubeHttp.ts's pool can go.
  it('client-node 2.0.1 alone builds a new dispatcher (connection pool) for every request', async () => {
    const plain = kubeConfig();
    const [a, b] = [await authenticated(plain), await authenticated(plain)];
    expect(a.getDispatcher()).toBeDefined();
    expect(a.getDispatcher()).not.toBe(b.getDispatcher());
  });

  it('gives every request of client-node\'s API clients one pool, with the credentials applied', async () => {
    const transport = new KubeTransport(kubeConfig());
    const [a, b] = [await authenticated(transport), await authenticated(transport)];
    expect(a.getDispatcher()).toBeDefined();
    expect(a.getDispatcher()).toBe(b.getDispatcher());
    expect(a.getHeaders()['Authorization']).toBe('Bearer secret-token');
    expect(transport.pools).toBe(1);
  });

  it('builds a new pool when the CA file changes (rotation), and keeps it while the file stays the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pytuner-kubehttp-'));
    dirs.push(dir);
    const caFile = join(dir, 'ca.crt');
    await writeFile(caFile, CA(1));
    const transport = new KubeTransport(kubeConfig(caFile));
    const first = (await authenticated(transport)).getDispatcher();
    expect((await authenticated(transport)).getDispatcher()).toBe(first);
    await writeFile(caFile, CA(2));
    const rotated = (await authenticated(transport)).getDispatcher();
    expect(rotated).not.toBe(first);
    expect((await authenticated(transport)).getDispatcher()).toBe(rotated);
    expect(transport.pools).toBe(2);
  });

  it('is one per KubeConfig object', () => {
    const config = kubeConfig();
    expect(transportFor(config)).toBe(transportFor(config));
    expect(transportFor(config)).not.toBe(transportFor(kubeConfig()));
  });
});
