/**
 * @module The controller's operations endpoint: `/healthz` (the process serves), `/readyz` (caches synced and, with
 * leader election, this replica running its workers or standing by), and `/metrics` (Prometheus text from the
 * controller's registry). Plain node:http: three GET routes need no framework.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A readiness check: `ok`, and a line saying what it saw (listed in the /readyz body, as kube-apiserver does). */
export interface ReadinessCheck {
  name: string;
  check(): { ok: boolean; detail: string };
}

/** What the endpoint serves. */
export interface OperationsServerOptions {
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /** Listen address; default all interfaces, as a pod's probes and Prometheus reach it on the pod IP. */
  host?: string;
  registry: Registry;
  readiness: readonly ReadinessCheck[];
}

/** A running operations endpoint. */
export interface OperationsServer {
  /** The port it listens on (the chosen one when 0 was asked). */
  port: number;
  close(): Promise<void>;
}

/** startOperationsServer listens on the port and resolves once it accepts connections. */
export async function startOperationsServer(options: OperationsServerOptions): Promise<OperationsServer> {
  const server = createServer((req, res) => {
    route(options, req, res).catch((err: unknown) => reply(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}\n`));
  });
  await listen(server, options.port, options.host);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function route(options: OperationsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed\n');
  if (path === '/healthz' || path === '/livez') return reply(res, 200, 'ok\n');
  if (path === '/readyz') return readyz(options.readiness, res);
  if (path === '/metrics') {
    const text = await options.registry.metrics();
    res.writeHead(200, { 'Content-Type': options.registry.contentType });
    res.end(text);
    return;
  }
  reply(res, 404, 'not found: try /healthz, /readyz or /metrics\n');
}

/** 200 when every check passes, else 503; the body lists each check as `[+]name: detail` or `[-]name: detail`. */
function readyz(checks: readonly ReadinessCheck[], res: ServerResponse): void {
  const results = checks.map((c) => ({ name: c.name, ...c.check() }));
  const lines = results.map((r) => `[${r.ok ? '+' : '-'}]${r.name}: ${r.detail}`);
  const ok = results.every((r) => r.ok);
  reply(res, ok ? 200 : 503, `${lines.join('\n')}\nreadyz check ${ok ? 'passed' : 'failed'}\n`);
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}
