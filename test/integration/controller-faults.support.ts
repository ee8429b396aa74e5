// A fault injector between a controller and the real API server: an HTTPS reverse proxy on loopback that forwards
// every request (watches stream through) and, when a test's rule says so for one request, runs something first (another
// writer's update between the controller's read and its write), holds it until released (a request in flight when
// SIGTERM comes), or forwards it and cuts the connection once the API server has answered (a lost answer: the write
// landed, the controller never hears so). `partition()` cuts every connection and refuses new ones until `heal()`.
// It serves the API server's own certificate and key (the harness's cert dir), so the kubeconfig's CA verifies it, and
// speaks HTTP/2 as the API server does (client-node's undici then multiplexes its watches on one connection and lets
// the process exit once they are aborted; over HTTP/1.1 the aborted watches' sockets kept a stopped controller alive).
// It computes nothing itself: every answer is the API server's.
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { constants, createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { request } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** One request as the proxy saw it. */
export interface ApiRequest {
  method: string;
  /** Path and query, e.g. `/apis/serving.knative.dev/v1/namespaces/shop/services/orders?fieldManager=pytuner`. */
  path: string;
}

/** What the proxy does with one request. */
export type ApiFault = 'pass' | 'lose-answer' | { before: () => Promise<void> } | { hold: Promise<void> };

/** A running proxy. */
export interface ApiProxy {
  /** https://127.0.0.1:<port> */
  url: string;
  /** The upstream kubeconfig's credentials, with the proxy as the server. */
  kubeConfig: KubeConfig;
  /** The same, as a file (for `pytuner controller --kubeconfig`). */
  kubeconfigPath: string;
  /** Every request so far, in arrival order. */
  requests: ApiRequest[];
  /** Cuts every open connection (watches end) and refuses new ones until heal(). */
  partition(): void;
  heal(): void;
  close(): Promise<void>;
}

/** HTTP/2 forbids connection-specific headers, and its pseudo-headers (`:path`…) mean nothing to HTTP/1.1. */
function withoutHopHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const hop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':') && !hop.has(name.toLowerCase())));
}

/** Starts the proxy in front of the API server of `kubeconfigPath` (a harness kubeconfig next to its apiserver-certs/). */
export async function startApiProxy(kubeconfigPath: string, rule: (request: ApiRequest) => ApiFault = () => 'pass'): Promise<ApiProxy> {
  const upstream = new KubeConfig();
  upstream.loadFromFile(kubeconfigPath);
  const cluster = upstream.getCurrentCluster();
  if (cluster === null || cluster.caData === undefined) throw new Error(`${kubeconfigPath} has no cluster with certificate-authority-data`);
  const target = new URL(cluster.server);
  const ca = Buffer.from(cluster.caData, 'base64');
  const certDir = join(dirname(kubeconfigPath), 'apiserver-certs');
  const sockets = new Set<Socket>();
  const requests: ApiRequest[] = [];
  let refusing = false;

  function forward(req: Http2ServerRequest, res: Http2ServerResponse, body: Buffer, onAnswered?: () => void): void {
    const upstreamRequest = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: withoutHopHeaders(req.headers), ca },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, withoutHopHeaders(answer.headers) as OutgoingHttpHeaders);
        if (onAnswered === undefined) {
          answer.pipe(res);
          return;
        }
        answer.resume();
        answer.on('end', onAnswered);
      },
    );
    // A client gone (or cut by partition()) ends the upstream request too, so the API server closes its watch.
    res.on('close', () => upstreamRequest.destroy());
    upstreamRequest.on('error', () => res.destroy());
    upstreamRequest.end(body);
  }

  const tls = { cert: readFileSync(join(certDir, 'apiserver.crt')), key: readFileSync(join(certDir, 'apiserver.key')), allowHTTP1: true };
  const server: Http2SecureServer = createSecureServer(tls, (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen = { method: req.method ?? 'GET', path: req.url ?? '/' };
      requests.push(seen);
      const fault = rule(seen);
      const body = Buffer.concat(chunks);
      if (fault === 'pass') return forward(req, res, body);
      // The API server has answered; the client's stream is reset instead (its request fails with no HTTP status).
      if (fault === 'lose-answer') return forward(req, res, body, () => (req.httpVersionMajor === 2 ? req.stream.close(constants.NGHTTP2_INTERNAL_ERROR) : req.socket.destroy()));
      const ready = 'before' in fault ? fault.before() : fault.hold;
      ready.then(
        () => forward(req, res, body),
        () => res.destroy(),
      );
    });
  });
  server.on('connection', (socket: Socket) => {
    if (refusing) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const proxiedPath = join(dirname(kubeconfigPath), `proxy-${(server.address() as AddressInfo).port}.kubeconfig`);
  writeFileSync(proxiedPath, readFileSync(kubeconfigPath, 'utf8').replace(cluster.server, url), { mode: 0o600 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(proxiedPath);
  return {
    url,
    kubeConfig,
    kubeconfigPath: proxiedPath,
    requests,
    partition() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    heal() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
