import { describe, expect, it } from 'vitest';
import { readHcl } from './terraform.ts';
import { readTerraform } from '../parse/terraform.ts';
import type { HclFile } from '../parse/hcl.ts';
import { analyse } from '../report.ts';
import { withTerraformEdits } from '../render/terraformEdits.ts';
import { applySourceEdits } from '../render/sourceEdits.ts';
import type { Finding } from '../model/finding.ts';

async function hcl(text: string, file = 'main.tf'): Promise<HclFile> {
  const read = await readHcl(file, text);
  if ('error' in read) throw new Error(read.error.message);
  return read.hcl;
}

async function report(text: string) {
  const file = await hcl(text);
  const read = readTerraform(file);
  return analyse({ documents: read.documents, sources: [], errors: read.errors, files: 1, terraform: [file], notes: read.notes });
}

const V2 = (template: string) => `resource "google_cloud_run_v2_service" "api" {
  name = "api"
  template {
${template}
  }
}
`;

describe('readHcl', () => {
  it('reads literals, keeps expressions as text, and gives source ranges in string offsets (non-ASCII text before them)', async () => {
    const text = '# café\nlocals {\n  a = "x-${var.y}"\n  b = 3\n  c = { cpu = "2", "k/v" = true }\n  d = "é\\n"\n}\n';
    const file = await hcl(text);
    const locals = file.body[0];
    expect(locals?.type).toBe('block');
    if (locals?.type !== 'block') return;
    const [a, b, c, d] = locals.body;
    expect(a?.type === 'attribute' && a.value).toMatchObject({ kind: 'expression', text: '"x-${var.y}"' });
    expect(b?.type === 'attribute' && b.value).toMatchObject({ kind: 'number', value: 3 });
    expect(c?.type === 'attribute' && c.value.kind === 'object' && c.value.entries.map((e) => [e.key, e.value.kind])).toEqual([['cpu', 'string'], ['k/v', 'bool']]);
    expect(d?.type === 'attribute' && d.value).toMatchObject({ kind: 'string', value: 'é\n' });
    expect(d !== undefined && text.slice(d.range.start, d.range.end)).toBe('d = "é\\n"');
    expect(d?.range.line).toBe(6);
  });

  it('gives an input error with the line of a syntax error', async () => {
    const read = await readHcl('bad.tf', 'resource "x" "y" {\n  a = \n}\n');
    expect(read).toMatchObject({ error: { file: 'bad.tf', line: 2 } });
  });
});

describe('Terraform Cloud Run services', () => {
  it('maps v2 attributes to the service form, naming the Terraform attribute in evidence', async () => {
    const r = await report(V2(`    max_instance_request_concurrency = 80
    containers {
      args = ["gunicorn", "--bind", ":8080", "--workers", "1", "--threads", "4", "--timeout", "0", "main:app"]
      resources {
        limits = { cpu = "1" }
      }
    }`));
    const mismatch = r.findings.find((f) => f.rule === 'concurrency.threads-mismatch');
    expect(mismatch?.target).toMatchObject({ apiVersion: 'terraform', kind: 'google_cloud_run_v2_service', name: 'api', file: 'main.tf' });
    expect(mismatch?.evidence[0]).toMatchObject({ field: 'template.max_instance_request_concurrency', line: 4 });
    expect(mismatch?.fix?.jsonPatch).toBeUndefined();
    expect(mismatch?.fix?.edits).toEqual([{ file: 'main.tf', line: 4, before: '    max_instance_request_concurrency = 80', after: '    max_instance_request_concurrency = 4' }]);
  });

  it('treats a variable as unknown: no finding assumes Cloud Run\'s default concurrency, and the evidence says why', async () => {
    const r = await report(V2(`    max_instance_request_concurrency = var.concurrency
    containers {
      args = ["gunicorn", "--bind", ":8080", "--workers", "1", "--threads", "4", "--timeout", "0", "main:app"]
      resources {
        limits = { cpu = var.cpu }
      }
    }`));
    expect(r.findings.filter((f) => f.rule === 'concurrency.threads-mismatch' || f.rule === 'gunicorn.workers-vs-cpu')).toEqual([]);
  });

  it('notes module calls and dynamic blocks instead of guessing what they create', async () => {
    const r = await report(`module "svc" {\n  source = "./svc"\n}\n${V2('    containers {\n      image = "x"\n      dynamic "env" {\n        for_each = var.env\n        content {\n          name = env.key\n        }\n      }\n    }')}`);
    expect(r.notes).toEqual([
      "main.tf:1: module.svc not evaluated: pytuner does not pass a module's arguments into it, so what it deploys is unknown (a Cloud Run resource in the module's own files, if read, has its variables as unknown values)",
      'main.tf:9: google_cloud_run_v2_service.api: dynamic "env" block in template.containers[0] not read: pytuner does not evaluate Terraform, its entries are unknown',
    ]);
    expect(r.errors).toEqual([]);
  });

  it('reports a resource without a template as an input error naming it', async () => {
    const r = await report('resource "google_cloud_run_service" "x" {\n  name = "x"\n}\n');
    expect(r.errors).toEqual([{ file: 'main.tf', line: 1, object: 'google_cloud_run_service.x', field: 'template', message: 'no template block: not a service pytuner can read' }]);
  });
});

