/**
 * @module Raw JSON GETs against the API server, authenticated from a KubeConfig. The informers list through it
 * because @kubernetes/client-node's typed clients deserialize into model classes: unknown fields of custom
 * resources are dropped and timestamps become Dates, while watch events arrive as plain JSON. Listing raw keeps
 * one representation in the caches, the one the API server sends.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

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

/** Abandon a list or discovery request after this long: the API server answers lists of a namespace in well under a second. */
const REQUEST_TIMEOUT_MS = 30_000;

/** getJson GETs `path` (with `query`) and returns the status and parsed body; rejects only on network errors. */
export async function getJson(kubeConfig: KubeConfig, path: string, query: Record<string, string> = {}): Promise<KubeResponse> {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const options: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' }, timeout: REQUEST_TIMEOUT_MS };
  await kubeConfig.applyToHTTPSOptions(options);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseJson(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
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
