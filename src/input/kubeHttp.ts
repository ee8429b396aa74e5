/**
 * @module pytuner's HTTP client for the API server: one `KubeTransport` per KubeConfig (`transportFor`), used by the
 * controller's reflectors, its writes, the integration tests and the benches alike, so all of them run one
 * connection model. Credentials come from the KubeConfig's public `applyToHTTPSOptions` on every request (a bearer
 * token, an exec plugin's token, the CA and the client certificate, re-read from their files by client-node each
 * time); a connection is kept while that TLS material is unchanged and replaced when it changes, so a rotated client
 * certificate or CA is used from the next request on. The old connection is closed gracefully: requests on it (a
 * watch) finish first.
 *
 * pytuner's own requests (discovery, lists, watches, the Lease, its writes) go over one HTTP/2 session of Node's
 * builtin `node:http2` client, as client-go multiplexes a controller's requests on one connection. Why not undici's
 * `fetch`, which they used before: loading undici and the first `fetch` calls (its Agent, Client, WHATWG streams and
 * headers) were a quarter of the CPU the controller spent before it was ready (bench/startup.ts, `--cpu-prof`), and at
 * a tenth of a CPU each millisecond is ten of start-up. undici remains for what needs it: an API server without HTTP/2
 * (a plain `http://` URL, or a server whose TLS handshake does not select `h2`, seen once and remembered), and
 * client-node's generated API clients (the reconciler's and the actuator's writes, Events), whose requests take an
 * undici dispatcher: the transport is their `SecurityAuthentication` (the extension point their `Configuration`
 * offers) and gives them its undici Agent, a pool of its own built on their first request, after ready. The bundle
 * loads undici only then (scripts/bundle-subsets/undici.js).
 *
 * Why not client-node's own dispatcher: @kubernetes/client-node 2.0.1 builds a new undici Agent for every request
 * (`applySecurityAuthentication` → its private `createDispatcher`; kubernetes-client/javascript#2893), so every API
 * call opens a TLS connection of its own; `bench:scale` measured 45% of the controller's CPU in handshakes with it.
 * kubeHttp.test.ts shows that behaviour, so this module's pool can be dropped once an upgrade caches its agent.
 *
 * Lists and watches are read as raw JSON, not through client-node's model classes, which drop unknown fields of
 * custom resources and turn timestamps into Dates.
 */
