/**
 * @module Leader election on a `coordination.k8s.io/v1` Lease, as client-go's `leaderelection` package does it, so
 * that of several replicas only one writes. A candidate takes the Lease when it is free (no holder) or when its
 * record has not changed for `leaseDuration` by the candidate's own clock (never by comparing the holder's
 * `renewTime` with local time, which would trust two clocks to agree); the leader renews every `retryPeriod` and
 * gives up when it could not renew for `renewDeadline` (< leaseDuration, so it stops before anyone may take over).
 * Writes use the Lease's resourceVersion, so two candidates racing for it cannot both win.
 * @see https://github.com/kubernetes/client-go/blob/master/tools/leaderelection/leaderelection.go
 */
import { CONTROLLER_DEFAULTS as D } from '../config/controller.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeRequestError, statusMessage, transportFor, type KubeTransport } from '../input/kubeHttp.ts';

/** Timing of the election. Defaults are client-go's (15 s / 10 s / 2 s), which kube-controller-manager uses. */
export interface LeaseTiming {
  /** How long a Lease whose record does not change stays someone else's. Whole seconds on the wire. */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it stops leading. Must be < leaseDurationMs. */
  renewDeadlineMs: number;
  /** Pause between attempts to acquire or renew. */
  retryPeriodMs: number;
}

/** client-go's defaults (`DefaultLeaseDuration`, `DefaultRenewDeadline`, `DefaultRetryPeriod` in kube-controller-manager), from src/config/controller.ts. */
export const DEFAULT_LEASE_TIMING: LeaseTiming = { leaseDurationMs: D.leaseDurationMs, renewDeadlineMs: D.renewDeadlineMs, retryPeriodMs: D.retryPeriodMs };

/** The holder fields of a Lease, as the election reads them. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  leaseTransitions: number;
  resourceVersion: string;
}

/**
 * A coordination.k8s.io/v1 Lease as JSON: read and written raw, so its times stay the server's strings and no model
 * class of client-node is loaded (the elector is built before the controller is ready).
 */
interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** When this candidate last saw the Lease record change, by its own clock. */
export interface Observation {
  resourceVersion: string;
  observedAt: number;
}

/** What a candidate may do with the Lease now. */
export type LeaseDecision = 'create' | 'renew' | 'take' | 'wait';

/**
 * decideLease is the election's rule, pure: create a missing Lease; renew one we hold; take one that has no holder
 * or whose record has not changed for its duration since we first saw it; otherwise wait.
 */
export function decideLease(record: LeaseRecord | undefined, observation: Observation | undefined, identity: string, now: number): LeaseDecision {
  if (record === undefined) return 'create';
  if (record.holderIdentity === identity) return 'renew';
  if (record.holderIdentity === '') return 'take';
  if (observation === undefined || observation.resourceVersion !== record.resourceVersion) return 'wait';
  return now - observation.observedAt >= record.leaseDurationSeconds * 1000 ? 'take' : 'wait';
}

/** Settings of a LeaderElector. */
export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  /** Unique per replica: the pod name plus a random suffix. */
  identity: string;
  timing?: Partial<LeaseTiming>;
  log: Logger;
  /** Called on each failed API call (counted by the caller's metrics). */
  onError?: (error: unknown) => void;
  now?: () => number;
}

/**
 * LeaderElector campaigns for a Lease. `acquire()` resolves once this replica leads; `lost` then resolves if it
 * stops leading (renewals failed for renewDeadline, or someone else holds the Lease); `release()` gives the Lease
 * up (no holder, one-second duration) so another replica takes over at once instead of after leaseDuration.
 */
export class LeaderElector {
  readonly identity: string;
  readonly #transport: KubeTransport;
  readonly #options: LeaderElectorOptions;
  readonly #timing: LeaseTiming;
  readonly #now: () => number;
  #observation: Observation | undefined;
  #leading = false;
  #stopped = false;
  #lastRenewal = 0;
  #wake: (() => void) | undefined;
  #renewLoop: Promise<void> | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.identity = options.identity;
    this.#transport = transportFor(options.kubeConfig);
    this.#timing = { ...DEFAULT_LEASE_TIMING, ...options.timing };
    if (this.#timing.renewDeadlineMs >= this.#timing.leaseDurationMs) {
      throw new Error(`the renew deadline (${this.#timing.renewDeadlineMs} ms) must be shorter than the lease duration (${this.#timing.leaseDurationMs} ms)`);
    }
    if (this.#timing.leaseDurationMs < 1000) throw new Error(`the lease duration must be at least 1 s (leaseDurationSeconds is whole seconds), got ${this.#timing.leaseDurationMs} ms`);
    this.#now = options.now ?? Date.now;
  }

  /** True while this replica holds the Lease. */
  get leading(): boolean {
    return this.#leading;
  }

  /** Resolves when this replica leads, or with false if `stop()` was called first. */
  async acquire(): Promise<boolean> {
    while (!this.#stopped) {
      if (await this.#tryAcquireOrRenew()) {
        this.#leading = true;
        this.#lastRenewal = this.#now();
        this.#options.log.info({ lease: this.#leaseName(), identity: this.identity }, 'became leader');
        return true;
      }
      await this.#pause(this.#timing.retryPeriodMs);
    }
    return false;
  }

