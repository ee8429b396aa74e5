import { describe, expect, it } from 'vitest';
import { readHcl } from './terraform.ts';
import { readTerraformFiles } from '../parse/terraform.ts';
import type { HclFile } from '../parse/hcl.ts';
import { analyse } from '../report.ts';
import { buildInventory } from '../model/extract/inventory.ts';
import { withTerraformEdits } from '../render/terraformEdits.ts';
import { applySourceEdits } from '../render/sourceEdits.ts';
import type { Finding } from '../model/finding.ts';

async function hcl(text: string, file = 'main.tf'): Promise<HclFile> {
  const read = await readHcl(file, text);
  if ('error' in read) throw new Error(read.error.message);
  return read.hcl;
}

async function report(text: string) {
  return reportOf([await hcl(text)]);
}

function loadedOf(files: HclFile[]) {
  const read = readTerraformFiles(files);
  return { documents: read.documents, sources: [], errors: read.errors, files: files.length, terraform: files, notes: read.notes };
}

function reportOf(files: HclFile[]) {
  return analyse(loadedOf(files));
}

function workloadsOf(files: HclFile[]) {
  return buildInventory(loadedOf(files), []).inventory.workloads;
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
      'main.tf:1: module.svc not evaluated: no .tf file of its source svc was read (pass that directory too)',
      'main.tf:9: google_cloud_run_v2_service.api: dynamic "env" block in template.containers[0] not read: pytuner does not evaluate Terraform, its entries are unknown',
    ]);
    expect(r.errors).toEqual([]);
  });

  it('reports a resource without a template as an input error naming it', async () => {
    const r = await report('resource "google_cloud_run_service" "x" {\n  name = "x"\n}\n');
    expect(r.errors).toEqual([{ file: 'main.tf', line: 1, object: 'google_cloud_run_service.x', field: 'template', message: 'no template block: not a service pytuner can read' }]);
  });
});

const MODULE = `variable "cpu" {
  default = "1"
}
variable "workers" {}
variable "concurrency" {}
resource "google_cloud_run_v2_service" "run" {
  name = "run"
  template {
    max_instance_request_concurrency = var.concurrency
    containers {
      image = "x"
      args  = ["gunicorn", "--workers", var.workers, "app:app"]
      resources {
        limits = { cpu = var.cpu }
      }
    }
  }
}
`;

async function moduleFiles(calls: string): Promise<HclFile[]> {
  return [await hcl(calls, 'infra/main.tf'), await hcl(MODULE, 'infra/modules/run/main.tf')];
}

