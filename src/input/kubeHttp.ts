/**
 * @module Raw JSON GETs against the API server, authenticated from a KubeConfig. The informers list through it
 * because @kubernetes/client-node's typed clients deserialize into model classes: unknown fields of custom
 * resources are dropped and timestamps become Dates, while watch events arrive as plain JSON. Listing raw keeps
 * one representation in the caches, the one the API server sends.
 *
 * The requests go through the same undici dispatcher as client-node's own (its `applySecurityAuthentication`: bearer
 * token, CA, client certificate), kept per KubeConfig, so they share its connections: with connections.ts's
 * `reuseConnections` the discovery, the lists and the watches of a controller start travel over one HTTP/2
 * connection. Through node:https each of the 13 discovery and list GETs of a start opened a TLS connection of its
 * own, 2.5–3.5 ms of CPU per handshake (Node 24.21, RSA-2048 CA; bench/startup.ts has the whole figure).
 */
import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';

/** An HTTP answer of the API server: its status and parsed JSON body (undefined when the body is not JSON). */
export interface KubeResponse {
  status: number;
  body: unknown;
}

/** A failed API request, carrying the HTTP status (`statusCode`, which client-node's ListWatch checks for 410). */
export class KubeRequestError extends Error {
  readonly statusCode: number;
  readonly path: string;

  constructor(path: string, statusCode: number, message: string) {
    super(`GET ${path} answered ${statusCode}: ${message}`);
    this.name = 'KubeRequestError';
    this.statusCode = statusCode;
    this.path = path;
  }
}

/**
 * Abandon a list or discovery request when the API server sends nothing for this long (headers or a chunk of the body):
 * the API server answers lists of a namespace in well under a second.
 */
const REQUEST_TIMEOUT_MS = 30_000;

/** The dispatcher of each KubeConfig's first request: later requests reuse its connections (see the module doc). */
const dispatchers = new WeakMap<KubeConfig, Dispatcher>();

/** getJson GETs `path` (with `query`) and returns the status and parsed body; rejects only on network errors. */
export async function getJson(kubeConfig: KubeConfig, path: string, query: Record<string, string> = {}): Promise<KubeResponse> {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const context = new RequestContext(url.toString(), HttpMethod.GET);
  await kubeConfig.applySecurityAuthentication(context);
  let dispatcher = dispatchers.get(kubeConfig);
  if (dispatcher === undefined) {
    // Undefined for a plain http:// server without TLS settings: undici's global dispatcher pools those connections.
    dispatcher = context.getDispatcher() as Dispatcher | undefined;
    if (dispatcher !== undefined) dispatchers.set(kubeConfig, dispatcher);
  }
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(new Error(`GET ${path} timed out after ${REQUEST_TIMEOUT_MS / 1000} s`)), REQUEST_TIMEOUT_MS);
  };
  rearm();
  try {
    const response = await fetch(url, {
      method: 'GET',
      headers: { ...context.getHeaders(), Accept: 'application/json' },
      signal: abort.signal,
      ...(dispatcher === undefined ? {} : { dispatcher }),
    });
    const chunks: Uint8Array[] = [];
    if (response.body !== null) {
      for await (const chunk of response.body) {
        rearm();
        chunks.push(chunk);
      }
    }
    return { status: response.status, body: parseJson(Buffer.concat(chunks).toString('utf8')) };
  } finally {
    clearTimeout(timer);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The `message` of a Kubernetes Status body, or a short rendering of whatever came back. */
export function statusMessage(body: unknown): string {
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return typeof body === 'string' ? body.slice(0, 200) : 'no message';
}

/** getOk GETs `path` and returns the body, or throws a KubeRequestError for any status but 200. */
export async function getOk(kubeConfig: KubeConfig, path: string, query: Record<string, string> = {}): Promise<unknown> {
  const { status, body } = await getJson(kubeConfig, path, query);
  if (status !== 200) throw new KubeRequestError(path, status, statusMessage(body));
  return body;
}