  /**
   * Renews until renewals have failed for renewDeadline (or `stop()`); resolves when this replica no longer leads.
   * Call after `acquire()` resolved true.
   */
  holdUntilLost(): Promise<void> {
    this.#renewLoop ??= (async () => {
      while (!this.#stopped && this.#leading) {
        await this.#pause(this.#timing.retryPeriodMs);
        if (this.#stopped) break;
        if (await this.#tryAcquireOrRenew()) {
          this.#lastRenewal = this.#now();
        } else if (this.#now() - this.#lastRenewal >= this.#timing.renewDeadlineMs) {
          this.#leading = false;
          this.#options.log.error({ lease: this.#leaseName(), identity: this.identity }, 'stopped leading: could not renew the lease within the renew deadline');
        }
      }
    })().finally(() => (this.#renewLoop = undefined));
    return this.#renewLoop;
  }

  /**
   * Renews once, now (call before `holdUntilLost`): true while this replica holds the Lease. A leader that could not
   * renew for a while (its event loop blocked) may have lost the Lease to a standby without noticing; then it stops
   * leading here, before it starts writing.
   */
  async confirm(): Promise<boolean> {
    if (!this.#leading || this.#stopped) return false;
    if (await this.#tryAcquireOrRenew()) {
      this.#lastRenewal = this.#now();
      return true;
    }
    this.#leading = false;
    this.#options.log.warn({ lease: this.#leaseName(), identity: this.identity, sinceRenewalMs: this.#now() - this.#lastRenewal }, 'stopped leading: the lease could not be renewed before the workers started');
    return false;
  }

  /** Stops campaigning and renewing (without releasing: see `release`). */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /**
   * Stops, then gives up the Lease if this replica holds it: no holder and a one-second duration, as client-go's
   * `ReleaseOnCancel` does, so a standby takes over at its next retry. Never throws: the Lease expires anyway.
   */
  async release(): Promise<void> {
    this.stop();
    await this.#renewLoop;
    const wasLeading = this.#leading;
    this.#leading = false;
    if (!wasLeading) return;
    try {
      const lease = await this.#readLease();
      if (lease?.spec?.holderIdentity !== this.identity) return;
      const now = microTime(this.#now());
      lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now };
      await this.#write('PUT', lease);
      this.#options.log.info({ lease: this.#leaseName(), identity: this.identity }, 'released the lease');
    } catch (err) {
      this.#options.onError?.(err);
      this.#options.log.warn({ lease: this.#leaseName(), err: errorText(err) }, 'could not release the lease; it expires after its duration');
    }
  }

  #leaseName(): string {
    return `${this.#options.namespace}/${this.#options.name}`;
  }

  /** One attempt: true when this replica holds the Lease afterwards. API errors and lost races count as false. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace } = this.#options;
    try {
      const lease = await this.#readLease();
      const now = this.#now();
      const record = lease === undefined ? undefined : leaseRecord(lease);
      if (record !== undefined && this.#observation?.resourceVersion !== record.resourceVersion) this.#observation = { resourceVersion: record.resourceVersion, observedAt: now };
      const decision = decideLease(record, this.#observation, this.identity, now);
      if (decision === 'wait') return false;
      const time = microTime(now);
      const leaseDurationSeconds = Math.ceil(this.#timing.leaseDurationMs / 1000);
      if (decision === 'create' || lease === undefined) {
        const created = await this.#write('POST', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: this.identity, leaseDurationSeconds, acquireTime: time, renewTime: time, leaseTransitions: 0 },
        });
        this.#observe(created, now);
        return true;
      }
      const taking = decision === 'take';
      lease.spec = {
        ...lease.spec,
        holderIdentity: this.identity,
        leaseDurationSeconds,
        renewTime: time,
        acquireTime: taking ? time : (lease.spec?.acquireTime ?? time),
        leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (taking ? 1 : 0),
      };
      const replaced = await this.#write('PUT', lease);
      this.#observe(replaced, now);
      return true;
    } catch (err) {
      // 409: another candidate wrote first (a lost race, not a failure worth counting).
      if (!(err instanceof KubeRequestError && err.statusCode === 409)) {
        this.#options.onError?.(err);
        this.#options.log.warn({ lease: this.#leaseName(), err: errorText(err) }, 'lease request failed');
      }
      return false;
    }
  }

  #observe(lease: Lease, now: number): void {
    this.#observation = { resourceVersion: lease.metadata?.resourceVersion ?? '', observedAt: now };
  }

  /** The Lease as the API server has it (raw JSON: its times stay the strings it sent); undefined when there is none. */
  async #readLease(): Promise<Lease | undefined> {
    const path = this.#leasePath();
    const { status, body } = await this.#transport.request('GET', path);
    if (status === 404) return undefined;
    if (status !== 200) throw new KubeRequestError(path, status, statusMessage(body));
    return body as Lease;
  }

  /** Creates (POST) or replaces (PUT, guarded by the Lease's resourceVersion) the Lease; resolves with what was stored. */
  async #write(method: 'POST' | 'PUT', lease: Lease): Promise<Lease> {
    const path = method === 'POST' ? this.#leasesPath() : this.#leasePath();
    const { status, body } = await this.#transport.request(method, path, { body: lease });
    if (status !== 200 && status !== 201) throw new KubeRequestError(path, status, statusMessage(body), method);
    return body as Lease;
  }

  #leasesPath(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#options.namespace)}/leases`;
  }

  #leasePath(): string {
    return `${this.#leasesPath()}/${encodeURIComponent(this.#options.name)}`;
  }

  /** Waits `ms`, or less if `stop()` is called. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** The election's view of a Lease. */
function leaseRecord(lease: Lease): LeaseRecord {
  return {
    holderIdentity: lease.spec?.holderIdentity ?? '',
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
    leaseTransitions: lease.spec?.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion ?? '',
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A MicroTime as the API server reads it: RFC 3339 with exactly six fractional digits (what client-node's V1MicroTime
 * writes; a Date's three digits are refused).
 */
function microTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}000Z`;
}
