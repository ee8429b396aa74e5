/**
 * @module The actuator's I/O: runs a Plan from plan.ts against the API server (a workload's JSON Patch under field
 * manager `pytuner`, then the hand-back of Knative's `containers`; an IAMPolicyMember by server-side apply, forced only
 * when the policy says so), turns a 409 of an apply into a typed conflict naming the other manager, publishes Events (events.k8s.io/v1) with old and new values,
 * and writes TuningRecommendations: the object (owned by its workload, so the garbage collector deletes it) with its
 * status in one request (a create, or a JSON Patch replacing the status: it is pytuner's own, written whole and only
 * when it changed; not a server-side apply, which costs the API server more CPU for the same object), answered with
 * its metadata alone.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import {
  ApiException,
  CustomObjectsApi,
  EventsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  V1MicroTime,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { API_VERSION, FIELD_MANAGER, GROUP, VERSION } from '../api/v1alpha1/common.ts';
import {
  TUNING_RECOMMENDATION_KIND,
  TUNING_RECOMMENDATION_PLURAL,
  recommendationName,
  type FieldConflict,
  type TargetRef,
  type TuningRecommendation,
  type TuningRecommendationStatus,
} from '../api/v1alpha1/tuningRecommendation.ts';
import { handBackOwnership, type ManagedFieldsEntry } from './managedFields.ts';
import type { JsonPatchOp } from '../model/finding.ts';
import { CONTAINERS_FIELDS, describeChange, type LiveWorkload, type ObjectRef, type Plan, type PlannedChange, type PlannedEvent, type PlannedWrite } from './plan.ts';
import type { ActuationResult, WriteOutcome } from './status.ts';
import { KubeRequestError, statusMessage, transportFor } from '../input/kubeHttp.ts';

/** `reportingController` of pytuner's Events. */
export const REPORTING_CONTROLLER = 'pytuner.dev/controller';

/** Options of createActuator. */
export interface ActuatorOptions {
  /** Field manager of every write. Defaults to `pytuner` (FIELD_MANAGER). */
  fieldManager?: string;
  /** `reportingInstance` of Events (≤ 128 characters). Defaults to the host name (the pod name in a cluster). */
  reportingInstance?: string;
  /** The clock for `applied.at` and Event times. Defaults to `() => new Date()`. */
  clock?: () => Date;
}

/** Result of a recommendation write: `written: false` when the stored one already equalled it. */
export interface StatusWrite {
  written: boolean;
  recommendation: TuningRecommendation;
}

/** The actuator: every write pytuner makes to the cluster. */
export interface Actuator {
  /** Runs the plan's writes in order, then publishes its Events; never throws for an API error (it is in the outcomes). */
  execute(plan: Plan): Promise<ActuationResult>;
  /**
   * Writes `recommendation` (recommendationObject's spec, owner and policy label, with its `status`) in one request,
   * content included, since the CRD has no status subresource (README, "One write per changed recommendation"): a
   * create when there is no `existing` (the stored object as the caller last saw it, a cache's copy will do), else a
   * JSON Patch that replaces the status whole (recommendationPatch); a create that finds the object, or a patch that
   * finds it gone, is sent again as the other. Writes nothing (`written: false`) when `existing` already has the same
   * spec, owner, label and status.
   */
  writeRecommendation(recommendation: TuningRecommendation, existing?: TuningRecommendation): Promise<StatusWrite>;
  /** Publishes Events; returns the ones that failed, as messages. */
  publish(events: readonly PlannedEvent[]): Promise<string[]>;
}

/** Group, version and plural of the workload kinds pytuner patches with JSON Patch. */
const JSON_PATCH_RESOURCES: Readonly<Record<string, { group: string; version: string; plural: string }>> = {
  'serving.knative.dev/v1/Service': { group: 'serving.knative.dev', version: 'v1', plural: 'services' },
  // The custom-objects client builds /apis/{group}/{version}/namespaces/{namespace}/{plural}/{name}: a Deployment's path too.
  'apps/v1/Deployment': { group: 'apps', version: 'v1', plural: 'deployments' },
};

/** Content-Type of an RFC 6902 JSON Patch. */
const JSON_PATCH = 'application/json-patch+json';

