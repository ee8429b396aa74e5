/**
 * @module `pytuner report --cluster`: reads the workloads and the identity objects around them from a live API server
 * with the kubeconfig's credentials, and hands them on as the documents `-f` would produce (without file or line: an
 * object's identity is the object). Only `list` is used, in pages (`limit`/`continue`, like client-go's pager). A kind
 * the identity may not list (403) or the API server does not serve (404: no Knative or Config Connector CRDs) becomes
 * a note, and the report goes on with the rest.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { getJson, statusMessage } from './kubeHttp.ts';
import { apiObjectDocument } from '../parse/apiObject.ts';
import type { LoadedInputs, ParsedDocument } from '../parse/types.ts';

/** A kind `--cluster` reads. `workload` kinds are filtered by `--selector`; the others are context for the rules. */
export interface ClusterKind {
  /** How a note names the kind: `Knative Services`. */
  label: string;
  group: string;
  version: string;
  kind: string;
  plural: string;
  workload: boolean;
}

/** Every kind `report --cluster` lists, in the order it lists them. The README's RBAC section lists the same. */
export const CLUSTER_KINDS: readonly ClusterKind[] = [
  { label: 'Knative Services', group: 'serving.knative.dev', version: 'v1', kind: 'Service', plural: 'services', workload: true },
  { label: 'Deployments', group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', workload: true },
  { label: 'ServiceAccounts', group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', workload: false },
  { label: 'IAMPolicyMembers', group: 'iam.cnrm.cloud.google.com', version: 'v1beta1', kind: 'IAMPolicyMember', plural: 'iampolicymembers', workload: false },
  { label: 'IAMPartialPolicies', group: 'iam.cnrm.cloud.google.com', version: 'v1beta1', kind: 'IAMPartialPolicy', plural: 'iampartialpolicies', workload: false },
];

/** Which cluster, which credentials, which objects. */
export interface ClusterOptions {
  /** A kubeconfig file; default: `$KUBECONFIG`, `~/.kube/config`, or the in-cluster service account. */
  kubeconfig?: string;
  /** A context of the kubeconfig; default: its current context. */
  context?: string;
  /** Namespaces to read; empty: the context's namespace (`default` when it names none). Ignored with `allNamespaces`. */
  namespaces: readonly string[];
  allNamespaces: boolean;
  /** A label selector for the workloads (`app=orders,tier!=batch`). */
  selector?: string;
  /** Items per list page (client-go's pager uses 500). */
  pageSize?: number;
}

/** What was read: the documents with their notes, and whether a kind was refused (a partial report, exit 2). */
export interface ClusterInputs {
  loaded: LoadedInputs;
  /** One sentence per kind that was not read, or read only in part, and why. */
  notes: string[];
  partial: boolean;
  /** The API server's URL, for messages. */
  server: string;
}

/** The cluster could not be read at all (no kubeconfig, unknown context, server unreachable, credentials refused). */
export class ClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}

const PAGE_SIZE = 500;

/** Reads every kind of CLUSTER_KINDS in the chosen namespaces. Throws ClusterError only when nothing can be read. */
export async function readCluster(options: ClusterOptions): Promise<ClusterInputs> {
  const kubeConfig = loadKubeConfig(options);
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  const scopes = options.allNamespaces ? [undefined] : options.namespaces.length > 0 ? [...new Set(options.namespaces)] : [contextNamespace(kubeConfig)];
  const objects: Record<string, unknown>[] = [];
  const notes: string[] = [];
  let partial = false;
  for (const kind of CLUSTER_KINDS) {
    for (const namespace of scopes) {
      const result = await listAll(kubeConfig, server, kind, namespace, kind.workload ? options.selector : undefined, options.pageSize ?? PAGE_SIZE);
      objects.push(...result.items);
      if (result.note === undefined) continue;
      notes.push(result.note.text);
      partial ||= result.note.partial;
      // The API server does not serve the kind at all: asking again in the next namespace says the same.
      if (result.note.absent) break;
    }
  }
  const documents: ParsedDocument[] = objects.map((object, index) => apiObjectDocument(object, index));
  return { loaded: { documents, sources: [], errors: [], files: 0 }, notes, partial, server };
}

function loadKubeConfig(options: ClusterOptions): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (options.kubeconfig === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(options.kubeconfig);
  } catch (error) {
    throw new ClusterError(`cannot load the kubeconfig${options.kubeconfig === undefined ? '' : ` ${options.kubeconfig}`}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (options.context !== undefined) {
    if (kubeConfig.getContextObject(options.context) === null) {
      const known = kubeConfig.getContexts().map((c) => c.name);
      throw new ClusterError(`the kubeconfig has no context "${options.context}" (it has: ${known.length === 0 ? 'none' : known.join(', ')})`);
    }
    kubeConfig.setCurrentContext(options.context);
  }
  if (kubeConfig.getCurrentCluster() === null) throw new ClusterError('the kubeconfig has no current cluster (set a current context, or pass --context)');
  return kubeConfig;
}

/** The namespace of the current context, as kubectl uses it without `-n`. */
function contextNamespace(kubeConfig: KubeConfig): string {
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
}

interface ListNote {
  text: string;
  /** A permission or a server error left objects out: the report is partial. */
  partial: boolean;
  /** The kind is not served here (404). */
  absent: boolean;
}

interface RawList {
  items?: Record<string, unknown>[];
  metadata?: { continue?: string };
}

/** Lists one kind in one namespace (or all), page by page. Items get the apiVersion and kind a list leaves out. */
async function listAll(kubeConfig: KubeConfig, server: string, kind: ClusterKind, namespace: string | undefined, selector: string | undefined, pageSize: number): Promise<{ items: Record<string, unknown>[]; note?: ListNote }> {
  const apiVersion = kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
  const base = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const path = namespace === undefined ? `${base}/${kind.plural}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}`;
  const where = namespace === undefined ? 'in any namespace' : `in namespace ${namespace}`;
  const items: Record<string, unknown>[] = [];
  let next: string | undefined;
  do {
    const query: Record<string, string> = { limit: String(pageSize) };
    if (next !== undefined) query['continue'] = next;
    if (selector !== undefined) query['labelSelector'] = selector;
    let response;
    try {
      response = await getJson(kubeConfig, path, query);
    } catch (error) {
      throw new ClusterError(`cannot reach the API server ${server}: ${causeOf(error)}`);
    }
    const { status, body } = response;
    if (status === 401) throw new ClusterError(`the API server ${server} refused the kubeconfig's credentials (401 Unauthorized): ${statusMessage(body)}`);
    if (status === 403) {
      const resource = kind.group === '' ? kind.plural : `${kind.plural}.${kind.group}`;
      return { items: [], note: { text: `${kind.label} ${where} were not read: this identity may not list ${resource} (403: ${statusMessage(body)})`, partial: true, absent: false } };
    }
    if (status === 404) {
      return { items: [], note: { text: `${kind.label} (${apiVersion}) were not read: this API server does not serve them (404; no CRD installed)`, partial: false, absent: true } };
    }
    if (status !== 200) {
      const got = items.length === 0 ? '' : ` after ${items.length} of them`;
      return { items, note: { text: `${kind.label} ${where} were not read in full${got}: ${status} ${statusMessage(body)}`, partial: true, absent: false } };
    }
    const page = body as RawList;
    for (const item of page.items ?? []) items.push({ ...item, apiVersion, kind: kind.kind });
    next = page.metadata?.continue;
  } while (next !== undefined && next !== '');
  return { items };
}

