import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
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

/** A loopback TLS server (HTTP/2, or HTTP/1.1 only) that answers every request with what it saw, as JSON. */
interface EchoServer {
  url: string;
  /** TLS connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

const TLS_DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'tls');

/** The loopback server certificate and its key (the certificate is also the CA the transports trust). */
async function loopbackTls(): Promise<{ key: Buffer; cert: Buffer }> {
  const [key, cert] = await Promise.all([readFile(join(TLS_DIR, 'loopback.key')), readFile(join(TLS_DIR, 'loopback.crt'))]);
  return { key, cert };
}

async function echoServer(protocol: 'h2' | 'http/1.1'): Promise<EchoServer> {
  const { key, cert } = await loopbackTls();
  const answer = (request: { httpVersion: string; method?: string; url?: string; headers: Record<string, unknown> }, response: { setHeader(name: string, value: string): void; end(body: string): void }, body: string) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ httpVersion: request.httpVersion, method: request.method, url: request.url, authorization: request.headers['authorization'], userAgent: request.headers['user-agent'], body }));
  };
  const server: Http2SecureServer | HttpsServer =
    protocol === 'h2'
      ? createSecureServer({ key, cert }, (request, response) => {
          let body = '';
          request.on('data', (chunk: Buffer) => (body += chunk.toString()));
          request.on('end', () => answer(request, response, body));
        })
      : createHttpsServer({ key, cert }, (request, response) => {
          let body = '';
          request.on('data', (chunk: Buffer) => (body += chunk.toString()));
          request.on('end', () => answer(request, response, body));
        });
  const echo: EchoServer = { url: '', connections: 0, close: async () => undefined };
  server.on('secureConnection', () => echo.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  echo.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  echo.close = () =>
    new Promise<void>((resolve) => {
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      server.close(() => resolve());
    });
  return echo;
}

function loopbackConfig(server: string, caFile: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server, caFile, skipTLSVerify: false }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return config;
}

/**
 * A transport to `server` (an HTTP/2 TLS server with the loopback certificate), listening once this resolves; the
 * server and the transport are closed when the test ends.
 */