/**
 * Accept header asking the API server to answer a write with the object's metadata alone (PartialObjectMetadata):
 * the rest of a written recommendation is what was sent, so the server need not encode it again, nor the controller
 * parse it (6 KB an answer on average in bench:scale, 0.7 KB of metadata).
 */
const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** createActuator builds the actuator's clients from a KubeConfig. */
export function createActuator(kubeConfig: KubeConfig, options: ActuatorOptions = {}): Actuator {
  const transport = transportFor(kubeConfig);
  const objects = transport.api(KubernetesObjectApi);
  const custom = transport.api(CustomObjectsApi);
  const events = transport.api(EventsV1Api);
  const manager = options.fieldManager ?? FIELD_MANAGER;
  const instance = (options.reportingInstance ?? hostname()).slice(0, 128);
  const clock = options.clock ?? (() => new Date());

  async function runWrite(write: PlannedWrite): Promise<WriteOutcome> {
    try {
      if (write.method === 'server-side-apply') {
        const written = await objects.patch(write.object as KubernetesObject, undefined, undefined, manager, write.force, PatchStrategy.ServerSideApply);
        return writtenOutcome(write, written);
      }
      const resource = JSON_PATCH_RESOURCES[`${write.target.apiVersion}/${write.target.kind}`];
      if (resource === undefined) return { kind: 'failed', write, message: `no JSON Patch route for ${write.target.apiVersion} ${write.target.kind}`, retry: 'terminal' };
      const where = { ...resource, namespace: write.target.namespace ?? 'default', name: write.target.name, fieldManager: manager };
      const written = (await custom.patchNamespacedCustomObject({ ...where, body: write.ops })) as KubernetesObject;
      const outcome = writtenOutcome(write, written);
      if (write.handBack !== undefined) {
        try {
          await custom.patchNamespacedCustomObject({ ...where, body: handBackOps(written, write.handBack, manager) });
        } catch (err) {
          // The value is written; only the ownership stays with pytuner (the next patch gives it back again).
          return { ...outcome, ownership: `containers not handed back to ${write.handBack.map((e) => e.manager).join(', ')}: ${errorMessage(err)}` };
        }
      }
      return outcome;
    } catch (err) {
      return failedOutcome(write, err);
    }
  }

  async function publish(planned: readonly PlannedEvent[]): Promise<string[]> {
    const failures: string[] = [];
    for (const event of planned) {
      try {
        await events.createNamespacedEvent({ namespace: event.regarding.namespace ?? 'default', body: eventBody(event, instance, clock()) });
      } catch (err) {
        failures.push(`${event.reason} for ${event.regarding.kind} ${event.regarding.name}: ${errorMessage(err)}`);
      }
    }
    return failures;
  }

  return {
    async execute(plan) {
      if (plan.kind === 'none') {
        const eventFailures = await publish(plan.events);
        return { plan, outcomes: [], applied: [], conflicts: plan.conflicts, at: clock(), eventFailures };
      }
      const outcomes: WriteOutcome[] = [];
      for (const write of plan.writes) {
        const outcome = await runWrite(write);
        outcomes.push(outcome);
        // The object moved since it was read: the rest of the plan was made from the same stale copy.
        if (outcome.kind === 'failed' && outcome.retry === 'stale') break;
      }
      const applied = outcomes.flatMap((o) => (o.kind === 'written' ? o.write.changes : []));
      const stale = outcomes.some((o) => o.kind === 'failed' && o.retry === 'stale');
      // Nothing written from a stale copy: the caller plans again on the fresh object, which announces what it does.
      if (stale && applied.length === 0) return { plan, outcomes, applied, conflicts: plan.conflicts, at: clock(), eventFailures: [] };
      const serverConflicts = outcomes.flatMap((o) => (o.kind === 'conflict' ? o.conflicts : []));
      const at = clock();
      const toPublish = plan.events.flatMap((e) => (e.onlyIfWritten ? (applied.length > 0 ? [{ ...e, note: appliedNote(applied) }] : []) : [e]));
      toPublish.push(...serverConflicts.map((c) => conflictEvent(c, plan.events[0]?.regarding ?? plan.writes[0]!.target)));
      const eventFailures = await publish(toPublish);
      return { plan, outcomes, applied, conflicts: [...plan.conflicts, ...serverConflicts], at, eventFailures };
    },

    async writeRecommendation(recommendation, existing) {
      if (existing !== undefined && sameRecommendation(existing, recommendation) && isDeepStrictEqual(existing.status ?? {}, recommendation.status ?? {})) return { written: false, recommendation: existing };
      // pytuner's transport, not client-node's KubernetesObjectApi: the write of every changed recommendation went
      // through its discovery, promise chain and ObjectSerializer (model classes for the answer's metadata and
      // managedFields), about a tenth of the controller's CPU in a profile of bench:scale at 2,000 workloads.
      const { namespace = 'default', name } = recommendation.metadata;
      const collection = `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${TUNING_RECOMMENDATION_PLURAL}`;
      const path = `${collection}/${encodeURIComponent(name)}`;
      const query = { fieldManager: manager };
      const update = async (stored: TuningRecommendation) => ({ method: 'PATCH', where: path, answer: await transport.request('PATCH', path, { query, body: recommendationPatch(stored, recommendation), contentType: JSON_PATCH, accept: METADATA_ONLY }) });
      const create = async () => ({ method: 'POST', where: collection, answer: await transport.request('POST', collection, { query, body: recommendation, accept: METADATA_ONLY }) });
      let sent = existing === undefined ? await create() : await update(existing);
      if (sent.method === 'POST' && sent.answer.status === 409) {
        // Created by a writer the caller's copy had not seen yet (a previous leader, a write of unknown outcome).
        const read = await transport.request('GET', path);
        if (read.status < 200 || read.status > 299) throw new KubeRequestError(path, read.status, statusMessage(read.body), 'GET');
        sent = await update(read.body as TuningRecommendation);
      } else if (sent.method === 'PATCH' && sent.answer.status === 404) {
        // Deleted since the caller's copy was read (by a person, or with a workload that was replaced).
        sent = await create();
      }
      const { method, where, answer } = sent;
      if (answer.status < 200 || answer.status > 299) throw new KubeRequestError(where, answer.status, statusMessage(answer.body), method);
      // The stored object: the server's metadata (uid, resourceVersion, every label), the spec and status sent (a
      // create stores them as sent; the patch replaces the status whole and the spec when it differs).
      return { written: true, recommendation: { ...recommendation, metadata: (answer.body as { metadata: TuningRecommendation['metadata'] }).metadata } };
    },

    publish,
  };
}

