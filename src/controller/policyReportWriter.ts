/**
 * @module Writes the controller's findings as one policy report per namespace (policyReport.ts builds it). The
 * reconciler tells it each workload's findings as they are evaluated; a namespace whose findings changed is written
 * a moment later (changes of many workloads, as at start-up, coalesce into one write), by one server-side apply of
 * the whole report, and only when the report differs from the one last written. A namespace left with no findings
 * has its report deleted. Only the leader writes: the manager starts the writer with its workers and stops it with
 * them. The apply is not forced: a field another manager owns is left to it (the conflict is logged and counted) and
 * not retried until pytuner's own content changes.
 */
import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { FIELD_MANAGER } from '../api/v1alpha1/common.ts';
import {
  canonicalJson,
  namespaceResults,
  REPORT_LABEL,
  REPORT_RESOURCES,
  REPORT_SOURCE,
  reportObject,
  resultFingerprint,
  type ReportObject,
  type ReportResult,
  type ReportTimestamp,
  type WorkloadFindings,
} from './policyReport.ts';
import type { ReportApi } from '../config/controller.ts';
import { describeError } from './informers.ts';

export interface PolicyReportWriterOptions {
  kubeConfig: KubeConfig;
  api: ReportApi;
  log: Logger;
  /** The one namespace the controller watches; all namespaces when undefined. */
  namespace?: string;
  /** How long after a change a namespace's report is written (changes in between coalesce). */
  flushDelayMs?: number;
  /** How long after a failed write it is tried again. */
  retryDelayMs?: number;
  now?: () => Date;
  /** Called on each failed list, write or delete (the errors metric). */
  onError?: () => void;
  /** Called on each request that wrote (the writes metric). */
  onWrite?: (operation: 'apply' | 'delete') => void;
}

/** What the writer last wrote to a namespace: its content (to skip identical writes) and each result's timestamp. */
interface Written {
  content: string;
  stamps: ReadonlyMap<string, ReportTimestamp>;
}

/** Default delay between a change and the write of its namespace's report. */
const FLUSH_DELAY_MS = 1_000;
const RETRY_DELAY_MS = 10_000;

export class PolicyReportWriter {
  readonly #options: PolicyReportWriterOptions;
  readonly #custom: CustomObjectsApi;
  /** Every workload's current findings, by namespace and key; kept while not leading, so a new leader writes at once. */
  readonly #workloads = new Map<string, Map<string, WorkloadFindings>>();
  /** What is stored, by namespace, as far as this writer knows. */
  readonly #written = new Map<string, Written>();
  readonly #pending = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #running = false;
  /** Counts starts and stops, so that a start the stop overtook does not begin writing. */
  #generation = 0;
  #starting: Promise<void> = Promise.resolve();

