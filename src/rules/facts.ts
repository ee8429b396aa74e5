/**
 * @module Facts several rules read the same way: where a finding points, how many requests a server
 * serves at once, what concurrency the platform sends, how many vCPU a container has, and whether a
 * workload runs Google Cloud Profiler. Pure functions over the model; no rule repeats these.
 */
import type { Evidence, Setting } from '../model/evidence.ts';
import type { Severity, Target } from '../model/finding.ts';
import type { ImageFacts } from '../model/image.ts';
import type { ServerConfig } from '../model/server.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';

/** Cloud Run v1 API: "If not specified, defaults to 80" (https://cloud.google.com/run/docs/reference/rest/v1/RevisionSpec). */
export const CLOUD_RUN_DEFAULT_CONCURRENCY = 80;

/** Knative config-defaults `container-concurrency-max-limit` default and Cloud Run's maximum. */
export const MAX_CONTAINER_CONCURRENCY = 1000;

/** Cloud Run and Knative (`revision-timeout-seconds`) both default `timeoutSeconds` to 300. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

/** The finding target for a workload, or one of its containers. */
export function targetOf(workload: Workload, container?: ContainerFacts): Target {
  const { ref } = workload;
  const target: Target = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, file: ref.file };
  if (ref.namespace !== undefined) target.namespace = ref.namespace;
  if (container !== undefined) target.container = container.name;
  if (ref.line !== undefined) target.line = ref.line;
  return target;
}

/** The finding target for a Dockerfile checked as a file: kind `Dockerfile`, named by its path. */
export function dockerfileTarget(image: ImageFacts, line?: number): Target {
  return line === undefined ? { kind: 'Dockerfile', name: image.file, file: image.file } : { kind: 'Dockerfile', name: image.file, file: image.file, line };
}

/** Human name of a platform, for messages. */
export function platformName(workload: Workload): string {
  if (workload.platform === 'cloudrun') return 'Cloud Run';
  if (workload.platform === 'knative') return 'Knative';
  return 'Kubernetes';
}

/** True for Knative Services and Cloud Run services: both put a request-routing proxy in front of the container. */
export function isServing(workload: Workload): boolean {
  return workload.platform === 'knative' || workload.platform === 'cloudrun';
}

/** How many requests a server handles at the same time, and why. */
export interface RequestSlots {
  slots: number;
  workers: number;
  threads: number;
  /** `1 worker × 8 threads`, `4 workers` (sync), `8 threads` (waitress). */
  breakdown: string;
  evidence: Evidence[];
}

/**
 * Request slots of a sync or threaded server: gunicorn sync = workers; gthread, uwsgi and waitress = workers × threads.
 * Async servers (uvicorn, hypercorn, gunicorn with async worker classes) have no fixed number: `undefined`.
 * Unknown workers or threads (computed, unread config) are `undefined` too: never a guess.
 */
export function requestSlots(server: ServerConfig): RequestSlots | undefined {
  if (server.model === 'async') return undefined;
  const workers = server.workers.value;
  const threads = server.model === 'sync' ? 1 : server.threads.value;
  if (workers === undefined || threads === undefined) return undefined;
  const evidence = server.model === 'sync' ? [server.workers.evidence] : [server.workers.evidence, server.threads.evidence];
  return { slots: workers * threads, workers, threads, breakdown: slotBreakdown(server, workers, threads), evidence };
}

function slotBreakdown(server: ServerConfig, workers: number, threads: number): string {
  if (server.kind === 'waitress') return plural(threads, 'thread');
  if (server.model === 'sync') return `${plural(workers, 'worker')}, sync`;
  return `${plural(workers, server.kind === 'uwsgi' ? 'process' : 'worker')} × ${plural(threads, 'thread')}`;
}

/** `1 worker`, `4 workers`, `2 processes`. */
export function plural(n: number, noun: string): string {
  if (n === 1) return `${n} ${noun}`;
  return `${n} ${noun.endsWith('s') ? `${noun}es` : `${noun}s`}`;
}

/** The concurrency a Knative/Cloud Run proxy lets into one container, with how it was decided. */
export interface PlatformConcurrency {
  value: number;
  /** `containerConcurrency 80` or `containerConcurrency unset (Cloud Run default 80)`. */
  described: string;
  isDefault: boolean;
  evidence: Evidence;
  /** Whether `spec.template.spec.containerConcurrency` is present in the object (for patches: add vs replace). */
  present: boolean;
}

