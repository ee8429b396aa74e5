/**
 * @module The JSON report format (`-o json`), version 1, as a zod schema: the single source of
 * `docs/report-schema.json` (generated with `z.toJSONSchema`, checked by a test) and of the type the
 * JSON formatter builds. Objects are strict: a field added here is a documented, additive change.
 */
import { z } from 'zod';
import type { SourceKind } from '../model/evidence.ts';
import type { Severity } from '../model/finding.ts';
import { SKIP_REASONS } from '../parse/manifests.ts';
import type { SkipReason } from '../parse/manifests.ts';

const value = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const values = z
  .record(z.string(), value)
  .describe('Setting name → value, in the order the rule wrote them (e.g. {"containerConcurrency": 80, "THREADS": "4"}). null means unset.');

const jsonPatchOp = z
  .union([
    z.strictObject({ op: z.enum(['add', 'replace', 'test']), path: z.string(), value: z.unknown() }),
    z.strictObject({ op: z.literal('remove'), path: z.string() }),
  ])
  .describe('One RFC 6902 operation; path is a JSON Pointer (RFC 6901) into the target object.');

const target = z
  .strictObject({
    kind: z.string().describe('Object kind (Service, Deployment), or Dockerfile for an image-only finding.'),
    namespace: z.string().nullable().describe('metadata.namespace; null when the manifest does not set one.'),
    name: z.string().describe('metadata.name, or the file path for a Dockerfile.'),
    container: z.string().nullable().describe('Container name when the finding is about one container.'),
    apiVersion: z.string().nullable(),
    file: z.string().nullable().describe('Input path as given on the command line (relative stays relative), "-" for stdin; null for an object read from the API server (--cluster).'),
    line: z.number().int().min(1).nullable().describe('1-based line where the object (YAML document) starts.'),
  })
  .describe('What the finding is about.');

const evidence = z
  .strictObject({
    source: z.enum(['manifest', 'Dockerfile', 'Procfile', 'gunicorn.conf.py', 'requirements', 'build-context', 'deploy-command', 'default', 'metrics']),
    file: z.string().nullable().describe('null for a documented default.'),
    line: z.number().int().min(1).nullable(),
    field: z.string().describe('Dotted manifest field, server flag (--threads) or Dockerfile instruction (CMD).'),
    text: z.string().nullable().describe('The raw text as written in the input.'),
  })
  .describe('Where one fact behind the finding came from.');

const sourceEdit = z
  .strictObject({
    file: z.string(),
    line: z.number().int().min(1),
    before: z.string().describe('The line(s) as they are now.'),
    after: z.string().describe('The replacement line(s).'),
  })
  .describe('A line edit to a Dockerfile, Procfile or gunicorn.conf.py.');

const manifest = z.record(z.string(), z.unknown());

const fix = z
  .strictObject({
    applyFragment: manifest
      .nullable()
      .describe('Minimal object for server-side apply: apiVersion, kind, metadata.name/namespace and the changed fields.'),
    edits: z.array(sourceEdit),
    create: z.array(manifest).describe('Whole manifests to add (e.g. a Config Connector IAMPolicyMember).'),
    commands: z.array(z.string()).describe('Shell commands with the same effect (e.g. gcloud). Data: pytuner never runs them.'),
    notes: z.array(z.string()).describe('Caveats to read before applying.'),
  })
  .describe('Everything besides the JSON patch that fixes the finding.');

const finding = z.strictObject({
  rule: z.string().describe('Stable rule id; docs at docs/rules/<rule>.md, `pytuner explain <rule>`.'),
  severity: z.enum(['critical', 'warning', 'info']),
  target,
  message: z.string().describe('One line, no trailing period.'),
  current: values,
  recommended: values,
  patch: z.array(jsonPatchOp).nullable().describe('RFC 6902 JSON Patch for the target object; null when the fix is not a patch.'),
  evidence: z.array(evidence),
  fix: fix.nullable().describe('null when the rule offers no fix beyond the message.'),
});

const inputError = z
  .strictObject({
    file: z.string().nullable().describe('null for an object read from the API server (--cluster): `object` names it.'),
    line: z.number().int().min(1).nullable(),
    object: z.string().nullable().describe('The object the error is about (Kind name), when known.'),
    field: z.string().nullable().describe('The field the error is about, when known.'),
    message: z.string(),
  })
  .describe('An input that could not be read or parsed. The rest is still reported; the CLI exits 2.');

const count = z.number().int().min(0);

const summary = z.strictObject({
  files: count.describe('Files read, including those that failed.'),
  objects: count.describe('Kubernetes objects read, after List expansion.'),
  workloads: count,
  images: count.describe('Dockerfiles and buildpacks Procfiles checked on their own (not joined to a workload).'),
  skipped: z.record(z.string(), count).describe('Objects of kinds pytuner does not read, by apiVersion/kind, keys sorted.'),
  skippedFiles: z
    .partialRecord(z.enum(Object.keys(SKIP_REASONS) as [SkipReason, ...SkipReason[]]), count)
    .describe('Files a directory walk found that hold no Kubernetes object (data JSON, tsconfig.json, templates, empty files), by reason, keys sorted. Not errors.'),
  findings: z.strictObject({ critical: count, warning: count, info: count }),
  errors: count,
});

/** True when A and B are the same union: a compile-time guard that the schema's enums follow the model's types. */
type SameUnion<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// If the model gains a severity or a source kind, these lines stop compiling until the schema (and its docs) follow.
const severitiesMatch: SameUnion<z.infer<typeof finding>['severity'], Severity> = true;
const sourceKindsMatch: SameUnion<z.infer<typeof evidence>['source'], SourceKind> = true;
void severitiesMatch;
void sourceKindsMatch;

/** The `-o json` document. */
export const reportDocumentSchema = z
  .strictObject({
    version: z.literal(1).describe('Schema version: changes only on an incompatible change (see docs/report-schema.md).'),
    findings: z.array(finding).describe('Sorted by file, line, object, container and rule.'),
    errors: z.array(inputError),
    notes: z.array(z.string()).describe('What the report could not cover and why, e.g. a kind the identity may not list (--cluster).'),
    summary,
  })
  .meta({ title: 'pytuner report', description: 'Output of `pytuner report -o json`. Documented in docs/report-schema.md.' });

/** The JSON report as the formatter writes it. */
export type ReportDocument = z.infer<typeof reportDocumentSchema>;

/** The JSON Schema (draft 2020-12) of the JSON report, committed as `docs/report-schema.json`. */
export function reportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(reportDocumentSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
