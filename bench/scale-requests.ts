/**
 * @module Preloaded into the controller by bench/scale.ts (`node --import ./bench/scale-requests.ts`): counts every
 * HTTP request the process starts, by method and resource, through three diagnostics channels: Node's
 * `http2.client.stream.created` (kubeHttp.ts's discovery, lists, watches and writes, over node:http2),
 * `http.client.request.start` (anything over node:http/node:https) and undici's `undici:request:create`
 * (@kubernetes/client-node's typed clients, and kubeHttp.ts on a server without HTTP/2), and writes the counts as JSON to $PYTUNER_BENCH_REQUESTS_FILE every 5 s and at exit.
 * The controller's own code is untouched: this is measurement, not a feature. Prometheus requests are counted too,
 * under their own host, and the benchmark keeps them apart.
 * @see https://nodejs.org/api/diagnostics_channel.html#http
 * @see https://undici.nodejs.org/#/docs/api/DiagnosticsChannel
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { writeFileSync } from 'node:fs';

/** kubeHttp.ts's USER_AGENT (not imported: this preload must not load client-node into the measured process). */
const KUBE_HTTP_USER_AGENT = 'pytuner';

const file = process.env['PYTUNER_BENCH_REQUESTS_FILE'];
const counts: Record<string, number> = {};

/**
 * `GET host /apis/pytuner.dev/v1alpha1/namespaces/x/tuningrecommendations/y` → `GET host tuningrecommendations` (with
 * `/status` kept, and `?watch` marked): the resource, not the object, so the counts stay a small table.
 */
export function requestClass(method: string, host: string, path: string): string {
  const [pathname = '', query = ''] = path.split('?');
  const parts = pathname.split('/').filter((p) => p !== '');
  const watch = /(^|&)watch=(true|1)/.test(query) ? ' (watch)' : '';
  const namespaced = parts.indexOf('namespaces');
  let resource: string;
  if (parts[0] === 'api' || parts[0] === 'apis') {
    const start = parts[0] === 'api' ? 2 : 3;
    const rest = namespaced >= 0 && parts.length > namespaced + 2 ? parts.slice(namespaced + 2) : parts.slice(start);
    resource = rest.length === 0 ? `discovery ${parts.slice(0, start).join('/')}` : [rest[0], rest[2]].filter(Boolean).join('/');
  } else {
    resource = pathname;
  }
  return `${method} ${host} ${resource}${watch}`;
}

subscribe('http.client.request.start', (message) => {
  const request = (message as { request: ClientRequest }).request;
  // host:port, from the Host header: the API server and Prometheus are both on 127.0.0.1 in the benchmark.
  const key = requestClass(request.method, String(request.getHeader('host') ?? request.host), request.path);
  counts[key] = (counts[key] ?? 0) + 1;
});

// An HTTP/2 stream of kubeHttp.ts (its User-Agent): its request headers (`:method`, `:authority` host:port, `:path` with
// the query). undici's HTTP/2 streams pass here too; they are counted once, as undici requests, below.
subscribe('http2.client.stream.created', (message) => {
  const headers = (message as { headers: Record<string, string | undefined> }).headers;
  if (headers['user-agent'] !== KUBE_HTTP_USER_AGENT) return;
  const key = requestClass(headers[':method'] ?? 'GET', headers[':authority'] ?? '', headers[':path'] ?? '');
  counts[key] = (counts[key] ?? 0) + 1;
});

// undici's request: `origin` (scheme://host:port), `method`, `path`.
subscribe('undici:request:create', (message) => {
  const request = (message as { request: { origin: string | URL; method: string; path: string } }).request;
  const key = requestClass(request.method, new URL(String(request.origin)).host, request.path);
  counts[key] = (counts[key] ?? 0) + 1;
});

function flush(): void {
  if (file !== undefined) writeFileSync(file, JSON.stringify(counts));
}

if (file !== undefined) {
  // Every 5 s: a synchronous write blocks the controller's event loop (each took milliseconds on a busy machine).
  setInterval(flush, 5_000).unref();
  process.on('exit', flush);
}
