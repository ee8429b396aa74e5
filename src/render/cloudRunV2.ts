/**
 * @module Fixes for services read from the Cloud Run Admin API v2 (`report --cloudrun`): a finding's changes become a
 * `gcloud run services update NAME --region R --project P ...` command and a v2 field patch (`PATCH
 * /v2/projects/P/locations/R/services/S?updateMask=...` with the changed fields, guarded by the `etag` read). Pure.
 *
 * The rules render their container changes as JSON Patch ops under the workload's `podSpecPointer`, which for a v2
 * service is `/template`, so those ops are v2 paths (`/template/containers/0/env/1/value`) and are applied here to the
 * containers as read. `template.containers` is a repeated field: an update mask naming it replaces the whole list, so
 * the patch carries every container, complete. Settings with other names in v2 come from the typed changes:
 * containerConcurrency → `template.maxInstanceRequestConcurrency`, the CPU-allocation and scaling annotations →
 * `resources.cpuIdle`/`startupCpuBoost` and `template.scaling`. A patch that writes containers writes each one's
 * `resources.cpuIdle` explicitly: the v2 API says a caller that sets `resources` must set `cpuIdle` to keep the
 * default (request-based billing), so leaving it out would switch the service to instance-based billing.
 */
import type { AnyChange } from '../model/change.ts';
import { isWritable, objectKey } from '../model/change.ts';
import type { Finding, Fix, JsonPatchOp } from '../model/finding.ts';
import type { Inventory, Workload } from '../model/workload.ts';
import type { CloudRunContainer, CloudRunService } from '../parse/cloudRunV2.ts';
import { changeTarget } from '../rules/changes.ts';
import { applyJsonPatch, parsePointer } from './jsonPatch.ts';
import { gcloudList, shellQuote } from './gcloudWords.ts';

/** A v2 field patch: the update mask and the partial Service resource that holds the masked fields. */
export interface CloudRunFieldPatch {
  /** `projects/P/locations/L/services/S`. */
  name: string;
  updateMask: string[];
  service: Record<string, unknown>;
}

/** What one finding's changes render to on a v2 service. */
export interface CloudRunRendering {
  gcloud?: string;
  patch?: CloudRunFieldPatch;
  notes: string[];
}

const CONTAINERS_POINTER = '/template/containers';
const CPU_THROTTLING = 'run.googleapis.com/cpu-throttling';
const STARTUP_CPU_BOOST = 'run.googleapis.com/startup-cpu-boost';
const MIN_SCALE = 'autoscaling.knative.dev/minScale';
const MAX_SCALE = 'autoscaling.knative.dev/maxScale';

/**
 * The findings with the fixes of Cloud Run v2 targets rendered for them; other findings pass through unchanged. A v2
 * patch writes `template.containers` whole, so each finding's patch holds the container changes of every finding on
 * the service: one applied after another keeps the other's changes instead of writing the containers back as read.
 */
export function renderCloudRunFindings(inventory: Inventory, findings: readonly Finding[]): Finding[] {
  const services = new Map(inventory.workloads.filter((w) => w.cloudRun !== undefined).map((w) => [objectKey(changeTarget(w)), w]));
  if (services.size === 0) return [...findings];
  const serviceOps = new Map<string, ServiceContainerOps>();
  for (const finding of findings) {
    const key = objectKey(finding.target);
    const ops = (finding.fix?.jsonPatch ?? []).filter((op) => op.path.startsWith(`${CONTAINERS_POINTER}/`));
    if (!services.has(key) || ops.length === 0) continue;
    const all = serviceOps.get(key) ?? { ops: [], rules: [] };
    serviceOps.set(key, { ops: [...all.ops, ...ops], rules: [...all.rules, finding.rule] });
  }
  return findings.map((finding) => {
    const workload = services.get(objectKey(finding.target));
    if (workload === undefined || finding.fix === undefined) return finding;
    const fix = cloudRunFix(workload, finding.fix, finding.changes ?? [], serviceOps.get(objectKey(finding.target)));
    const out: Finding = { ...finding };
    if (fix === undefined) delete out.fix;
    else out.fix = fix;
    return out;
  });
}

/** The container ops of every finding on one service, in report order, and the rules of those findings. */
interface ServiceContainerOps {
  ops: JsonPatchOp[];
  rules: string[];
}

