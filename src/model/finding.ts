/**
 * @module What the rules produce: findings with evidence and fixes. This is the contract between the
 * pure core and every output (report formats, patches, and later TuningRecommendation status).
 */
import type { Evidence } from './evidence.ts';
import type { AnyChange, TextSpan } from './change.ts';

/** Severity, ordered: `--fail-on warning` fails on warning and critical. */
export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

/** What a finding is about. `kind` is the object kind (`Service`, `Deployment`, `Dockerfile`). */
export interface Target {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  container?: string;
  /** The file that defined it; absent for an object read from the API server (`report --cluster`). */
  file?: string;
  line?: number;
}

/** One RFC 6902 operation. pytuner emits only add, replace and remove, with `test` guards where a value is assumed. */
export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** An edit to a source file that is not a Kubernetes object (Dockerfile, Procfile, gunicorn.conf.py). */
export interface SourceEdit {
  file: string;
  line: number;
  before: string;
  after: string;
  /**
   * Where the edit sets flags of a `gcloud run deploy` command: each flag's span of `before` and the env var it sets.
   * The edits of one command line by several findings are combined from these (solve/strings.ts). Not in the report
   * document.
   */
  flags?: FlagWrite[];
}

/** One flag an edit writes into a command line: the span of the line as read, and the env var it sets, if any. */
export interface FlagWrite {
  /** The gcloud flag (`--concurrency`, `--update-env-vars`). */
  flag: string;
  span: TextSpan;
  envVar?: string;
}

/**
 * A fix a user can apply or commit. For objects: a JSON Patch and a server-side-apply style fragment
 * (a minimal object with only the changed fields). For images: line edits. For missing objects
 * (an IAMPolicyMember): whole manifests to add, and shell commands (the gcloud equivalent).
 */
export interface Fix {
  jsonPatch?: JsonPatchOp[];
  /** Minimal object: apiVersion, kind, metadata.name/namespace and the changed fields only. */
  applyFragment?: Record<string, unknown>;
  edits?: SourceEdit[];
  /** New objects to create, e.g. a Config Connector IAMPolicyMember. */
  create?: Record<string, unknown>[];
  commands?: string[];
  /** Caveats a user must read before applying (e.g. "--preload shares sockets opened at import across workers"). */
  notes?: string[];
  /**
   * The notes (each one of `notes`) that say how to set an env var by hand where pytuner could not write it, with the
   * var: the solver combines several findings' notes about one var into one. Not part of the report document.
   */
  envVarNotes?: EnvVarNote[];
  /**
   * Findings whose change of a shared string (one `sh -c` element, one Dockerfile line, one deploy command) this fix
   * writes in its one edit of the string: applying it fixes them too. Not part of the report document.
   */
  alsoFixes?: Finding[];
}

/** A note of a fix about one env var, as made: the var it is about and the note's text. */
export interface EnvVarNote {
  envVar: string;
  text: string;
}

/** A value in `current`/`recommended`: a flat map from setting name to value, e.g. `{ containerConcurrency: 80, THREADS: 8 }`. */
export type Values = Record<string, string | number | boolean | null>;

/** One problem found on one target by one rule. */
export interface Finding {
  rule: string;
  severity: Severity;
  target: Target;
  /** One line, no trailing period, readable without the rest of the report. */
  message: string;
  current: Values;
  recommended: Values;
  evidence: Evidence[];
  fix?: Fix;
  /**
   * The typed changes the fix renders: what pytuner proposes, before any rendering. The solver (src/solve) makes the
   * changes of one workload agree and re-renders `fix` from them; the controller reads only these.
   */
  changes?: AnyChange[];
  /**
   * The advice `message` ends with when it names a containerConcurrency value the solver may re-aim (at the request
   * slots after a workers change, or capped by them): the message is `adviceMessage(advice)`, so the solver restates
   * it from these parts, never by searching the text.
   */
  advice?: ValueAdvice;
  /**
   * How much measured data backs `recommended` (the recommender's level: steps, concurrency range covered, model
   * error). Only findings from measured load carry it; a static rule's values are facts read from the spec.
   */
  confidence?: 'low' | 'medium' | 'high';
}

/** A message that ends in `; set containerConcurrency to <value><tail>`. */
export interface ValueAdvice {
  /** The diagnosis, before the advice. */
  lead: string;
  setting: 'containerConcurrency';
  value: number;
  /** What follows the value: ` or THREADS to 4`, ` (high confidence)`, or nothing. */
  tail: string;
}

/** The message a `ValueAdvice` says. */
export function adviceMessage(advice: ValueAdvice): string {
  return `${advice.lead}; set ${advice.setting} to ${advice.value}${advice.tail}`;
}

/** An input that could not be read or parsed; the rest is still reported. */
export interface InputError {
  /** Absent when the input was not a file (an object read from the API server): `object` names it. */
  file?: string;
  line?: number;
  /** For a manifest: the object and field the error is about. */
  object?: string;
  field?: string;
  message: string;
}