/** `containerConcurrency` as the manifest writes it (0 included); undefined when unset or on a Deployment. */
export function writtenConcurrency(workload: Workload): number | undefined {
  const setting = workload.containerConcurrency;
  return setting !== undefined && !setting.isDefault ? setting.value : undefined;
}

/** Evidence for `containerConcurrency`: the manifest field, or a default naming it when the object has none. */
export function concurrencyEvidence(workload: Workload): Evidence {
  return workload.containerConcurrency?.evidence ?? { source: 'default', field: 'spec.template.spec.containerConcurrency' };
}

/**
 * Cloud Run: `containerConcurrency`, with unset or 0 meaning 80. Knative: a value ≥ 1; unset or 0 means unlimited,
 * which is `concurrency.unbounded`'s case, so `undefined` here. Deployments have none.
 */
export function platformConcurrency(workload: Workload): PlatformConcurrency | undefined {
  // Written as an expression pytuner does not evaluate (a Terraform variable): unknown, not the default.
  if (workload.containerConcurrency?.unresolved === true) return undefined;
  const written = writtenConcurrency(workload);
  const evidence = concurrencyEvidence(workload);
  if (workload.platform === 'cloudrun') {
    if (written !== undefined && written > 0) {
      return { value: written, described: `containerConcurrency ${written}`, isDefault: false, evidence, present: true };
    }
    const how = written === 0 ? 'containerConcurrency 0' : 'containerConcurrency unset';
    return { value: CLOUD_RUN_DEFAULT_CONCURRENCY, described: `${how} (Cloud Run default ${CLOUD_RUN_DEFAULT_CONCURRENCY})`, isDefault: true, evidence, present: written !== undefined };
  }
  if (workload.platform === 'knative' && written !== undefined && written > 0) {
    return { value: written, described: `containerConcurrency ${written}`, isDefault: false, evidence, present: true };
  }
  return undefined;
}

/** vCPU a container gets: the CPU limit (or request), rounded up, at least 1; unknown CPU → `undefined`. */
export function vcpus(container: ContainerFacts): { value: number; cpu: number; evidence: Evidence } | undefined {
  const cpu = container.cpu?.value;
  if (container.cpu === undefined || cpu === undefined) return undefined;
  return { value: Math.max(1, Math.ceil(cpu)), cpu, evidence: container.cpu.evidence };
}

/** Values of `ENABLE_PROFILER` that turn the profiler on (case-insensitive). */
const TRUTHY = new Set(['1', 'true', 'yes']);

/** Annotation that declares a workload runs Cloud Profiler, for code pytuner cannot see (`requirements.txt`). */
export const PROFILER_ANNOTATION = 'pytuner.dev/profiler';

/**
 * Evidence that a container runs Google Cloud Profiler. Signals: env `ENABLE_PROFILER` = 1/true/yes, any env
 * `GOOGLE_CLOUD_PROFILER_*`, the workload annotation `pytuner.dev/profiler: enabled`, a `RUN` line of the joined
 * Dockerfile that names `google-cloud-profiler`, or that package in a requirements*.txt / pyproject.toml / Pipfile
 * beside it. An env value from a Secret or ConfigMap (`valueFrom`) is unknown and not a signal. A switch that turns
 * the profiler off (`DISABLE_PROFILER`, `ENABLE_PROFILER=0/false`) in the effective env, where the manifest's entry
 * overrides the image's ENV, means no profiler. Empty = no profiler seen.
 */
export function profilerSignals(workload: Workload, container: ContainerFacts): Evidence[] {
  if (profilerSwitchedOff(container.env) !== undefined) return [];
  const signals: Evidence[] = [];
  const annotation = workloadAnnotation(workload, PROFILER_ANNOTATION);
  if (annotation !== undefined && annotation.value.toLowerCase() === 'enabled') signals.push(annotation.evidence);
  for (const env of container.env.values()) {
    if (!env.fromRef && env.value !== undefined && isProfilerEnv(env.name, env.value)) signals.push(env.evidence);
  }
  if (container.dockerfile !== undefined) signals.push(...installsProfiler(container.dockerfile));
  return signals;
}