/** A fix without object patches: its source edits, created objects and commands, plus the gcloud command and v2 patch. */
function cloudRunFix(workload: Workload, fix: Fix, changes: readonly AnyChange[], service: ServiceContainerOps | undefined): Fix | undefined {
  const rendering = renderCloudRunChanges(workload, changes, fix.jsonPatch ?? [], service);
  const out: Fix = {};
  if (fix.edits !== undefined) out.edits = fix.edits;
  if (fix.create !== undefined) out.create = fix.create;
  const commands = [...(fix.commands ?? [])];
  if (rendering.gcloud !== undefined) commands.push(rendering.gcloud);
  if (rendering.patch !== undefined) commands.push(curlCommand(rendering.patch));
  if (commands.length > 0) out.commands = commands;
  // Notes about JSON patches and apply fragments are about the Kubernetes forms, which a v2 service does not get.
  const notes = [...(fix.notes ?? []).filter((note) => !/JSON patch|apply fragment|server-side apply/i.test(note)), ...rendering.notes];
  if (notes.length > 0) out.notes = notes;
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Renders the writable changes of one finding on a v2 service. `containerOps` are the rule's JSON Patch ops; those
 * under `/template/containers` are applied to the containers as read. The gcloud command sets this finding's
 * changes; a patch that writes the containers writes them after every op of `service` (all findings on it).
 */
export function renderCloudRunChanges(workload: Workload, changes: readonly AnyChange[], containerOps: readonly JsonPatchOp[], service?: ServiceContainerOps): CloudRunRendering {
  const cloudRun = workload.cloudRun;
  if (cloudRun === undefined) return { notes: [] };
  const draft: Draft = { template: {}, mask: [], flags: [], notes: [] };
  const after = containersAfter(cloudRun.service, containerOps, draft.notes);
  if (after !== undefined) draft.containers = after;
  const written = service === undefined ? undefined : containersAfter(cloudRun.service, service.ops, []);
  if (written !== undefined) draft.written = { containers: written, rules: [...new Set(service!.rules)] };
  return renderDraft(workload, cloudRun, changes, draft);
}

function renderDraft(workload: Workload, cloudRun: NonNullable<Workload['cloudRun']>, changes: readonly AnyChange[], draft: Draft): CloudRunRendering {
  const { service } = cloudRun;
  for (const change of changes.filter(isWritable)) {
    if (change.setting === 'containerConcurrency') {
      draft.template['maxInstanceRequestConcurrency'] = change.to;
      draft.mask.push('template.maxInstanceRequestConcurrency');
      draft.flags.push(`--concurrency ${change.to}`);
    } else if (change.setting === 'templateAnnotation' && change.location.kind === 'field') {
      setAnnotation(draft, service, change.location.pointer, change.to);
    }
  }
  const { template, mask, flags, notes } = draft;
  if (draft.containers !== undefined) {
    flags.push(...containerFlags(service.template.containers, draft.containers, notes));
    const all = draft.written === undefined ? draft.containers : applyToAll(draft.written.containers, draft.containers, service.template.containers);
    if (all !== draft.containers) notes.push(`the v2 patch writes template.containers whole: it holds the container changes of ${draft.written!.rules.join(', ')}, so that applied one after another they do not undo each other`);
    template['containers'] = withExplicitCpuIdle(all, notes);
    mask.push('template.containers');
  }
  if (mask.length === 0) return { notes };
  const body: Record<string, unknown> = { template };
  const etag = (service as Record<string, unknown>)['etag'];
  if (typeof etag === 'string') body['etag'] = etag;
  const rendering: CloudRunRendering = { patch: { name: service.name, updateMask: mask, service: body }, notes };
  if (flags.length > 0) rendering.gcloud = `gcloud run services update ${workload.ref.name} --region ${cloudRun.location} --project ${cloudRun.project} ${flags.join(' ')}`;
  return rendering;
}

/** The patch being built: the template fields, the mask, the gcloud flags, the notes, and the containers when they change. */
interface Draft {
  template: Record<string, unknown>;
  mask: string[];
  flags: string[];
  notes: string[];
  containers?: CloudRunContainer[];
  /** The containers after the container ops of every finding on the service, when several write them. */
  written?: { containers: CloudRunContainer[]; rules: string[] };
}

/**
 * `all` (every finding's container ops applied) with what this finding's `own` containers change beyond them (the
 * resources an annotation sets): `own` itself when the others change nothing.
 */
function applyToAll(all: readonly CloudRunContainer[], own: readonly CloudRunContainer[], read: readonly CloudRunContainer[]): CloudRunContainer[] {
  const merged = all.map((container, i) => {
    const mine = own[i]?.resources ?? {};
    const before = read[i]?.resources ?? {};
    const changed = Object.entries(mine).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify((before as Record<string, unknown>)[key]));
    return changed.length === 0 ? container : { ...container, resources: { ...container.resources, ...Object.fromEntries(changed) } };
  });
  return JSON.stringify(merged) === JSON.stringify(own) ? (own as CloudRunContainer[]) : merged;
}

