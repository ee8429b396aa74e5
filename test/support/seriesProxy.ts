/**
 * A fault injector for the metrics tests: a loopback HTTP server in front of a real Prometheus that passes each
 * request through (optionally adding `warnings` to the answer, as a federated store does when it answers partially),
 * answers it itself with a status and body (a 500, garbage), or never answers. It computes no PromQL.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the injector does with one request. */
export type Fault = { pass: true; warnings?: string[] } | { status: number; body: string } | 'hang';

/** Decides the fault of a request from its path (with query string), its decoded form body and its headers. */
export type FaultRule = (path: string, body: string, headers: IncomingHttpHeaders) => Fault;

export interface Injector {
  url: string;
  close(): Promise<void>;
}

/** Starts the injector in front of `upstream` (http://127.0.0.1:<port>). */
export async function faultInjector(upstream: string, rule: FaultRule): Promise<Injector> {
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = request.url ?? '/';
      const decision = rule(path, decodeForm(body), request.headers);
      if (decision === 'hang') return;
      if ('status' in decision) {
        response.writeHead(decision.status, { 'content-type': 'application/json' }).end(decision.body);
        return;
      }
      void pass(upstream, request, path, body, decision.warnings).then(
        ({ status, text }) => response.writeHead(status, { 'content-type': 'application/json' }).end(text),
        (error: Error) => response.writeHead(502).end(error.message),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `query=...&start=...` as readable text: `query=<promql> start=<t>` (the rules match on the PromQL). */
function decodeForm(body: string): string {
  return [...new URLSearchParams(body).entries()].map(([k, v]) => `${k}=${v}`).join(' ');
}

async function pass(upstream: string, request: IncomingMessage, path: string, body: string, warnings: string[] | undefined): Promise<{ status: number; text: string }> {
  const init: RequestInit = { method: request.method ?? 'GET' };
  if (request.method === 'POST') Object.assign(init, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const answer = await fetch(`${upstream}${path}`, init);
  const text = await answer.text();
  return { status: answer.status, text: warnings === undefined ? text : JSON.stringify({ ...(JSON.parse(text) as object), warnings }) };
}
