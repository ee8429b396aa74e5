import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { reuseConnections } from './connections.ts';

/** A kubeconfig with a CA (so client-node builds a TLS dispatcher) and a bearer token. */
function kubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return config;
}

async function authenticated(config: KubeConfig): Promise<RequestContext> {
  const context = new RequestContext('https://127.0.0.1:6443/api/v1/namespaces', HttpMethod.GET);
  await config.applySecurityAuthentication(context);
  return context;
}

describe('reuseConnections', () => {
  it('gives every request the same dispatcher, where client-node alone builds a new one each time', async () => {
    const plain = kubeConfig();
    const [a, b] = [await authenticated(plain), await authenticated(plain)];
    expect(a.getDispatcher()).toBeDefined();
    expect(a.getDispatcher()).not.toBe(b.getDispatcher());

    const reusing = reuseConnections(kubeConfig());
    const [c, d] = [await authenticated(reusing), await authenticated(reusing)];
    expect(c.getDispatcher()).toBeDefined();
    expect(c.getDispatcher()).toBe(d.getDispatcher());
  });

  it('still applies the credentials to each request', async () => {
    const context = await authenticated(reuseConnections(kubeConfig()));
    expect(context.getHeaders()['Authorization']).toBe('Bearer secret-token');
  });

  it('wraps once when called twice', async () => {
    const config = kubeConfig();
    const wrapped = reuseConnections(config).applySecurityAuthentication;
    expect(reuseConnections(config).applySecurityAuthentication).toBe(wrapped);
  });
});