describe('withTerraformEdits', () => {
  const finding = (jsonPatch: NonNullable<Finding['fix']>['jsonPatch'], rule = 'r'): Finding => ({
    rule,
    severity: 'warning',
    target: { apiVersion: 'terraform', kind: 'google_cloud_run_v2_service', name: 'api', file: 'main.tf' },
    message: '',
    current: {},
    recommended: {},
    evidence: [],
    fix: { jsonPatch: jsonPatch ?? [] },
  });

  it('writes v1 annotations as v2 resource attributes, and adds env blocks to a container', async () => {
    const file = await hcl(V2('    containers {\n      image = "x"\n      resources {\n        limits = { cpu = "2" }\n      }\n    }'));
    const out = withTerraformEdits(
      [
        finding([{ op: 'add', path: '/spec/template/metadata/annotations', value: { 'run.googleapis.com/cpu-throttling': 'false', 'run.googleapis.com/startup-cpu-boost': 'true' } }], 'a'),
        finding([{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'A', value: '1' }] }], 'b'),
      ],
      [file],
    );
    expect(out.map((f) => f.fix?.notes)).toEqual([undefined, undefined]);
    expect(out.map((f) => f.fix?.edits?.map((e) => e.line))).toEqual([[6], [4]]);
    const edited = applySourceEdits(file.text, out.flatMap((f) => f.fix?.edits ?? [])).text;
    expect(edited).toContain('    containers {\n      env {\n        name  = "A"\n        value = "1"\n      }\n      image = "x"\n      resources {\n        cpu_idle = false\n        startup_cpu_boost = true\n        limits = { cpu = "2" }\n');
  });

  it('makes one edit of changes on one line, carried by every finding that wants part of it', async () => {
    const file = await hcl(V2('    containers {\n      image = "x"\n    }'));
    const out = withTerraformEdits(
      [finding([{ op: 'add', path: '/spec/template/spec/containerConcurrency', value: 4 }], 'a'), finding([{ op: 'add', path: '/spec/template/spec/timeoutSeconds', value: 600 }], 'b')],
      [file],
    );
    const both = [{ file: 'main.tf', line: 3, before: '  template {', after: '  template {\n    max_instance_request_concurrency = 4\n    timeout = "600s"' }];
    expect(out.map((f) => f.fix?.edits)).toEqual([both, both]);
  });

  it('leaves a change with no Terraform form unfixed and says why', async () => {
    const file = await hcl(V2('    containers {\n      image = "x"\n    }'));
    const [out] = withTerraformEdits([finding([{ op: 'add', path: '/spec/template/metadata/annotations/autoscaling.knative.dev~1target', value: '10' }])], [file]);
    expect(out?.fix?.edits).toBeUndefined();
    expect(out?.fix?.notes).toEqual(['not written to the .tf file: google_cloud_run_v2_service has no attribute for the annotation autoscaling.knative.dev/target; edit it by hand']);
  });

  it('refuses to insert into a block written on one line', async () => {
    const file = await hcl(V2('    containers { image = "x" }'));
    const [out] = withTerraformEdits([finding([{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'A', value: '1' }] }])], [file]);
    expect(out?.fix?.notes?.[0]).toContain('the containers block is written on one line');
  });
});
