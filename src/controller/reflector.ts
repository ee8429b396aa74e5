/**
 * @module A reflector: client-go's list+watch contract, small and owned by pytuner (it replaces client-node's
 * ListWatch and the Watch subclass that bent it). It lists a collection in pages (`limit`/`continue`, one snapshot),
 * keeps what `transform` makes of each item in a store keyed by namespace and name, then watches from the list's
 * resourceVersion with `allowWatchBookmarks`, tracking the newest resourceVersion seen (events and bookmarks, also of
 * objects the transform leaves out, so a quiet shard's watch does not expire on other shards' changes). A watch that
 * ends (the server's timeout) resumes from there; 410 Gone, as an HTTP status or as an ERROR event, re-lists and
 * replaces the store, emitting the differences. Any other error is retried after a doubling delay, which an accepted
 * watch (HTTP 200) or a successful list resets. `synced` turns true once the first list is in the store.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeRequestError, statusMessage, type KubeTransport } from '../input/kubeHttp.ts';

/** A change of the store: what happened to which stored value. */
export type StoreVerb = 'add' | 'update' | 'delete';

/** Restart delay after errors: base doubling up to the cap (client-go's reflector backs off 800 ms → 30 s). */
export interface ReflectorBackoff {
  baseMs: number;
  maxMs: number;
}

/** What a reflector needs. */
export interface ReflectorOptions<T> {
  transport: KubeTransport;
  /** The collection's API path (`/apis/apps/v1/namespaces/shop/deployments`). */
  path: string;
  /** Stamped on each listed item: the API server leaves apiVersion and kind out of a built-in kind's list items. */
  apiVersion: string;
  kind: string;
  /** What to store of an object; undefined leaves it out. Called on every listed and watched object, before storing. */
  transform: (obj: KubernetesObject) => T | undefined;
  /** Items per list page (client-go's pager: 500). */
  pageSize: number;
  backoff: ReflectorBackoff;
  /** Each store change, after the store has it. */
  onChange?: (verb: StoreVerb, value: T) => void;
  /** A list or watch succeeded (list done, or watch accepted): the connection is good again. */
  onSuccess?: () => void;
  /** A list or watch failed with `error`; the reflector retries after `retryInMs`. 410 Gone is not reported. */
  onError?: (error: unknown, retryInMs: number) => void;
  /** After each complete list: how many objects it stored and whether it was a re-list. */
  onListed?: (objects: number, relist: boolean) => void;
  /** Watch request's server-side timeout; default a random 5–10 min, as client-go spreads its watches. */
  watchTimeoutSeconds?: () => number;
  /**
   * List and watch the objects' metadata alone (PartialObjectMetadata, as client-go's metadata informers do): the
   * API server sends no spec or status, which costs it less per watcher and event.
   */
  metadataOnly?: boolean;
}

/** Accept headers of a metadata-only list and watch (ReflectorOptions.metadataOnly). */
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const METADATA_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** A watch event as the API server streams it (one JSON object per line). */
interface WatchEvent {
  type?: string;
  object?: KubernetesObject & { code?: number; message?: string };
}

interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubernetesObject[];
}

/** The API server's answer that the resourceVersion is too old to watch from (or a continue token expired). */
const GONE = 410;

/** The resourceVersion could not be served: re-list. */
class Gone extends Error {
  readonly statusCode = GONE;
}

function isGone(err: unknown): boolean {
  return err instanceof Gone || (err instanceof KubeRequestError && err.statusCode === GONE);
}

/**
 * Reflector keeps a store of one collection current; see the module comment. `start()` once; `stop()` ends it.
 */
export class Reflector<T> {
  readonly #options: ReflectorOptions<T>;
  #store = new Map<string, Map<string, T>>();
  readonly #abort = new AbortController();
  #resourceVersion: string | undefined;
  #failures = 0;
  #lists = 0;
  #synced = false;
  #run: Promise<void> | undefined;

  constructor(options: ReflectorOptions<T>) {
    this.#options = options;
  }

  /** True once the first list is in the store. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Complete lists so far: 1 after the first sync, one more per re-list (410 Gone). */
  get lists(): number {
    return this.#lists;
  }

  /** Errors in a row since the last successful list or accepted watch. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** The newest resourceVersion seen (list, event or bookmark); undefined before the first list and after a 410. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** Starts listing and watching until `stop()`. */
  start(): void {
    this.#run ??= this.#loop();
  }

  /** Stops: aborts the request in flight and any pending retry. The store keeps its values. */
  async stop(): Promise<void> {
    this.#abort.abort(new Error('reflector stopped'));
    await this.#run;
  }

  get(namespace: string, name: string): T | undefined {
    return this.#store.get(namespace)?.get(name);
  }