/**
 * The second request of a Knative container patch: managedFields with `containers` owned again by its managers
 * (managedFields.ts handBackOwnership), conditional on the resourceVersion the patch produced. It changes no value,
 * so it bumps no generation and starts no revision.
 */
function handBackOps(written: KubernetesObject, owners: readonly ManagedFieldsEntry[], manager: string): JsonPatchOp[] {
  const after = (written.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  return [
    { op: 'replace', path: '/metadata/resourceVersion', value: written.metadata?.resourceVersion },
    { op: 'replace', path: '/metadata/managedFields', value: handBackOwnership(after, owners, CONTAINERS_FIELDS, manager, { apiVersion: written.apiVersion ?? '', time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }) },
  ];
}

function writtenOutcome(write: PlannedWrite, written: KubernetesObject): Extract<WriteOutcome, { kind: 'written' }> {
  const generation = written.metadata?.generation;
  return generation === undefined ? { kind: 'written', write } : { kind: 'written', write, generation };
}

/** The API server's Status body of a failed request. */
interface ApiStatus {
  message?: string;
  reason?: string;
  details?: { kind?: string; group?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

function statusOf(err: ApiException<unknown>): ApiStatus {
  const body = err.body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as ApiStatus;
    } catch {
      return { message: body };
    }
  }
  return (body ?? {}) as ApiStatus;
}

/**
 * A failed write as a typed outcome. 409 from server-side apply lists each conflict as a cause
 * `{ reason: FieldManagerConflict, message: 'conflict with "deploy-tool"', field: '.spec.template.spec.containerConcurrency' }`
 * (test/integration/server-side-apply.test.ts). A 409 without such causes is the resourceVersion precondition of a
 * JSON Patch (someone wrote the object since it was read), and a 422 on a JSON Patch is a failed `test` (the API
 * server says only "the server rejected our request due to an error in our request"; a plan's patch is well-formed,
 * so the object moved under it): both `stale`, to be planned again on the object as it is now. 429 and 5xx are
 * transient. A 403 names the permission the controller's identity lacks. An error with no HTTP answer (the connection
 * was cut) is transient and carries no `httpStatus`: the write may or may not have landed.
 */
export function failedOutcome(write: PlannedWrite, err: unknown): WriteOutcome {
  if (!(err instanceof ApiException)) return { kind: 'failed', write, message: errorMessage(err), retry: 'transient' };
  const status = statusOf(err);
  const message = status.message ?? `HTTP ${err.code}`;
  const conflicts = (status.details?.causes ?? []).flatMap((cause) => conflictOf(cause, write));
  if (err.code === 409 && conflicts.length > 0) return { kind: 'conflict', write, conflicts, message };
  if (err.code === 403) return { kind: 'failed', write, httpStatus: 403, message: forbiddenMessage(write, status), retry: 'terminal' };
  // An apply carrying the workload's uid gets 409 "uid mismatch" once the workload is gone: nothing to retry.
  const gone = err.code === 404 || (err.code === 409 && /uid mismatch/.test(message));
  if (gone) return { kind: 'failed', write, httpStatus: err.code, message, retry: 'terminal' };
  if (err.code === 409 || (err.code === 422 && write.method === 'json-patch')) return { kind: 'failed', write, httpStatus: err.code, message, retry: 'stale' };
  const transient = err.code === 429 || err.code >= 500;
  return { kind: 'failed', write, httpStatus: err.code, message, retry: transient ? 'transient' : 'terminal' };
}

/**
 * `may not patch services.serving.knative.dev in namespace shop`: the RBAC rule a refused write needs, from the
 * Forbidden Status's details (`kind` is the resource's plural there) and the write's method (pytuner only patches).
 */
function forbiddenMessage(write: PlannedWrite, status: ApiStatus): string {
  const plural = status.details?.kind ?? `${write.target.kind.toLowerCase()}s`;
  const group = status.details?.group ?? (write.target.apiVersion.includes('/') ? write.target.apiVersion.split('/')[0] : '');
  const resource = group === '' || group === undefined ? plural : `${plural}.${group}`;
  const where = write.target.namespace === undefined ? 'cluster-wide' : `in namespace ${write.target.namespace}`;
  return `may not patch ${resource} ${where}`;
}

function conflictOf(cause: { reason?: string; message?: string; field?: string }, write: PlannedWrite): FieldConflict[] {
  if (cause.reason !== 'FieldManagerConflict') return [];
  const manager = /conflict with "([^"]*)"/.exec(cause.message ?? '')?.[1] ?? 'unknown';
  const field = (cause.field ?? '').replace(/^\./, '');
  const change = write.changes.find((c) => sameField(c.field, field)) ?? write.changes[0];
  return change === undefined ? [] : [{ field: field || change.field, setting: change.setting, manager }];
}