import { createHash } from 'node:crypto';
import { connect as http2Connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import type { RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
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
  /** Accept header; default application/json. */
  accept?: string;
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
 * HTTP/2 flow-control windows of pytuner's side, per stream and for the connection. HTTP/2's default is 64 KiB for
 * both: every watch and every answer of a session shared 64 KiB in flight, so while the controller's event loop was
 * busy with a reconcile the API server could send no more than that, its per-watcher buffer filled, and it closed the
 * watch as too slow (bench:scale at 1,000 workloads: the recommendations watch re-opened 15–19 times in 40 s). Go's
 * HTTP/2 client, client-go's, uses 4 MiB per stream and 1 GiB per connection. Unread data is held up to these sizes.
 */
const STREAM_WINDOW_BYTES = 4 * 2 ** 20;
const CONNECTION_WINDOW_BYTES = 16 * 2 ** 20;

/** TCP keep-alive after 30 s idle: client-node's and client-go's choice, under cloud load balancers' 60 s idle timeouts. */
const KEEP_ALIVE_INITIAL_DELAY_MS = 30_000;

/**
 * The User-Agent of pytuner's own requests, as client-go names its programs: the API server's audit log and metrics
 * tell them apart, and bench/scale-requests.ts counts its HTTP/2 streams by it (undici's own HTTP/2 streams, client-node's
 * typed clients, are counted as undici requests).
 */
const USER_AGENT = 'pytuner';

/** What a request resolves with once its headers are in: the status and the body still to be read. */
interface ResponseHead {
  status: number;
  body: AsyncIterable<Uint8Array> | null;
}

/**
 * KubeTransport sends requests to the API server a KubeConfig names, over one HTTP/2 session that follows the
 * KubeConfig's TLS material (see the module comment).
 */
export class KubeTransport implements SecurityAuthentication {
  readonly kubeConfig: KubeConfig;
  #session: { fingerprint: string; session: ClientHttp2Session } | undefined;
  #pool: { fingerprint: string; agent: Agent } | undefined;
  #fingerprint: string | undefined;
  #last: { tls: TlsMaterial; fingerprint: string } | undefined;
  #pools = 0;
  /** The server answered a TLS handshake without selecting h2: its requests go through undici from then on. */
  #withoutHttp2 = false;

  constructor(kubeConfig: KubeConfig) {
    this.kubeConfig = kubeConfig;
  }

  /** TLS materials used so far: one, and one more for each change (a rotation); each gets new connections. */
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

  /** SecurityAuthentication: the credentials' headers and this transport's undici pool on a request of client-node's API clients. */
  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const { headers, tls, fingerprint } = await this.#credentials();
    for (const [name, value] of Object.entries(headers)) context.setHeaderParam(name, value);
    context.setDispatcher(this.#agentFor(tls, fingerprint) as never);
  }

  /** Sends one request; resolves with the status and parsed body (rejects only on network errors and timeouts). */
  async request(method: string, path: string, options: KubeRequest = {}): Promise<KubeResponse> {
    const response = await this.#send(method, path, options, true);
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

  async #send(method: string, path: string, options: KubeRequest, wholeBody = false): Promise<StreamingResponse> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const credentials = await this.#credentials();
    const idleMs = options.idleTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const abort = new AbortController();
    const onOuterAbort = () => abort.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (options.signal?.aborted === true) onOuterAbort();
    let timer: NodeJS.Timeout | undefined;
    let session: ClientHttp2Session | undefined;
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        abort.abort(new Error(`${method} ${path} timed out after ${idleMs / 1000} s without data`));
        // Silence may be a dead connection (no FIN, no RST: TCP keep-alive notices in minutes): new requests get a new
        // session, as client-go's HTTP/2 health check would give them; the old one ends with its last stream.
        session?.close();
      }, idleMs);
    };
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onOuterAbort);
    };
    rearm();
    const hasBody = options.body !== undefined;
    const request: OutgoingRequest = {
      method,
      url,
      headers: { ...credentials.headers, accept: options.accept ?? 'application/json', 'user-agent': USER_AGENT, ...(hasBody ? { 'content-type': options.contentType ?? 'application/json' } : {}) },
      ...(hasBody ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
      signal: abort.signal,
      wholeBody,
    };
    try {
      const response = await this.#sendOverHttp2Or1(request, credentials, (used) => (session = used));
      rearm();
      return { ...response, rearm, done };
    } catch (err) {
      done();
      throw err;
    }
  }

  /** Over the HTTP/2 session when the server speaks HTTP/2 over TLS; through undici otherwise. */
  async #sendOverHttp2Or1(request: OutgoingRequest, credentials: Credentials, onSession: (session: ClientHttp2Session) => void): Promise<ResponseHead> {
    if (request.url.protocol !== 'https:' || this.#withoutHttp2) return this.#sendWithUndici(request, credentials);
    const session = this.#sessionFor(request.url, credentials);
    onSession(session);
    try {
      return await sendOverSession(session, request);
    } catch (err) {
      // The handshake selected another protocol: nothing was sent, so the request goes again, through undici.
      if (this.#withoutHttp2) return this.#sendWithUndici(request, credentials);
      throw err;
    }
  }

  async #sendWithUndici(request: OutgoingRequest, credentials: Credentials): Promise<ResponseHead> {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      signal: request.signal,
      dispatcher: this.#agentFor(credentials.tls, credentials.fingerprint),
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    return { status: response.status, body: response.body };
  }

  /**
   * The HTTP/2 session for the TLS material now: the current one while it is open and the material unchanged, else a
   * new one (the previous one closes once its streams end). Its TLS socket offers h2 and http/1.1 and remembers a
   * server that picks http/1.1, so that the request fails here and goes through undici instead.
   */
  #sessionFor(url: URL, { tls, fingerprint }: Credentials): ClientHttp2Session {
    const current = this.#session;
    if (current !== undefined && current.fingerprint === fingerprint && !current.session.closed && !current.session.destroyed) return current.session;
    if (current !== undefined && current.fingerprint !== fingerprint) current.session.close();
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || 443);
    const session = http2Connect(url.origin, {
      settings: { initialWindowSize: STREAM_WINDOW_BYTES },
      createConnection: () => {
        const socket = tlsConnect({ ...tls, host, port, ALPNProtocols: ['h2', 'http/1.1'], ...(tls.servername === undefined && isIP(host) === 0 ? { servername: host } : {}) });
        socket.setKeepAlive(true, KEEP_ALIVE_INITIAL_DELAY_MS);
        socket.once('secureConnect', () => {
          if (socket.alpnProtocol !== 'h2') this.#withoutHttp2 = true;
        });
        return socket;
      },
    });
    session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW_BYTES));
    // A failed session fails its open streams (their requests reject); the next request opens a new session.
    session.on('error', () => undefined);
    session.once('close', () => {
      if (this.#session?.session === session) this.#session = undefined;
    });
    // Open watches do not keep the process alive on their own (each request's idle timer does, while it waits).
    session.unref();
    this.#session = { fingerprint, session };
    return session;
  }

  /**
   * The request headers (bearer token, impersonation, basic auth) and the TLS material now, with its fingerprint.
   * client-node reads caFile/certFile/keyFile again on each call, so a rotated file gives a new fingerprint here.
   */
  async #credentials(): Promise<Credentials> {
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
    // The same bytes as last time (every request but a rotation's): no hash of the CA, certificate and key again.
    const fingerprint = this.#last !== undefined && sameMaterial(this.#last.tls, tls) ? this.#last.fingerprint : fingerprintOf(tls);
    this.#last = { tls, fingerprint };
    if (fingerprint !== this.#fingerprint) {
      this.#fingerprint = fingerprint;
      this.#pools++;
    }
    return { headers, tls, fingerprint };
  }

  #agentFor(tls: TlsMaterial, fingerprint: string): Agent {
    if (this.#pool?.fingerprint === fingerprint) return this.#pool.agent;
    const previous = this.#pool;
    const agent = new Agent({ connect: { ...tls, keepAlive: true, keepAliveInitialDelay: KEEP_ALIVE_INITIAL_DELAY_MS } });
    this.#pool = { fingerprint, agent };
    // In-flight requests (watches) finish on the old pool; new ones use the new material.
    if (previous !== undefined) void previous.agent.close().catch(() => undefined);
    return agent;
  }

  /** Closes the connections (after their in-flight requests). */
  async close(): Promise<void> {
    const session = this.#session?.session;
    const pool = this.#pool;
    this.#session = undefined;
    this.#pool = undefined;
    await Promise.all([
      session === undefined || session.closed ? undefined : new Promise<void>((resolve) => session.close(() => resolve())),
      pool?.agent.close(),
    ]);
  }
}