  /** The stored values of `namespace`, or of all namespaces. */
  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.#store.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const byName of this.#store.values()) for (const value of byName.values()) all.push(value);
    return all;
  }

  get size(): number {
    let n = 0;
    for (const byName of this.#store.values()) n += byName.size;
    return n;
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        if (this.#resourceVersion === undefined) await this.#list();
        await this.#watch();
      } catch (err) {
        if (signal.aborted) return;
        if (isGone(err)) {
          this.#resourceVersion = undefined;
          continue;
        }
        const delayMs = Math.min(this.#options.backoff.maxMs, this.#options.backoff.baseMs * 2 ** this.#failures);
        this.#failures++;
        this.#options.onError?.(err, delayMs);
        await sleep(delayMs, signal);
      }
    }
  }

  #succeeded(): void {
    this.#failures = 0;
    this.#options.onSuccess?.();
  }

  /** Lists every page from one snapshot, then replaces the store with it, emitting the differences. */
  async #list(): Promise<void> {
    const { transport, path, pageSize, transform, apiVersion, kind } = this.#options;
    const listed = new Map<string, Map<string, T>>();
    let resourceVersion: string | undefined;
    let next: string | undefined;
    do {
      const query: Record<string, string> = { limit: String(pageSize), ...(next === undefined ? {} : { continue: next }) };
      const { status, body } = await transport.request('GET', path, { query, signal: this.#abort.signal, ...(this.#options.metadataOnly === true ? { accept: METADATA_LIST } : {}) });
      if (status !== 200) throw new KubeRequestError(path, status, statusMessage(body));
      const page = body as RawList;
      resourceVersion ??= page.metadata?.resourceVersion;
      for (const item of page.items ?? []) {
        const value = transform({ ...item, apiVersion, kind });
        if (value !== undefined) placeIn(listed, item, value);
      }
      next = page.metadata?.continue;
    } while (next !== undefined && next !== '');
    this.#replace(listed);
    this.#resourceVersion = resourceVersion;
    this.#lists++;
    this.#synced = true;
    this.#succeeded();
    this.#options.onListed?.(this.size, this.#lists > 1);
  }

  /** The store becomes `listed`: deletes for what is gone, adds for what is new, updates for what changed version. */
  #replace(listed: Map<string, Map<string, T>>): void {
    const before = this.#store;
    this.#store = listed;
    const { onChange } = this.#options;
    if (onChange === undefined) return;
    for (const [namespace, byName] of before) for (const [name, value] of byName) if (this.get(namespace, name) === undefined) onChange('delete', value);
    for (const [namespace, byName] of listed) {
      for (const [name, value] of byName) {
        const old = before.get(namespace)?.get(name);
        if (old === undefined) onChange('add', value);
        else if (versionOf(old) !== versionOf(value)) onChange('update', value);
      }
    }
  }

  /** One watch request from the current resourceVersion, until the server ends it (its timeout) or it fails. */
  async #watch(): Promise<void> {
    const { transport, path } = this.#options;
    const timeoutSeconds = this.#options.watchTimeoutSeconds?.() ?? Math.floor(300 * (1 + Math.random()));
    const query = { watch: 'true', allowWatchBookmarks: 'true', resourceVersion: this.#resourceVersion ?? '', timeoutSeconds: String(timeoutSeconds) };
    // The server closes the stream at timeoutSeconds; a bookmark comes about every minute before that.
    const response = await transport.stream(path, { query, signal: this.#abort.signal, idleTimeoutMs: (timeoutSeconds + 30) * 1000, ...(this.#options.metadataOnly === true ? { accept: METADATA_WATCH } : {}) });
    try {
      if (response.status !== 200) {
        const chunks: Uint8Array[] = [];
        for await (const chunk of response.body ?? []) chunks.push(chunk);
        throw new KubeRequestError(path, response.status, statusMessage(parseLine(Buffer.concat(chunks).toString('utf8'))), 'WATCH');
      }
      this.#succeeded();
      let pending = '';
      const decoder = new TextDecoder();
      for await (const chunk of response.body ?? []) {
        response.rearm();
        pending += decoder.decode(chunk, { stream: true });
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line.trim() !== '') this.#apply(parseLine(line) as WatchEvent);
          newline = pending.indexOf('\n');
        }
      }
    } finally {
      response.done();
    }
  }

  #apply(event: WatchEvent): void {
    const obj = event.object;
    if (event.type === 'ERROR') throw watchError(this.#options.path, obj);
    if (obj === undefined) return;
    const version = obj.metadata?.resourceVersion;
    if (version !== undefined) this.#resourceVersion = version;
    if (event.type === 'BOOKMARK') return;
    const value = event.type === 'DELETED' ? undefined : this.#options.transform({ ...obj, apiVersion: this.#options.apiVersion, kind: this.#options.kind });
    this.#keep(obj, value);
  }

  /** Stores `value` for `obj`, or removes it (deleted, or no longer kept by the transform), and says so. */
  #keep(obj: KubernetesObject, value: T | undefined): void {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const known = this.get(namespace, name);
    if (value === undefined) {
      if (known === undefined) return;
      this.#store.get(namespace)?.delete(name);
      this.#options.onChange?.('delete', known);
      return;
    }
    placeIn(this.#store, obj, value);
    this.#options.onChange?.(known === undefined ? 'add' : 'update', value);
  }
}

/** The error an ERROR event carries: Gone for 410 (re-list), a KubeRequestError otherwise. */
function watchError(path: string, status: WatchEvent['object']): Error {
  if (status?.code === GONE) return new Gone(status.message ?? 'resourceVersion too old');
  return new KubeRequestError(path, status?.code ?? 500, status?.message ?? 'watch error', 'WATCH');
}

function placeIn<T>(store: Map<string, Map<string, T>>, obj: KubernetesObject, value: T): void {
  const namespace = obj.metadata?.namespace ?? '';
  let byName = store.get(namespace);
  if (byName === undefined) {
    byName = new Map();
    store.set(namespace, byName);
  }
  byName.set(obj.metadata?.name ?? '', value);
}

/** The resourceVersion of a stored value, when it keeps one (an object or a projection with `resourceVersion`). */
function versionOf(value: unknown): string | undefined {
  const v = value as { metadata?: { resourceVersion?: string }; resourceVersion?: string } | undefined;
  return v?.metadata?.resourceVersion ?? v?.resourceVersion;
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
