/**
 * @module pytuner's HTTP client for the API server: one `KubeTransport` per KubeConfig (`transportFor`), used by the
 * controller's reflectors, its writes, the integration tests and the benches alike, so all of them run one
 * connection model. Credentials come from the KubeConfig's public `applyToHTTPSOptions` on every request (a bearer
 * token, an exec plugin's token, the CA and the client certificate, re-read from their files by client-node each
 * time); the undici Agent, its connection pool, is kept while that TLS material is unchanged and replaced when it
 * changes, so a rotated client certificate or CA is used from the next request on. The old pool is closed gracefully:
 * requests on it (a watch) finish first.
 *
 * Why not client-node's own dispatcher: @kubernetes/client-node 2.0.1 builds a new undici Agent for every request
 * (`applySecurityAuthentication` → its private `createDispatcher`; kubernetes-client/javascript#2893), so every API
 * call opens a TLS connection of its own; `bench:scale` measured 45% of the controller's CPU in handshakes with it.
 * kubeHttp.test.ts shows that behaviour, so this module's pool can be dropped once an upgrade caches its agent.
 * client-node's generated API clients (writes, the Lease, Events) get the same pool through `api()`: the transport is
 * their `SecurityAuthentication`, the extension point their `Configuration` offers.
 *
 * Lists and watches are read as raw JSON, not through client-node's model classes, which drop unknown fields of
 * custom resources and turn timestamps into Dates.
 */
import { createHash } from 'node:crypto';
import type { RequestOptions } from 'node:https';
import { createConfiguration, ServerConfiguration, type Configuration, type KubeConfig, type RequestContext, type SecurityAuthentication } from '@kubernetes/client-node';
import { Agent, fetch } from 'undici';

/** An HTTP answer of the API server: its status and parsed JSON body (undefined when the body is not JSON). */
export interface KubeResponse {
  status: number;
  body: unknown;
}

/** A failed API request, carrying the HTTP status (`statusCode`). */
export class KubeRequestError extends Error {
  readonly statusCode: number;
  readonly path: string;
  /** The HTTP method, or WATCH for a watch request. */
  readonly method: string;

  constructor(path: string, statusCode: number, message: string, method = 'GET') {
    super(`${method} ${path} answered ${statusCode}: ${message}`);
    this.name = 'KubeRequestError';
    this.statusCode = statusCode;
    this.path = path;
    this.method = method;
  }
}

/**
 * Abandon a request when the API server sends nothing for this long (headers or a chunk of the body): the API server
 * answers lists of a namespace in well under a second. Watches send a bookmark about once a minute.
 */
const REQUEST_TIMEOUT_MS = 30_000;

/** What a request carries besides its method and path. */
export interface KubeRequest {
  query?: Record<string, string>;
  body?: unknown;
  /** Content-Type of `body`; default application/json. */
  contentType?: string;
  /** Aborts the request (a watch's stop). */
  signal?: AbortSignal;
  /** Idle timeout: nothing received for this long aborts; default REQUEST_TIMEOUT_MS. */
  idleTimeoutMs?: number;
}

/** The TLS settings of a connection pool, as undici's `connect` options take them. */
interface TlsMaterial {
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** A client class of client-node's generated API (CustomObjectsApi, CoordinationV1Api, KubernetesObjectApi, …). */
type ApiClass<T> = new (configuration: Configuration) => T;

/**
 * KubeTransport sends requests to the API server a KubeConfig names, over one connection pool that follows the
 * KubeConfig's TLS material (see the module comment).
 */
export class KubeTransport implements SecurityAuthentication {
  readonly kubeConfig: KubeConfig;
  #pool: { fingerprint: string; agent: Agent } | undefined;
  #pools = 0;

  constructor(kubeConfig: KubeConfig) {
    this.kubeConfig = kubeConfig;
  }

  /** Connection pools built so far: one, and one more for each change of the TLS material (a rotation). */
  get pools(): number {
    return this.#pools;
  }

  /** The API server's URL. */
  get server(): string {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster');
    return cluster.server;
  }

  /** A client of client-node's generated API whose requests go through this transport's pool and credentials. */
  api<T>(type: ApiClass<T>): T {
    return new type(createConfiguration({ baseServer: new ServerConfiguration(this.server, {}), authMethods: { default: this } }));
  }

  /** SecurityAuthentication's name. */
  getName(): string {
    return 'pytuner KubeTransport';
  }

  /** SecurityAuthentication: the credentials' headers and this transport's pool on a request of client-node's API clients. */
  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const { headers, agent } = await this.#credentials();
    for (const [name, value] of Object.entries(headers)) context.setHeaderParam(name, value);
    context.setDispatcher(agent as never);
  }