/** Profiler evidence in a Dockerfile alone (for Dockerfiles no workload claimed): `ENV` and `RUN` lines, and requirements beside it. */
export function imageProfilerSignals(image: ImageFacts): Evidence[] {
  if (profilerSwitchedOff(new Map([...image.env].map(([name, entry]) => [name, { value: entry.value, fromRef: false, evidence: entry.evidence }]))) !== undefined) return [];
  const signals: Evidence[] = [];
  for (const [name, { value, evidence }] of image.env) {
    if (isProfilerEnv(name, value)) signals.push(evidence);
  }
  return [...signals, ...installsProfiler(image)];
}

/** Values that leave a switch off (case-insensitive); `DISABLE_PROFILER` with any other value turns the profiler off. */
const FALSY = new Set(['', '0', 'false', 'no', 'off']);

/**
 * profilerSwitchedOff returns the env entry that turns the profiler off: `DISABLE_PROFILER` set to anything but a falsy
 * value (Google's microservices-demo services skip `googlecloudprofiler.start` when it is set), or `ENABLE_PROFILER`
 * set to 0/false/no/off. A value from a Secret or ConfigMap is unknown and switches nothing.
 */
export function profilerSwitchedOff(env: ReadonlyMap<string, { value?: string | undefined; fromRef: boolean; evidence: Evidence }>): Evidence | undefined {
  const disable = env.get('DISABLE_PROFILER');
  if (disable !== undefined && !disable.fromRef && disable.value !== undefined && !FALSY.has(disable.value.trim().toLowerCase())) return disable.evidence;
  const enable = env.get('ENABLE_PROFILER');
  if (enable !== undefined && !enable.fromRef && enable.value !== undefined && FALSY.has(enable.value.trim().toLowerCase()) && enable.value.trim() !== '') return enable.evidence;
  return undefined;
}

/**
 * profilerInstalled: evidence that the agent package is in the image (a `RUN` line or a requirements file naming
 * `google-cloud-profiler`) or the workload declares it (`pytuner.dev/profiler: enabled`). Without it an
 * `ENABLE_PROFILER=1` may be a leftover, so rules that would be critical report at most a warning.
 */
export function profilerInstalled(workload: Workload | undefined, image: ImageFacts | undefined): boolean {
  const annotation = workload === undefined ? undefined : workloadAnnotation(workload, PROFILER_ANNOTATION);
  if (annotation !== undefined && annotation.value.toLowerCase() === 'enabled') return true;
  return image !== undefined && installsProfiler(image).length > 0;
}

/** `ENABLE_PROFILER` = 1/true/yes, or any `GOOGLE_CLOUD_PROFILER_*` variable. */
function isProfilerEnv(name: string, value: string): boolean {
  return (name === 'ENABLE_PROFILER' && TRUTHY.has(value.toLowerCase())) || name.startsWith('GOOGLE_CLOUD_PROFILER_');
}

/** `RUN` lines (any stage) that install or build the `google-cloud-profiler` package, and requirement lines that list it. */
function installsProfiler(image: ImageFacts): Evidence[] {
  return [...image.runs.filter((run) => /\bgoogle-cloud-profiler\b/i.test(run.text)).map((run) => run.evidence), ...(image.profilerRequirements ?? [])];
}

/** Profiler evidence of every container of a workload (the identity is the pod's, not one container's). */
export function workloadProfilerSignals(workload: Workload): Evidence[] {
  return workload.containers.flatMap((c) => profilerSignals(workload, c));
}

/**
 * A `pytuner.dev/*` annotation of a workload: the object's own annotations first, then the pod/revision template's.
 * Evidence names the field; annotations carry no line of their own, so the line is the document's.
 */
export function workloadAnnotation(workload: Workload, key: string): { value: string; evidence: Evidence } | undefined {
  const own = workload.annotations[key];
  if (own !== undefined) return { value: own, evidence: annotationEvidence(workload, `metadata.annotations["${key}"]`, own) };
  const template = workload.templateAnnotations[key];
  if (template !== undefined) return { value: template, evidence: annotationEvidence(workload, `spec.template.metadata.annotations["${key}"]`, template) };
  return undefined;
}

/** Evidence for an annotation of the workload's template (`spec.template.metadata.annotations[key]`), set or not. */
export function templateAnnotationEvidence(workload: Workload, key: string): Evidence {
  const value = workload.templateAnnotations[key];
  if (value === undefined) return { source: 'default', field: `spec.template.metadata.annotations["${key}"]` };
  return annotationEvidence(workload, `spec.template.metadata.annotations["${key}"]`, value);
}

