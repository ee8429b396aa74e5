/**
 * @module The typed vocabulary of what pytuner changes. Every tunable thing is a `SettingId` with one value type;
 * a `Change` says which setting of which object (and container) goes from what to what, where that setting is
 * written (`Location`), which rule proposed it and how sure it is. Rules and the recommender propose changes;
 * the solver (`src/solve/`) makes the changes of one workload agree; renderers turn them into patches and edits;
 * the controller reads the changes, never the rendered text.
 */

/** A startup probe as pytuner writes it: one handler, and the timing that gives the start-up budget. */
export interface ProbeSpec {
  handler: 'httpGet' | 'tcpSocket';
  /** httpGet only. */
  path?: string;
  port: number | string;
  periodSeconds: number;
  failureThreshold: number;
  timeoutSeconds?: number;
  initialDelaySeconds?: number;
}

/** A Config Connector IAMPolicyMember pytuner would create (the profiler role for a workload's identity). */
export interface IamMemberSpec {
  name: string;
  member: string;
  role: string;
  resourceRef: { kind: string; external: string };
  /** False when the project or member could not be named (the manifest carries a placeholder): not creatable as is. */
  complete: boolean;
}

/** Each setting and the type of its value. Adding one here makes the compiler point at every table keyed by it. */
export interface SettingValues {
  /** Knative/Cloud Run `spec.template.spec.containerConcurrency`: requests the platform lets into one instance. */
  containerConcurrency: number;
  /** Worker processes of the Python server (gunicorn `--workers`, uWSGI `--processes`, `WEB_CONCURRENCY`). */
  workers: number;
  /** Threads per worker (gunicorn `--threads`, `THREADS`, uWSGI `--threads`). */
  threads: number;
  /** Seconds a request may run before the server kills its worker (gunicorn `--timeout`, uWSGI `--harakiri`). */
  workerTimeout: number;
  /** gunicorn `--preload`: import the app before forking, and listen only after it. */
  preload: boolean;
  /** The container's startupProbe. */
  startupProbe: ProbeSpec;
  /** `roles/cloudprofiler.agent` for the workload's identity. */
  profilerIamMember: IamMemberSpec;
  /** The base image of a Dockerfile stage. */
  baseImage: string;
  /** An annotation of the pod/revision template (Cloud Run's `run.googleapis.com/cpu-throttling`, ...). */
  templateAnnotation: string;
}

export type SettingId = keyof SettingValues;

/**
 * Where a setting is written on its target. A `Location` is a fact about the inputs, found by the rule that read the
 * setting; `unwritable` says why pytuner cannot change it (a literal in an image it does not build, a Secret), so that
 * nothing downstream assumes the change happens.
 */
export type Location =
  /** A field of the object, by JSON pointer (containerConcurrency, an annotation). */
  | { kind: 'field'; pointer: string }
  /**
   * An env var of a container that the server reads the setting from (`--threads $THREADS`, `WEB_CONCURRENCY`).
   * `words`: the change appends these words to an env var of options (`--threads 4` to `GUNICORN_CMD_ARGS`) instead of
   * setting the whole value, so changes to the same var can be written together. `span`: the characters of the value
   * as read that a change of a flag inside it rewrites (`4` of `--workers 4` in `GUNICORN_CMD_ARGS`), for the same.
   */
  | { kind: 'env'; container: string; name: string; words?: string; span?: TextSpan }
  /** A flag in one element of the container's `command`/`args` (`--workers`, `4`, or a whole `sh -c` string). */
  | { kind: 'args'; container: string; list: 'command' | 'args'; index: number; span: TextSpan }
  /** A line of a Dockerfile, Procfile or gunicorn.conf.py; `span` where the change rewrites part of it. */
  | { kind: 'source'; file: string; line: number; span?: TextSpan }
  /** A container's field outside env and args (startupProbe). */
  | { kind: 'container'; container: string; field: 'startupProbe' }
  /** A new object next to the workload (an IAMPolicyMember). */
  | { kind: 'object'; apiVersion: string; objectKind: string }
  | { kind: 'unwritable'; why: string };

/**
 * The characters `[start, end)` of a string as read (an args element, a source line) that a change rewrites, and the
 * text it writes there: `--workers 2` in `exec gunicorn --workers 2 --timeout 30 app`, the tag's end in `FROM
 * python:3.12`. Two changes of one string whose spans do not overlap are written together as one edit of it.
 */
export interface TextSpan {
  start: number;
  end: number;
  text: string;
}

/** `text` with the spans' texts in place of their characters; `undefined` when two spans overlap. */
export function applySpans(text: string, spans: readonly TextSpan[]): string | undefined {
  const distinct = spans.filter((span, i) => spans.findIndex((s) => s.start === span.start && s.end === span.end && s.text === span.text) === i);
  const ordered = distinct.sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let at = 0;
  let previous: TextSpan | undefined;
  for (const span of ordered) {
    // Two insertions at one place have no order to keep: that is an overlap too.
    if (span.start < at || (previous !== undefined && previous.start === span.start && (previous.end === previous.start || span.end === span.start))) return undefined;
    out += text.slice(at, span.start) + span.text;
    at = span.end;
    previous = span;
  }
  return out + text.slice(at);
}

/**
 * `text` with the spans written, where what is inserted at one place may come in any order (flags of a command, which
 * gcloud reads in any order): insertions at one place are written one after another, in the order given, each once.
 * `undefined` when two spans overlap.
 */
export function applyUnorderedSpans(text: string, spans: readonly TextSpan[]): string | undefined {
  const byPlace = new Map<number, string[]>();
  for (const span of spans) {
    if (span.start !== span.end) continue;
    const texts = byPlace.get(span.start) ?? [];
    if (!texts.includes(span.text)) texts.push(span.text);
    byPlace.set(span.start, texts);
  }
  const inserted = [...byPlace].map(([at, texts]) => ({ start: at, end: at, text: texts.join('') }));
  return applySpans(text, [...spans.filter((s) => s.start !== s.end), ...inserted]);
}

/** The object (and container) a change is about: identity by object, never by file. */
export interface ChangeTarget {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  container?: string;
}

/** One proposed change of one setting. `from` is undefined when the setting is unset (a default applies). */
export interface Change<S extends SettingId = SettingId> {
  setting: S;
  target: ChangeTarget;
  from: SettingValues[S] | undefined;
  to: SettingValues[S];
  /** The rule (or `metrics.*` finding) that proposed it. */
  rule: string;
  /** 1 for a fact read from the spec; below 1 for an estimate from measured load. */
  confidence: number;
  location: Location;
}

/** A change of any setting, narrowed by `setting`. */
export type AnyChange = { [S in SettingId]: Change<S> }[SettingId];

/** Confidence of a change a static rule derives from the spec: the facts are read, not estimated. */
export const STATIC_CONFIDENCE = 1;

/**
 * The recommender's confidence levels as numbers: ordinal, evenly spaced, and below STATIC_CONFIDENCE, since an
 * estimate from measured load is never certain.
 */
export const MEASURED_CONFIDENCE: Readonly<Record<'low' | 'medium' | 'high', number>> = { low: 0.3, medium: 0.6, high: 0.9 };

/** True when pytuner knows where to write the change. */
export function isWritable(change: AnyChange): boolean {
  return change.location.kind !== 'unwritable';
}

/** The key of a change's target object (the container is not part of it). */
export function objectKey(target: ChangeTarget): string {
  return `${target.kind}/${target.namespace ?? ''}/${target.name}`;
}