async function transportTo(server: Http2SecureServer): Promise<KubeTransport> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = await mkdtemp(join(tmpdir(), 'pytuner-kubehttp-'));
  dirs.push(dir);
  await writeFile(join(dir, 'ca.crt'), await readFile(join(TLS_DIR, 'loopback.crt')));
  const transport = new KubeTransport(loopbackConfig(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, join(dir, 'ca.crt')));
  onTestFinished(async () => {
    await transport.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return transport;
}

describe('KubeTransport on a TLS server', () => {
  const servers: EchoServer[] = [];
  const transports: KubeTransport[] = [];
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function setUp(protocol: 'h2' | 'http/1.1'): Promise<{ server: EchoServer; transport: KubeTransport; caFile: string }> {
    const server = await echoServer(protocol);
    servers.push(server);
    const dir = await mkdtemp(join(tmpdir(), 'pytuner-kubehttp-'));
    dirs.push(dir);
    const caFile = join(dir, 'ca.crt');
    await writeFile(caFile, await readFile(join(TLS_DIR, 'loopback.crt')));
    const transport = new KubeTransport(loopbackConfig(server.url, caFile));
    transports.push(transport);
    return { server, transport, caFile };
  }

  it('sends every request of an HTTP/2 server over one connection, with the credentials, query and body', async () => {
    const { server, transport } = await setUp('h2');
    const list = await transport.request('GET', '/api/v1/pods', { query: { limit: '2' } });
    const write = await transport.request('POST', '/api/v1/namespaces/a/configmaps', { body: { kind: 'ConfigMap' } });
    expect(list).toEqual({ status: 200, body: { httpVersion: '2.0', method: 'GET', url: '/api/v1/pods?limit=2', authorization: 'Bearer secret-token', userAgent: 'pytuner', body: '' } });
    expect(write.body).toMatchObject({ httpVersion: '2.0', method: 'POST', body: '{"kind":"ConfigMap"}' });
    expect(server.connections).toBe(1);
  });

  it('offers the server 4 MiB per stream and 16 MiB per connection in flight (HTTP/2 defaults to 64 KiB for both)', async () => {
    // Answers with what the server may send to this client before it reads: its stream and connection windows.
    const windows = createSecureServer(await loopbackTls(), (request, response) => {
      const session = request.stream.session!;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ stream: session.remoteSettings.initialWindowSize, connection: session.state.remoteWindowSize }));
    });
    const transport = await transportTo(windows);
    await transport.request('GET', '/version');
    // The connection's window update follows the handshake: read it on the second request.
    const { body } = await transport.request('GET', '/version');
    expect(body).toMatchObject({ stream: 4 * 2 ** 20 });
    expect((body as { connection: number }).connection).toBeGreaterThan(15 * 2 ** 20);
  });

  it('opens a new connection when the CA file changes (rotation)', async () => {
    const { server, transport, caFile } = await setUp('h2');
    await transport.request('GET', '/version');
    // The same CA, written again with a comment line: other bytes, so other TLS material, still a valid bundle.
    await writeFile(caFile, `# rotated\n${await readFile(join(TLS_DIR, 'loopback.crt'), 'utf8')}`);
    await transport.request('GET', '/version');
    await transport.request('GET', '/version');
    expect(server.connections).toBe(2);
    expect(transport.pools).toBe(2);
  });

  it('falls back to HTTP/1.1 through undici when the server does not select h2', async () => {
    const { transport } = await setUp('http/1.1');
    const first = await transport.request('GET', '/api/v1/pods', { query: { limit: '2' } });
    const second = await transport.request('PUT', '/api/v1/namespaces/a', { body: 'x', contentType: 'text/plain' });
    expect(first).toEqual({ status: 200, body: { httpVersion: '1.1', method: 'GET', url: '/api/v1/pods?limit=2', authorization: 'Bearer secret-token', userAgent: 'pytuner', body: '' } });
    expect(second.body).toMatchObject({ httpVersion: '1.1', method: 'PUT', body: 'x' });
  });

  it('gives the idle timeout as the error when the server sends nothing, and sends the next request on a new connection', async () => {
    // Accepts every request and never answers: the transport's idle timer aborts it.
    const silent = createSecureServer(await loopbackTls(), () => undefined);
    let connections = 0;
    silent.on('secureConnection', () => connections++);
    const transport = await transportTo(silent);
    await expect(transport.request('GET', '/api/v1/pods', { idleTimeoutMs: 200 })).rejects.toThrow('GET /api/v1/pods timed out after 0.2 s without data');
    // The silent connection may be dead: the next request does not wait on it.
    await expect(transport.request('GET', '/version', { idleTimeoutMs: 200 })).rejects.toThrow('timed out');
    expect(connections).toBe(2);
  });

  it('rejects an answer cut short by a lost connection, naming the request and the HTTP/2 code; a watch cut short ends', async () => {
    const resetting = createSecureServer(await loopbackTls());
    resetting.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.on('error', () => undefined);
      // Half a list, then the connection is gone (an API server restarting, a proxy cutting it).
      stream.write('{"kind":"List","items":[', () => stream.session?.socket.destroy());
    });
    const transport = await transportTo(resetting);
    await expect(transport.request('GET', '/api/v1/pods')).rejects.toThrow('GET /api/v1/pods: the stream closed before the end of its body (HTTP/2 code 8)');
    // A watch cut the same way only ends, with what arrived: the reflector watches again from its last resourceVersion.
    const watch = await transport.stream('/api/v1/pods', { query: { watch: 'true' } });
    const chunks: Buffer[] = [];
    for await (const chunk of watch.body ?? []) chunks.push(Buffer.from(chunk));
    watch.done();
    expect(Buffer.concat(chunks).toString()).toBe('{"kind":"List","items":[');
  });

  it('keeps a whole answer the server closed with RST_STREAM NO_ERROR right after sending it (RFC 9113 8.1)', async () => {
    // As Go's HTTP/2 server does when it answered before the request's END_STREAM: the answer ends with END_STREAM,
    // then RST_STREAM(NO_ERROR). The answer is complete and must be kept (Node keeps it; the retried writes of
    // bench:scale were another thing: test/integration/transport.test.ts).
    const items = Array.from({ length: 2000 }, (_, i) => ({ metadata: { name: `w-${i}` } }));
    const answer = JSON.stringify({ kind: 'List', items });
    const closing = createSecureServer(await loopbackTls());
    closing.on('stream', (stream) => {
      stream.on('error', () => undefined);
      stream.respond({ ':status': 201, 'content-type': 'application/json' });
      stream.end(answer, () => stream.close(constants.NGHTTP2_NO_ERROR));
    });
    const transport = await transportTo(closing);
    for (let i = 0; i < 20; i++) {
      const response = await transport.request('PATCH', '/apis/x/v1/namespaces/a/things/b', { body: { spec: { n: i } } });
      expect(response.status).toBe(201);
      expect((response.body as { items: unknown[] }).items).toHaveLength(2000);
    }
  });

  it('streams a response body and rejects when the server is gone', async () => {
    const { server, transport } = await setUp('h2');
    const response = await transport.stream('/api/v1/pods', { query: { watch: 'true' } });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body ?? []) chunks.push(Buffer.from(chunk));
    response.done();
    expect(JSON.parse(Buffer.concat(chunks).toString())).toMatchObject({ url: '/api/v1/pods?watch=true' });
    await server.close();
    await expect(transport.request('GET', '/version')).rejects.toThrow();
  });
});