/** A template annotation of the v1 vocabulary, written as the v2 field that holds it. */
function setAnnotation(draft: Draft, service: CloudRunService, pointer: string, value: string): void {
  const key = annotationKey(pointer);
  if (key === CPU_THROTTLING || key === STARTUP_CPU_BOOST) {
    const field = key === CPU_THROTTLING ? 'cpuIdle' : 'startupCpuBoost';
    draft.containers = (draft.containers ?? structuredClone(service.template.containers)).map((c) => ({ ...c, resources: { ...c.resources, [field]: value === 'true' } }));
    const flag = key === CPU_THROTTLING ? 'cpu-throttling' : 'cpu-boost';
    draft.flags.push(value === 'true' ? `--${flag}` : `--no-${flag}`);
  } else if (key === MIN_SCALE || key === MAX_SCALE) {
    const field = key === MIN_SCALE ? 'minInstanceCount' : 'maxInstanceCount';
    draft.template['scaling'] = { ...(draft.template['scaling'] as object | undefined), [field]: Number(value) };
    draft.mask.push(`template.scaling.${field}`);
    draft.flags.push(`${key === MIN_SCALE ? '--min-instances' : '--max-instances'} ${value}`);
  } else {
    draft.notes.push(`Cloud Run v2 has no field for the annotation ${key ?? pointer}: set it where the service is defined`);
  }
}

/** The containers after the rule's container ops; undefined when there are none (or they do not apply: a note says why). */
function containersAfter(service: CloudRunService, ops: readonly JsonPatchOp[], notes: string[]): CloudRunContainer[] | undefined {
  const mine = ops.filter((op) => op.path.startsWith(`${CONTAINERS_POINTER}/`));
  if (mine.length === 0) return undefined;
  const root = { template: { containers: structuredClone(service.template.containers) } };
  const applied = applyJsonPatch(root, mine);
  if (!applied.ok) {
    notes.push(`the container change does not apply to the service as read (${applied.reason}): read it again and re-run pytuner`);
    return undefined;
  }
  const containers = applied.value.template.containers;
  for (const container of containers) {
    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
      const probe = container[kind] as Record<string, Record<string, unknown> | undefined> | undefined;
      const port = probe?.['httpGet']?.['port'] ?? probe?.['tcpSocket']?.['port'];
      if (typeof port === 'string') notes.push(`Cloud Run v2 probes take a port number, not the name "${port}": replace it before applying`);
    }
  }
  return containers;
}

/** Every container with `resources.cpuIdle` written: as read, else `true`, the default a caller setting resources must state. */
function withExplicitCpuIdle(containers: readonly CloudRunContainer[], notes: string[]): CloudRunContainer[] {
  return containers.map((c) => {
    if (c.resources?.cpuIdle !== undefined) return c;
    notes.push(`container ${c.name ?? '(unnamed)'}: the service as read has no resources.cpuIdle; the patch writes cpuIdle true (CPU only during requests, Cloud Run's default) so that writing resources does not switch billing`);
    return { ...c, resources: { ...c.resources, cpuIdle: true } };
  });
}

/** gcloud flags for what changed in each container (env, args, command); probes have no flag pytuner writes. */
function containerFlags(before: readonly CloudRunContainer[], after: readonly CloudRunContainer[], notes: string[]): string[] {
  const flags: string[] = [];
  after.forEach((container, index) => {
    const old = before[index];
    const own: string[] = [];
    const changedEnv = (container.env ?? []).filter((e) => e.valueSource === undefined && !(old?.env ?? []).some((o) => o.name === e.name && o.value === e.value && o.valueSource === undefined));
    if (changedEnv.length > 0) own.push(`--update-env-vars ${listArg(changedEnv.map((e) => `${e.name}=${e.value ?? ''}`))}`);
    if (JSON.stringify(container.args) !== JSON.stringify(old?.args)) own.push(`--args ${listArg(container.args ?? [])}`);
    if (JSON.stringify(container.command) !== JSON.stringify(old?.command)) own.push(`--command ${listArg(container.command ?? [])}`);
    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
      if (JSON.stringify(container[kind]) !== JSON.stringify(old?.[kind])) notes.push(`the ${kind} is written by the v2 patch only (the gcloud command leaves it out)`);
    }
    if (own.length > 0 && after.length > 1) flags.push(`--container ${shellQuote(container.name ?? `container-${index}`)}`);
    flags.push(...own);
  });
  return flags;
}

/** A gcloud list argument as one shell word. */
function listArg(items: readonly string[]): string {
  return shellQuote(gcloudList(items));
}

/** The last segment of an annotation pointer (`.../annotations/run.googleapis.com~1cpu-throttling`). */
function annotationKey(pointer: string): string | undefined {
  const path = parsePointer(pointer);
  return path?.[path.length - 1];
}

/** The v2 patch as a command a user can review and run (pytuner never runs it). */
function curlCommand(patch: CloudRunFieldPatch): string {
  const url = `https://run.googleapis.com/v2/${patch.name}?updateMask=${patch.updateMask.join(',')}`;
  return `curl -X PATCH -H "Authorization: Bearer $(gcloud auth print-access-token)" -H 'Content-Type: application/json' ${shellQuote(url)} -d ${shellQuote(JSON.stringify(patch.service))}`;
}