  /** Sends one request; resolves with the status and parsed body (rejects only on network errors and timeouts). */
  async request(method: string, path: string, options: KubeRequest = {}): Promise<KubeResponse> {
    const response = await this.#send(method, path, options);
    const chunks: Uint8Array[] = [];
    try {
      if (response.body !== null) {
        for await (const chunk of response.body) {
          response.rearm();
          chunks.push(chunk);
        }
      }
    } finally {
      response.done();
    }
    return { status: response.status, body: parseJson(Buffer.concat(chunks).toString('utf8')) };
  }

  /**
   * Opens a streaming GET (a watch): resolves once the headers are in, with the status and the body's chunks. The
   * idle timer runs while the stream is read; `done()` must be called when the caller stops reading.
   */
  async stream(path: string, options: KubeRequest = {}): Promise<StreamingResponse> {
    return this.#send('GET', path, options);
  }

  async #send(method: string, path: string, options: KubeRequest): Promise<StreamingResponse> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const { headers, agent } = await this.#credentials();
    const idleMs = options.idleTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const abort = new AbortController();
    const onOuterAbort = () => abort.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (options.signal?.aborted === true) onOuterAbort();
    let timer: NodeJS.Timeout | undefined;
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(new Error(`${method} ${path} timed out after ${idleMs / 1000} s without data`)), idleMs);
    };
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onOuterAbort);
    };
    rearm();
    try {
      const hasBody = options.body !== undefined;
      const response = await fetch(url, {
        method,
        headers: { ...headers, Accept: 'application/json', ...(hasBody ? { 'Content-Type': options.contentType ?? 'application/json' } : {}) },
        signal: abort.signal,
        dispatcher: agent,
        ...(hasBody ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
      });
      rearm();
      return { status: response.status, body: response.body, rearm, done };
    } catch (err) {
      done();
      throw err;
    }
  }

  /**
   * The request headers (bearer token, impersonation, basic auth) and the pool for the KubeConfig's TLS material now.
   * client-node reads caFile/certFile/keyFile again on each call, so a rotated file gives a new fingerprint here.
   */
  async #credentials(): Promise<{ headers: Record<string, string>; agent: Agent }> {
    const options: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name] = String(value);
    if (options.auth !== undefined && options.auth !== null) headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    const tls: TlsMaterial = {};
    if (options.ca !== undefined) tls.ca = options.ca as Buffer | string;
    if (options.cert !== undefined) tls.cert = options.cert as Buffer | string;
    if (options.key !== undefined) tls.key = options.key as Buffer | string;
    if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized;
    if (options.servername !== undefined) tls.servername = options.servername;
    return { headers, agent: this.#agentFor(tls) };
  }

  #agentFor(tls: TlsMaterial): Agent {
    const fingerprint = fingerprintOf(tls);
    if (this.#pool?.fingerprint === fingerprint) return this.#pool.agent;
    const previous = this.#pool;
    // keepAliveInitialDelay 30 s: client-node's and client-go's choice, under cloud load balancers' 60 s idle timeouts.
    const agent = new Agent({ connect: { ...tls, keepAlive: true, keepAliveInitialDelay: 30_000 } });
    this.#pool = { fingerprint, agent };
    this.#pools++;
    // In-flight requests (watches) finish on the old pool; new ones use the new material.
    if (previous !== undefined) void previous.agent.close().catch(() => undefined);
    return agent;
  }

  /** Closes the pool (after its in-flight requests). */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.agent.close();
  }
}

/** A response whose body is still being read: call `rearm()` on each chunk and `done()` at the end. */
export interface StreamingResponse {
  status: number;
  body: AsyncIterable<Uint8Array> | null;
  rearm(): void;
  done(): void;
}

function fingerprintOf(tls: TlsMaterial): string {
  const hash = createHash('sha256');
  for (const key of ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const) hash.update(`${key}=`).update(String(tls[key] ?? '')).update('\0');
  return hash.digest('hex');
}

/** One transport per KubeConfig object: every caller with the same KubeConfig shares its pool. */
const transports = new WeakMap<KubeConfig, KubeTransport>();

/** The KubeTransport of `kubeConfig`, made on first use. */
export function transportFor(kubeConfig: KubeConfig): KubeTransport {
  let transport = transports.get(kubeConfig);
  if (transport === undefined) {
    transport = new KubeTransport(kubeConfig);
    transports.set(kubeConfig, transport);
  }
  return transport;
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

/** getJson GETs `path` (with `query`) and returns the status and parsed body; rejects only on network errors. */
export async function getJson(kubeConfig: KubeConfig, path: string, query: Record<string, string> = {}): Promise<KubeResponse> {
  return transportFor(kubeConfig).request('GET', path, { query });
}
