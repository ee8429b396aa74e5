// The Terraform reader on hostile input: any text, and Cloud Run resources whose attributes hold hostile values or
// expressions, is read or reported as an input error, never a crash; and the report over what it read never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readHcl } from '../../../src/input/terraform.ts';
import { readTerraform } from '../../../src/parse/terraform.ts';
import { analyse } from '../../../src/report.ts';
import { RUNS, hostileString } from './arbitraries.ts';

const expression = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  fc.constantFrom('var.x', 'local.y', 'module.m.out', 'null', 'true', '-1', '0', '1e400', '[1, var.z]', '{ cpu = var.c }', 'upper("a")', '"${var.r}-x"', '"$${lit}"'),
  fc.integer().map(String),
);

const resource = fc
  .record({ v2: fc.boolean(), concurrency: expression, cpu: expression, arg: expression, env: expression, timeout: expression })
  .map(({ v2, concurrency, cpu, arg, env, timeout }) =>
    v2
      ? `resource "google_cloud_run_v2_service" "s" {\n  template {\n    max_instance_request_concurrency = ${concurrency}\n    timeout = ${timeout}\n    containers {\n      args = ["gunicorn", "--workers", ${arg}, "app:app"]\n      env {\n        name  = "WEB_CONCURRENCY"\n        value = ${env}\n      }\n      resources {\n        limits = { cpu = ${cpu} }\n      }\n    }\n  }\n}\n`
      : `resource "google_cloud_run_service" "s" {\n  template {\n    spec {\n      container_concurrency = ${concurrency}\n      timeout_seconds = ${timeout}\n      containers {\n        command = ["uvicorn", "app:app", "--workers", ${arg}]\n        env {\n          name  = "X"\n          value = ${env}\n        }\n        resources {\n          limits = { cpu = ${cpu} }\n        }\n      }\n    }\n  }\n}\n`,
  );

async function readAndReport(text: string): Promise<void> {
  const read = await readHcl('main.tf', text);
  if ('error' in read) {
    expect(read.error.file).toBe('main.tf');
    return;
  }
  const found = readTerraform(read.hcl);
  const report = analyse({ documents: found.documents, sources: [], errors: found.errors, files: 1, terraform: [read.hcl], notes: found.notes });
  for (const finding of report.findings) for (const edit of finding.fix?.edits ?? []) expect(text.split('\n')[edit.line - 1]).toBe(edit.before.split('\n')[0]);
}

describe('Terraform reader properties', () => {
  it('never throws on arbitrary text', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), hostileString), readAndReport), { numRuns: RUNS, seed: 15 });
  });

  it('never throws on Cloud Run resources with hostile or unevaluated values, and its edits name lines as read', async () => {
    await fc.assert(fc.asyncProperty(resource, readAndReport), { numRuns: RUNS, seed: 16 });
  });
});