function annotationEvidence(workload: Workload, field: string, text: string): Evidence {
  const evidence: Evidence = { source: 'manifest', file: workload.ref.file, field, text };
  if (workload.ref.line !== undefined) evidence.line = workload.ref.line;
  return evidence;
}

/** ` (default)`, ` (from $THREADS)` or empty, for messages that show where a number came from. */
export function origin(setting: Setting<unknown>): string {
  if (setting.isDefault) return ' (default)';
  if (setting.viaEnv !== undefined) return ` (from $${setting.viaEnv})`;
  return '';
}

/**
 * Distinct evidence, in order (the same Setting can back two values of one finding): equal in source, file, line,
 * field and text. Compared field by field within the kept evidence of the same field path, not through a JSON key
 * per item: it runs for every finding.
 */
export function uniqueEvidence(evidence: readonly Evidence[]): Evidence[] {
  // A finding has a handful: compared with each kept one, without a Map and its lists.
  if (evidence.length <= SMALL_EVIDENCE) {
    // Nearly always none repeats: then an exact-size copy, where an array grown by push keeps room for 16 or more
    // items in every finding the report holds.
    const repeats = (e: Evidence, index: number): boolean => evidence.some((k, i) => i < index && k.field === e.field && sameEvidence(k, e));
    if (!evidence.some(repeats)) return evidence.slice();
    return evidence.filter((e, index) => !repeats(e, index));
  }
  const kept = new Map<string, Evidence[]>();
  return evidence.filter((e) => {
    const same = kept.get(e.field);
    if (same === undefined) {
      kept.set(e.field, [e]);
      return true;
    }
    if (same.some((k) => sameEvidence(k, e))) return false;
    same.push(e);
    return true;
  });
}

/** Up to this many, `uniqueEvidence` compares each with each. */
const SMALL_EVIDENCE = 8;

function sameEvidence(a: Evidence, b: Evidence): boolean {
  // `?? null`: an absent field and a null one are the same fact (JSON writes both as null).
  return a.source === b.source && (a.file ?? null) === (b.file ?? null) && (a.line ?? null) === (b.line ?? null) && (a.text ?? null) === (b.text ?? null);
}

/** One step down: critical → warning → info. */
export function lowerSeverity(severity: Severity): Severity {
  return severity === 'critical' ? 'warning' : 'info';
}

/**
 * When a setting is only a default but the command names config files pytuner did not read (`-c app.ini`,
 * `--config python:conf`), that file may set it. Rules then report one severity lower with this note.
 */
export function unreadConfigNote(server: ServerConfig, setting: Setting<unknown> | undefined, what: string): string | undefined {
  if (server.unreadConfig.length === 0) return undefined;
  if (setting !== undefined && !setting.isDefault) return undefined;
  const files = server.unreadConfig.map((e) => e.text ?? e.field).join(', ');
  return `pytuner did not read ${files}; if it sets ${what}, this finding does not apply`;
}

/**
 * Evidence that a container runs a free-threaded CPython build (PEP 703), where threads of one process run Python on
 * several cores at once: a `python:3.13t`/`3.14t`-style image tag (the manifest's image or the Dockerfile's base), or
 * `PYTHON_GIL=0`, which turns the GIL off on such a build (https://docs.python.org/3/using/cmdline.html#envvar-PYTHON_GIL).
 */
export function freeThreaded(container: ContainerFacts): Evidence | undefined {
  const gil = container.env.get('PYTHON_GIL');
  if (gil?.value === '0') return gil.evidence;
  // A free-threaded build with PYTHON_GIL=1 runs with the GIL (https://docs.python.org/3/using/cmdline.html#envvar-PYTHON_GIL).
  if (gil?.value === '1') return undefined;
  const base = container.dockerfile?.base;
  if (base !== undefined && FREE_THREADED_TAG.test(base.tag ?? '')) return base.evidence;
  const tag = container.image === undefined ? undefined : /:([^:/@]+)(@|$)/.exec(container.image)?.[1];
  if (tag !== undefined && FREE_THREADED_TAG.test(tag) && /(^|\/)python:/.test(container.image ?? '')) {
    return { source: 'manifest', field: `containers[${container.index}].image`, text: container.image };
  }
  return undefined;
}

/** `3.13t`, `3.14t-slim`, `3.14.2t-bookworm`: the official image's free-threaded tags. */
const FREE_THREADED_TAG = /^3\.\d+(\.\d+)?t(-|$)/;