/** `spec.template.spec.containers[name=app].env[name=THREADS].value` vs the API server's `spec.template.spec.containers[name="app"].env[name="THREADS"].value`. */
function sameField(planned: string, reported: string): boolean {
  return planned === reported.replaceAll('"', '');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function appliedNote(applied: readonly PlannedChange[]): string {
  const note = applied.map(describeChange).join('; ');
  return note.length <= 1024 ? note : `${note.slice(0, 1023)}…`;
}

function conflictEvent(conflict: FieldConflict, regarding: ObjectRef): PlannedEvent {
  return {
    type: 'Warning',
    reason: 'TuningConflict',
    action: 'Skip',
    note: `${conflict.field} is managed by ${conflict.manager}; the API server refused pytuner's change (409)`,
    regarding,
    onlyIfWritten: false,
  };
}

/** An events.k8s.io/v1 Event. eventTime is a MicroTime: a plain Date serialises with 3 fractional digits and gets 400. */
function eventBody(event: PlannedEvent, instance: string, now: Date) {
  const regarding: Record<string, string> = { apiVersion: event.regarding.apiVersion, kind: event.regarding.kind, name: event.regarding.name };
  if (event.regarding.namespace !== undefined) regarding.namespace = event.regarding.namespace;
  if (event.regarding.uid !== undefined) regarding.uid = event.regarding.uid;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    // Named like client-go's recorder (`<object>.<hex time>`), plus random bits so two Events in one millisecond differ;
    // generateName cannot do it, since `<object>.` is not a valid prefix.
    metadata: { name: `${event.regarding.name.slice(0, 200)}.${now.getTime().toString(16)}${randomBytes(4).toString('hex')}`, namespace: event.regarding.namespace },
    eventTime: new V1MicroTime(now.toISOString()),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: instance,
    action: event.action,
    reason: event.reason,
    type: event.type,
    note: event.note,
    regarding,
  };
}