  constructor(options: PolicyReportWriterOptions) {
    this.#options = options;
    this.#custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** Records a workload's findings (undefined or empty: none, or the workload is gone) and schedules its namespace. */
  update(key: string, namespace: string, workload: WorkloadFindings | undefined): void {
    let byKey = this.#workloads.get(namespace);
    if (workload === undefined || workload.findings.length === 0) {
      if (byKey?.delete(key) !== true) return;
      if (byKey.size === 0) this.#workloads.delete(namespace);
    } else {
      if (byKey === undefined) this.#workloads.set(namespace, (byKey = new Map()));
      byKey.set(key, workload);
    }
    this.#schedule(namespace, this.#options.flushDelayMs ?? FLUSH_DELAY_MS);
  }

  /**
   * Starts writing: reads the reports pytuner wrote before (this or an earlier process), so unchanged ones are not
   * written again and those of namespaces with no findings left are deleted, then writes every namespace it knows.
   */
  start(): Promise<void> {
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    // Nothing is written until the stored reports are known: a write before would not know what is stored.
    const generation = ++this.#generation;
    const stored = await this.#listStored();
    if (generation !== this.#generation) return; // stopped meanwhile
    this.#running = true;
    for (const report of stored) {
      const namespace = report.metadata.namespace;
      this.#written.set(namespace, writtenOf(report));
      this.#pending.add(namespace);
    }
    for (const namespace of this.#workloads.keys()) this.#pending.add(namespace);
    this.#schedule(undefined, 0);
  }

  /** Stops writing (leadership lost, shutdown) after the write under way, if any. */
  async stop(): Promise<void> {
    this.#generation++;
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#chain;
  }

  /** Resolves when every scheduled write is done, or at once when not writing (tests). */
  async idle(): Promise<void> {
    await this.#starting;
    while (this.#running && (this.#timer !== undefined || this.#pending.size > 0)) {
      await this.#chain;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.#chain;
  }

  #schedule(namespace: string | undefined, delayMs: number): void {
    if (namespace !== undefined) this.#pending.add(namespace);
    if (!this.#running || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const namespaces = [...this.#pending];
      this.#pending.clear();
      this.#chain = this.#chain.then(() => this.#flushAll(namespaces));
    }, delayMs);
    this.#timer.unref();
  }

  async #flushAll(namespaces: readonly string[]): Promise<void> {
    for (const namespace of namespaces) {
      if (!this.#running) {
        this.#pending.add(namespace);
        continue;
      }
      try {
        await this.#flush(namespace);
      } catch (err) {
        this.#options.onError?.();
        this.#options.log.warn({ namespace, err: describeError(err), retryInMs: this.#options.retryDelayMs ?? RETRY_DELAY_MS }, 'could not write the policy report; retrying');
        this.#schedule(namespace, this.#options.retryDelayMs ?? RETRY_DELAY_MS);
      }
    }
  }

  async #flush(namespace: string): Promise<void> {
    const { group, version, plural } = REPORT_RESOURCES[this.#options.api];
    const workloads = this.#workloads.get(namespace);
    const before = this.#written.get(namespace);
    if (workloads === undefined) {
      if (before === undefined) return;
      try {
        await this.#custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name: REPORT_SOURCE });
        this.#options.onWrite?.('delete');
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 404)) throw err;
      }
      this.#written.delete(namespace);
      this.#options.log.info({ namespace }, 'policy report deleted: no findings left in the namespace');
      return;
    }
    const report = this.#build(namespace, namespaceResults(workloads.values()), before);
    if (before?.content === report.written.content) return;
    try {
      await this.#custom.patchNamespacedCustomObject(
        { group, version, plural, namespace, name: REPORT_SOURCE, body: report.object, fieldManager: FIELD_MANAGER, force: false },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
      this.#options.onWrite?.('apply');
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
      // Another manager owns a field pytuner would set: not forced, and not retried until pytuner's content changes.
      this.#options.onError?.();
      this.#options.log.warn({ namespace, err: describeError(err) }, 'policy report not written: another field manager owns part of it');
    }
    this.#written.set(namespace, report.written);
    this.#options.log.debug({ namespace, results: report.object.results.length }, 'policy report written');
  }

  /** The namespace's report; each result keeps the timestamp it had when last written, new ones are stamped now. */
  #build(namespace: string, results: readonly ReportResult[], before: Written | undefined): { object: ReportObject; written: Written } {
    const now = (this.#options.now ?? (() => new Date()))();
    const fresh: ReportTimestamp = { seconds: Math.floor(now.getTime() / 1000), nanos: 0 };
    const stamps = new Map<string, ReportTimestamp>();
    const object = reportObject(this.#options.api, namespace, results, (result) => {
      const fingerprint = resultFingerprint(result);
      const stamp = before?.stamps.get(fingerprint) ?? fresh;
      stamps.set(fingerprint, stamp);
      return stamp;
    });
    return { object, written: { content: canonicalJson(object), stamps } };
  }

  /** The reports pytuner wrote (by its label), in the watched namespace or in all. */
  async #listStored(): Promise<ReportObject[]> {
    const { group, version, plural } = REPORT_RESOURCES[this.#options.api];
    const labelSelector = `${REPORT_LABEL.key}=${REPORT_LABEL.value}`;
    const { namespace } = this.#options;
    try {
      const list = (namespace === undefined
        ? await this.#custom.listClusterCustomObject({ group, version, plural, labelSelector })
        : await this.#custom.listNamespacedCustomObject({ group, version, namespace, plural, labelSelector })) as { items: ReportObject[] };
      return list.items.filter((r) => r.metadata.name === REPORT_SOURCE);
    } catch (err) {
      // Not fatal: without the list each namespace is written once, and a stale report is deleted only when it
      // last had findings in this process.
      this.#options.onError?.();
      this.#options.log.warn({ err: describeError(err), resource: `${plural}.${group}` }, 'could not list existing policy reports');
      return [];
    }
  }
}

/** What a stored report holds, in the form the writer compares its next report with. */
function writtenOf(stored: ReportObject): Written {
  const results = stored.results ?? [];
  const stamps = new Map<string, ReportTimestamp>();
  const kept: ReportObject = {
    apiVersion: stored.apiVersion,
    kind: stored.kind,
    metadata: { name: stored.metadata.name, namespace: stored.metadata.namespace, labels: { [REPORT_LABEL.key]: REPORT_LABEL.value } },
    summary: stored.summary,
    results,
  };
  if (stored.source !== undefined) kept.source = stored.source;
  for (const { timestamp, ...result } of results) stamps.set(resultFingerprint(result), timestamp);
  return { content: canonicalJson(kept), stamps };
}