/** The innermost cause of a network error (undici wraps ECONNREFUSED in `fetch failed`). */
function causeOf(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** What readKind listed: the raw objects (apiVersion and kind set), with notes as readCluster gives them. */
export interface KindList {
  items: Record<string, unknown>[];
  notes: string[];
  partial: boolean;
}

/**
 * readKind lists one kind (pytuner's own TuningRecommendations, for `pytuner recommendations export`) in the namespaces
 * of `options`, with readCluster's kubeconfig, paging and notes. Throws ClusterError only when nothing can be read.
 */
export async function readKind(options: ClusterOptions, kind: ClusterKind): Promise<KindList> {
  const kubeConfig = loadKubeConfig(options);
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  const scopes = options.allNamespaces ? [undefined] : options.namespaces.length > 0 ? [...new Set(options.namespaces)] : [contextNamespace(kubeConfig)];
  const out: KindList = { items: [], notes: [], partial: false };
  for (const namespace of scopes) {
    const result = await listAll(kubeConfig, server, kind, namespace, undefined, options.pageSize ?? PAGE_SIZE);
    out.items.push(...result.items);
    if (result.note === undefined) continue;
    out.notes.push(result.note.text);
    out.partial ||= result.note.partial || result.note.absent;
    if (result.note.absent) break;
  }
  return out;
}