/** The TuningRecommendation object (before its status) for a workload: spec, policy label, and the workload as owner. */
export function recommendationObject(target: LiveWorkload, policy: string): TuningRecommendation {
  const targetRef = { apiVersion: target.apiVersion, kind: target.kind, name: target.metadata.name } as TargetRef;
  const metadata: TuningRecommendation['metadata'] = {
    name: recommendationName(targetRef),
    // A label value has no '/': the cluster default policy's `<namespace>/<name>` becomes `<namespace>.<name>` (a
    // namespace name has no dots, so the first one splits it back).
    labels: { 'app.kubernetes.io/managed-by': 'pytuner', 'pytuner.dev/policy': policy.replace('/', '.') },
    // Not `controller: true` (the workload does not reconcile it) and no blockOwnerDeletion (that needs
    // permission on the owner's finalizers): the garbage collector deletes it in the background after the workload.
    ownerReferences: [{ apiVersion: target.apiVersion, kind: target.kind, name: target.metadata.name, uid: target.metadata.uid ?? '' }],
  };
  if (target.metadata.namespace !== undefined) metadata.namespace = target.metadata.namespace;
  return { apiVersion: API_VERSION, kind: TUNING_RECOMMENDATION_KIND, metadata, spec: { targetRef, policy } };
}

/** `/` and `~` of a key in a JSON Pointer (RFC 6901). */
function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The JSON Patch that turns the stored TuningRecommendation `stored` (the cache's copy will do: it keeps the
 * metadata, spec and status' presence) into `desired`: the status replaced whole (a field left out of the new status
 * goes, as a server-side apply of pytuner's own fields removed it); spec, owner and pytuner's labels only when they
 * differ, the labels one key at a time so that labels other people added stay.
 */
export function recommendationPatch(stored: TuningRecommendation, desired: TuningRecommendation): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  if (!sameRecommendation(stored, desired)) {
    ops.push({ op: 'add', path: '/spec', value: desired.spec });
    ops.push({ op: 'add', path: '/metadata/ownerReferences', value: desired.metadata.ownerReferences ?? [] });
    const labels = desired.metadata.labels ?? {};
    if (stored.metadata.labels === undefined) ops.push({ op: 'add', path: '/metadata/labels', value: labels });
    else for (const [key, value] of Object.entries(labels)) if (stored.metadata.labels[key] !== value) ops.push({ op: 'add', path: `/metadata/labels/${pointerToken(key)}`, value });
  }
  ops.push({ op: 'add', path: '/status', value: desired.status ?? {} });
  return ops;
}

/** Whether `existing` has the spec, owner and policy label of `desired` (its status aside). */
export function sameRecommendation(existing: TuningRecommendation, desired: TuningRecommendation): boolean {
  const owners = (o: TuningRecommendation) => (o.metadata.ownerReferences as { uid?: string }[] | undefined)?.map((r) => r.uid);
  return (
    isDeepStrictEqual(existing.spec, desired.spec) &&
    isDeepStrictEqual(owners(existing), owners(desired)) &&
    existing.metadata.labels?.['pytuner.dev/policy'] === desired.metadata.labels?.['pytuner.dev/policy']
  );
}