describe('local Terraform modules', () => {
  it("reads a module's resource once per call, with each call's literal arguments and else the variables' defaults", async () => {
    const files = await moduleFiles('module "api" {\n  source = "./modules/run"\n  cpu = "4"\n  workers = 1\n  concurrency = 8\n}\nmodule "jobs" {\n  source = "./modules/run/"\n  workers = 3\n  concurrency = local.c\n}\n');
    const r = reportOf(files);
    const workloads = workloadsOf(files);
    expect(workloads).toHaveLength(2);
    const api = workloads.find((w) => w.ref.namespace === 'module.api');
    const jobs = workloads.find((w) => w.ref.namespace === 'module.jobs');
    expect(api?.ref).toMatchObject({ apiVersion: 'terraform', kind: 'google_cloud_run_v2_service', name: 'run', file: 'infra/modules/run/main.tf' });
    expect(api?.containerConcurrency?.value).toBe(8);
    expect(api?.containers[0]?.cpu?.value).toBe(4);
    expect(api?.containers[0]?.server?.workers.value).toBe(1);
    expect(jobs?.containers[0]?.cpu?.value).toBe(1);
    expect(jobs?.containers[0]?.server?.workers.value).toBe(3);
    // An argument written as an expression stays unknown, and the evidence and a note say why.
    expect(jobs?.containerConcurrency).toMatchObject({ value: undefined, unresolved: true });
    expect(jobs?.containerConcurrency?.evidence.text).toBe('var.concurrency (not evaluated: module.jobs (infra/main.tf:7) passes concurrency = local.c, an expression pytuner does not evaluate)');
    expect(r.notes).toContain("infra/modules/run/main.tf:6: module.jobs.google_cloud_run_v2_service.run: var.cpu = \"1\" from the variable's default at infra/modules/run/main.tf:2");
    expect(r.notes).toContain('infra/modules/run/main.tf:6: module.api.google_cloud_run_v2_service.run: var.workers = 1 from the module argument at infra/main.tf:4');
  });

  it('keeps a module nobody read calls as it is, and notes a call whose source is not local', async () => {
    const files = [await hcl('module "x" {\n  source = "terraform-google-modules/cloud-run/google"\n}\n'), await hcl(MODULE, 'modules/run/main.tf')];
    expect(reportOf(files).notes).toContain('main.tf:1: module.x not evaluated: its source "terraform-google-modules/cloud-run/google" is not a local directory, so what it deploys is unknown');
    const [run, ...rest] = workloadsOf(files);
    expect(rest).toEqual([]);
    expect(run?.ref.namespace).toBeUndefined();
    expect(run?.containerConcurrency).toMatchObject({ value: undefined, unresolved: true });
  });

  it('notes remote modules that may deploy a service one by one, and the rest (network, cluster) in one line', async () => {
    const files = [
      await hcl(
        [
          'module "net" {\n  source = "terraform-google-modules/network/google"\n}',
          'module "gke" {\n  source = "terraform-google-modules/kubernetes-engine/google"\n}',
          'module "app" {\n  source = "git::https://example.com/platform.git//svc"\n  container_image = "gcr.io/p/app"\n}',
        ].join('\n'),
      ),
    ];
    expect(reportOf(files).notes).toEqual([
      'main.tf:7: module.app not evaluated: its source "git::https://example.com/platform.git//svc" is not a local directory, so what it deploys is unknown',
      '2 Terraform module calls from remote sources not evaluated, none named for Cloud Run or passed an image or container: module.net (main.tf:1), module.gke (main.tf:4)',
    ]);
  });

  it('names five remote modules that deploy no service and counts the rest', async () => {
    const calls = Array.from({ length: 7 }, (_, i) => `module "net${i}" {\n  source = "terraform-google-modules/network/google"\n}`);
    expect(reportOf([await hcl(calls.join('\n'))]).notes).toEqual([
      '7 Terraform module calls from remote sources not evaluated, none named for Cloud Run or passed an image or container: module.net0 (main.tf:1), module.net1 (main.tf:4), module.net2 (main.tf:7), module.net3 (main.tf:10), module.net4 (main.tf:13) and 2 more',
    ]);
  });

  it("edits the caller's argument for a value the module takes as a variable, and says when it cannot", async () => {
    const files = await moduleFiles('module "api" {\n  source = "./modules/run"\n  cpu = "2"\n  workers = 1\n  concurrency = 8\n}\n');
    const r = reportOf(files);
    const workers = r.findings.find((f) => f.rule === 'gunicorn.workers-vs-cpu');
    expect(workers?.fix?.edits).toEqual([{ file: 'infra/main.tf', line: 4, before: '  workers = 1', after: '  workers = 2' }]);
    const moduleFinding = (path: string, value: unknown): Finding => ({
      rule: 'r',
      severity: 'warning',
      target: { apiVersion: 'terraform', kind: 'google_cloud_run_v2_service', namespace: 'module.api', name: 'run', file: 'infra/modules/run/main.tf' },
      message: '',
      current: {},
      recommended: {},
      evidence: [],
      fix: { jsonPatch: [{ op: 'add', path, value }] },
    });
    // cpu comes from the variable's default when the call does not pass it: shared by every call, so advice only.
    const noCpu = await moduleFiles('module "api" {\n  source = "./modules/run"\n  workers = 1\n  concurrency = 8\n}\n');
    const [cpu] = withTerraformEdits([moduleFinding('/spec/template/spec/containers/0/args/2', '4')], noCpu);
    expect(cpu?.fix?.edits?.[0]).toEqual({ file: 'infra/main.tf', line: 3, before: '  workers = 1', after: '  workers = 4' });
    // A new attribute goes into the module's own file: written with one call read (and said), advice with two.
    const [one] = withTerraformEdits([moduleFinding('/spec/template/spec/timeoutSeconds', 60)], files);
    expect(one?.fix?.edits?.[0]?.file).toBe('infra/modules/run/main.tf');
    expect(one?.fix?.notes).toEqual(["this edits the module's own file infra/modules/run/main.tf: every call of the module gets it (the files read hold one, module.api (infra/main.tf:1))"]);
    const two = await moduleFiles('module "api" {\n  source = "./modules/run"\n  workers = 1\n  concurrency = 8\n}\nmodule "b" {\n  source = "./modules/run"\n  workers = 1\n  concurrency = 8\n}\n');
    const [shared] = withTerraformEdits([moduleFinding('/spec/template/spec/timeoutSeconds', 60)], two);
    expect(shared?.fix?.edits).toBeUndefined();
    expect(shared?.fix?.notes?.[0]).toMatch(/^not written to the .tf file: the change is in infra\/modules\/run\/main.tf, which the 2 calls of this module share/);
  });

  it("gives advice, not an edit, for a variable's default or an argument written as an expression", async () => {
    const finding = (value: string): Finding => ({
      rule: 'r',
      severity: 'warning',
      target: { apiVersion: 'terraform', kind: 'google_cloud_run_v2_service', namespace: 'module.api', name: 'run', file: 'infra/modules/run/main.tf' },
      message: '',
      current: {},
      recommended: {},
      evidence: [],
      fix: { jsonPatch: [{ op: 'replace', path: '/spec/template/spec/containerConcurrency', value: Number(value) }] },
    });
    const viaExpression = await moduleFiles('module "api" {\n  source = "./modules/run"\n  workers = 1\n  concurrency = var.c\n}\n');
    const [expression] = withTerraformEdits([finding('4')], viaExpression);
    expect(expression?.fix?.edits).toBeUndefined();
    expect(expression?.fix?.notes).toEqual(['not written to the .tf file: the value is var.concurrency, and module.api (infra/main.tf:1) passes concurrency = var.c, an expression pytuner does not evaluate; edit it by hand']);
    const defaults = [await hcl('module "api" {\n  source = "./modules/run"\n  workers = 1\n}\n', 'infra/main.tf'), await hcl(MODULE.replace('variable "concurrency" {}', 'variable "concurrency" {\n  default = 80\n}'), 'infra/modules/run/main.tf')];
    const [fromDefault] = withTerraformEdits([finding('4')], defaults);
    expect(fromDefault?.fix?.notes).toEqual([
      "not written to the .tf file: the value is var.concurrency's default (infra/modules/run/main.tf:6), shared by every call; set concurrency = 4 in module.api (infra/main.tf:1); edit it by hand",
    ]);
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
