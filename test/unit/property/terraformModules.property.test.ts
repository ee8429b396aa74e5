// Local Terraform modules on hostile input: a module resource whose values are all `var.x`, called once or twice with
// arguments that are hostile literals or expressions, with or without defaults, is read and reported without a crash,
// and every edit names a line as it reads in the file it edits (the caller's or the module's).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readHcl } from '../../../src/input/terraform.ts';
import type { HclFile } from '../../../src/parse/hcl.ts';
import { readTerraformFiles } from '../../../src/parse/terraform.ts';
import { analyse } from '../../../src/report.ts';
import { RUNS, hostileString } from './arbitraries.ts';

const value = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  fc.constantFrom('var.x', 'local.y', 'null', 'true', '-1', '0', '1', '4', '"2"', '80', '1e400', '[1]', '{ a = 1 }', '"${var.r}"'),
  fc.integer().map(String),
);
const argument = fc.option(value, { nil: undefined });

const MODULE = (defaults: { cpu?: string | undefined; concurrency?: string | undefined }) => `variable "cpu" {${defaults.cpu === undefined ? '' : `\n  default = ${defaults.cpu}\n`}}
variable "workers" {}
variable "concurrency" {${defaults.concurrency === undefined ? '' : `\n  default = ${defaults.concurrency}\n`}}
resource "google_cloud_run_v2_service" "run" {
  template {
    max_instance_request_concurrency = var.concurrency
    containers {
      args = ["gunicorn", "--workers", var.workers, "app:app"]
      resources {
        limits = { cpu = var.cpu }
      }
    }
  }
}
`;

const call = (name: string, args: { cpu?: string | undefined; workers?: string | undefined; concurrency?: string | undefined }) =>
  `module "${name}" {\n  source = "./modules/run"\n${Object.entries(args)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `  ${k} = ${v as string}\n`)
    .join('')}}\n`;

const tree = fc.record({
  defaults: fc.record({ cpu: argument, concurrency: argument }),
  calls: fc.array(fc.record({ cpu: argument, workers: argument, concurrency: argument }), { minLength: 1, maxLength: 2 }),
});

describe('Terraform module properties', () => {
  it('never throws on module calls with hostile or unevaluated arguments, and its edits name lines as read', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async ({ defaults, calls }) => {
        const texts = new Map([
          ['main.tf', calls.map((args, i) => call(`m${i}`, args)).join('')],
          ['modules/run/main.tf', MODULE(defaults)],
        ]);
        const files: HclFile[] = [];
        for (const [file, text] of texts) {
          const read = await readHcl(file, text);
          if ('error' in read) return;
          files.push(read.hcl);
        }
        const found = readTerraformFiles(files);
        const report = analyse({ documents: found.documents, sources: [], errors: found.errors, files: files.length, terraform: files, notes: found.notes });
        expect(found.documents.length).toBe(calls.length);
        for (const finding of report.findings) {
          for (const edit of finding.fix?.edits ?? []) expect(texts.get(edit.file)?.split('\n')[edit.line - 1]).toBe(edit.before.split('\n')[0]);
        }
      }),
      { numRuns: RUNS, seed: 17 },
    );
  });
});
