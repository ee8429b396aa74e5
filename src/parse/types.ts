/**
 * @module What the input layer hands to the pure core: parsed YAML documents and source texts, with
 * the errors met while reading. Reading (fs, stdin) happens in `input/files.ts` only.
 */
import type { InputError } from '../model/finding.ts';
import type { CloudRunServiceInput } from './cloudRunV2.ts';
import type { HclFile } from './hcl.ts';
import type { TerraformOrigin } from './terraform.ts';

/** One YAML document (or one item of a `kind: List`), not yet validated. */
export interface ParsedDocument {
  /** The file it was read from; absent for an object read from the API server (its identity is the object). */
  file?: string;
  /** 1-based line where the document (or List item) starts; absent with `file`. */
  line?: number;
  docIndex: number;
  object: unknown;
  /**
   * 1-based line of each field, keyed by dotted path relative to the object (`spec.template.spec.containerConcurrency`,
   * `metadata.annotations["run.googleapis.com/cpu-throttling"]`; see `input/fieldPath.ts`). Absent when the object
   * did not come from text (an API-server cache).
   */
  fieldLines?: FieldLines;
  /** Set when the object is a Cloud Run service read from Terraform (`parse/terraform.ts`): its resource and attributes. */
  terraform?: TerraformOrigin;
}

/**
 * The line of each field of a document by dotted path (read with `fieldLine` in `parse/fieldPath.ts`): a Map, or, as
 * `parse/manifests.ts` keeps them, `\npath\tline` entries packed in one string. Plain data either way, so a
 * structuredClone of the inputs keeps it.
 */
export type FieldLines = ReadonlyMap<string, number> | { readonly packed: string };

/**
 * A non-manifest input, kept as text: parsed by the pure parsers in `parse/`. `build-context` is a file a Dockerfile's
 * command runs (an entrypoint script, `python app.py`, a uWSGI ini, an s6 `run` script), read only because it does.
 */
export interface SourceText {
  /**
   * `requirements`: a requirements*.txt, pyproject.toml or Pipfile beside a Dockerfile; `build-context`: a file an
   * image's command runs; `build-config`: a Cloud Build config (`cloudbuild.yaml`), read for the images it builds and
   * the `gcloud run deploy` commands it runs; `workflow`: a GitHub Actions workflow and `deploy-script`: a shell script
   * or Makefile, each read for the `gcloud run deploy` commands it runs.
   */
  kind: 'Dockerfile' | 'Procfile' | 'gunicorn.conf.py' | 'requirements' | 'build-context' | 'build-config' | 'workflow' | 'deploy-script';
  file: string;
  text: string;
  /**
   * A `build-config`'s source root, which its paths are relative to: the directory given on the command line whose
   * walk found it, or the working directory for a config given itself (`gcloud builds submit`'s default source).
   */
  root?: string;
}

/** Everything read from the paths given on the command line. */
export interface LoadedInputs {
  documents: ParsedDocument[];
  sources: SourceText[];
  errors: InputError[];
  /** Files read, including those that failed. */
  files: number;
  /**
   * Files a directory walk found that hold no Kubernetes object (JSON data, tsconfig.json, templates, empty files),
   * by reason (a key of `SKIP_REASONS` in `parse/manifests.ts`): counted, not errors. Absent: none.
   */
  skippedFiles?: Record<string, number>;
  /** Services read from the Cloud Run Admin API v2 (`report --cloudrun`), validated; absent: none. */
  cloudRunServices?: CloudRunServiceInput[];
  /** The `.tf` files read, parsed: `render/terraformEdits.ts` writes fixes into them. Absent: none. */
  terraform?: HclFile[];
  /** What the inputs hold that pytuner could not read, and why (a Terraform module call): not errors. */
  notes?: string[];
}

/** An explicit join of source files to workloads: `--source IMAGE_OR_NAME=PATH`. */
export interface SourceMapping {
  /** A container image (with or without tag) or a workload name. */
  match: string;
  /** A Dockerfile, a Procfile, a gunicorn.conf.py, or a directory holding them. */
  path: string;
}
