/**
 * @module Where a fact came from. Every value pytuner reports carries one, so a finding can say
 * "containerConcurrency 80 (service.yaml:14, spec.template.spec.containerConcurrency)".
 */

/** The kind of input a fact was read from. */
/**
 * `requirements`: a requirements*.txt, pyproject.toml or Pipfile beside a Dockerfile. `build-context`: a file the image's command runs, read from the build context (an entrypoint script, `app.py`, a uWSGI ini, an s6 `run`).
 * `deploy-command`: a `gcloud run deploy` command (in a Cloud Build config, a workflow, a script); `field` is its flag.
 */
export type SourceKind = 'manifest' | 'Dockerfile' | 'Procfile' | 'gunicorn.conf.py' | 'requirements' | 'build-context' | 'deploy-command' | 'default' | 'metrics';

/** Evidence names the input file, the line where known, the field and the raw text that said it. */
export interface Evidence {
  source: SourceKind;
  /** Path as given on the command line (relative paths stay relative), or '-' for stdin; absent for defaults. */
  file?: string;
  /** 1-based line in `file`, when the reader knows it. */
  line?: number;
  /** A dotted field path for manifests (`spec.template.spec.containers[0].args`), a flag (`--threads`), or an instruction (`CMD`). */
  field: string;
  /** The raw text or value as written, for the reader of a report. */
  text?: string;
}

/**
 * A setting's effective value with the evidence for it. `value` is `undefined` when the input
 * says the setting is computed or comes from somewhere pytuner cannot read (a `-c` config file, `$(nproc)`):
 * unknown is a typed outcome, never a guess.
 */
export interface Setting<T> {
  value: T | undefined;
  evidence: Evidence;
  /** True when no input set it and `value` is the server's or platform's documented default. */
  isDefault: boolean;
  /** Where the value comes from an environment variable (`--threads $THREADS`), its name: that env var is then the knob to patch. */
  viaEnv?: string;
  /** True when the input writes the setting as an expression pytuner does not evaluate (a Terraform variable): unknown, not unset. */
  unresolved?: boolean;
}

/** A known setting from an explicit input. */
export function explicit<T>(value: T, evidence: Evidence, viaEnv?: string): Setting<T> {
  return viaEnv === undefined ? { value, evidence, isDefault: false } : { value, evidence, isDefault: false, viaEnv };
}

/** A documented default: nothing in the inputs set it. */
export function byDefault<T>(value: T, what: string): Setting<T> {
  return { value, evidence: { source: 'default', field: what }, isDefault: true };
}

/** A setting that is present but whose value cannot be known without running something. */
export function unknown<T>(evidence: Evidence): Setting<T> {
  return { value: undefined, evidence, isDefault: false };
}