/** The headers and TLS material of a request, as `#credentials` reads them from the KubeConfig. */
interface Credentials {
  headers: Record<string, string>;
  tls: TlsMaterial;
  fingerprint: string;
}

/** A request as `#send` prepared it, for either client. */
interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /**
   * The answer is read whole (`request`), so a body cut short is an error. A watch's stream (`stream`) that ends early,
   * for whatever reason, is only ended: the reflector watches again from its last resourceVersion, as client-go does.
   */
  wholeBody: boolean;
}

/** Sends `request` on an HTTP/2 session; resolves once the response headers are in, with the stream as the body. */
function sendOverSession(session: ClientHttp2Session, request: OutgoingRequest): Promise<ResponseHead> {
  const headers: Record<string, string> = { ':method': request.method, ':path': request.url.pathname + request.url.search };
  // HTTP/2 header names are lower case (RFC 9113 8.2.1); the KubeConfig gives `Authorization`.
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const stream: ClientHttp2Stream = session.request(headers, { signal: request.signal, endStream: request.body === undefined });
  if (request.body !== undefined) stream.end(request.body);
  return new Promise((resolve, reject) => {
    stream.once('response', (headers) => resolve({ status: Number(headers[':status']), body: chunksOf(stream, request) }));
    stream.once('error', (err) => reject(reasonOf(err, request.signal)));
    stream.once('close', () => reject(new Error(`${request.method} ${request.url.pathname}: the stream closed before a response (HTTP/2 code ${stream.rstCode})`)));
  });
}

/**
 * The body of an HTTP/2 response. An abort (the idle timer, a watch's stop) fails a stream with Node's generic
 * AbortError; the error given is the abort's reason instead, as undici's fetch gives it (`… timed out after 30 s`).
 * A body cut short (the connection lost or the stream reset mid-body) ends Node's iteration as if complete, or fails
 * it with a bare "Premature close": the error given names the request and the stream's HTTP/2 code, and a body read
 * whole that was cut short is an error too, never a truncated answer taken for the whole one.
 */
async function* chunksOf(stream: ClientHttp2Stream, request: OutgoingRequest): AsyncIterable<Uint8Array> {
  const cutShort = () => new Error(`${request.method} ${request.url.pathname}: the stream closed before the end of its body (HTTP/2 code ${stream.rstCode})`);
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (err) {
    if (!request.signal.aborted && (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      // After 'end' the answer is whole: every byte up to END_STREAM was read and yielded above. Node's iteration can
      // still fail with "Premature close" when the answer and the stream's close arrived before the iteration began
      // (short answers, many at once: test/integration/transport.test.ts saw 2 in 100 at 64 in flight).
      if (stream.readableEnded) return;
      throw Object.assign(cutShort(), { cause: err });
    }
    throw reasonOf(err, request.signal);
  }
  if (request.wholeBody && !stream.readableEnded && !request.signal.aborted) throw cutShort();
}

function reasonOf(err: unknown, signal: AbortSignal): unknown {
  return signal.aborted && signal.reason !== undefined ? signal.reason : err;
}

/** A response whose body is still being read: call `rearm()` on each chunk and `done()` at the end. */
export interface StreamingResponse {
  status: number;
  body: AsyncIterable<Uint8Array> | null;
  rearm(): void;
  done(): void;
}

const TLS_KEYS = ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const;

function fingerprintOf(tls: TlsMaterial): string {
  const hash = createHash('sha256');
  for (const key of TLS_KEYS) hash.update(`${key}=`).update(String(tls[key] ?? '')).update('\0');
  return hash.digest('hex');
}

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return TLS_KEYS.every((key) => {
    const x = a[key];
    const y = b[key];
    return Buffer.isBuffer(x) && Buffer.isBuffer(y) ? x.equals(y) : x === y;
  });
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
