/**
 * The built CLI over the whole realistic corpus (test/fixtures/realistic: source deploys, dev servers, entrypoint
 * scripts, uWSGI ini, granian, Terraform, free-threaded Python, cpu-scaling, a repository of data files): every finding
 * an expert expects (EXPECTED.tsv, written by hand, status `found`) is reported, nothing else is, and the known gaps
 * (status `missed`) are still not reported, so the README's recall and precision stay true.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportDocumentSchema } from '../../src/output/reportSchema.ts';
import { pytuner, ROOT } from './run.ts';

const CORPUS = 'test/fixtures/realistic';

const rows = readFileSync(join(ROOT, CORPUS, 'EXPECTED.tsv'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'))
  .map((line) => line.split('\t'));

describe('pytuner report over the whole realistic corpus', () => {
  const run = pytuner(['report', '-f', CORPUS, '-o', 'json']);
  const report = reportDocumentSchema.parse(JSON.parse(run.stdout));
  // A resource inside a Terraform module is one target per module call: its key names the call (`file#module.api`).
  const call = (namespace: string | null | undefined) => (namespace?.startsWith('module.') === true ? `#${namespace}` : '');
  const found = report.findings.map((f) => `${(f.target.file ?? '').slice(CORPUS.length + 1)}${call(f.target.namespace)}\t${f.rule}`).sort();

  it('reads every file without an input error; stderr holds notes only', () => {
    expect(run.status).toBe(0);
    expect(report.errors).toEqual([]);
    expect(run.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('pytuner: note: '))).toEqual([]);
  });

  it('reports every expected finding and nothing else', () => {
    const expected = rows.filter(([, , status]) => status === 'found').map(([file, rule]) => `${file}\t${rule}`).sort();
    expect(found).toEqual(expected);
  });

  it('still misses the known gaps, if any (mark them "found" in EXPECTED.tsv once pytuner reports them)', () => {
    const missed = rows.filter(([, , status]) => status === 'missed').map(([file, rule]) => `${file}\t${rule}`);
    for (const key of missed) expect(found).not.toContain(key);
  });

  it('reads Terraform: findings name the resource, and evidence the attribute', () => {
    const storefront = report.findings.find((f) => f.rule === 'gunicorn.workers-vs-cpu' && f.target.name === 'storefront');
    expect(storefront?.target).toMatchObject({ apiVersion: 'terraform', name: 'storefront', file: `${CORPUS}/coverage-terraform/infra/main.tf` });
    expect(storefront?.evidence.map((e) => e.field)).toContain('template.containers[0].resources.limits.cpu');
    expect(storefront?.fix?.edits?.[0]?.after).toContain('"--workers", "2"');
  });

  it('passes a local module\'s literal arguments into it, one target per call, and edits the caller\'s argument', () => {
    const api = report.findings.find((f) => f.rule === 'gunicorn.workers-vs-cpu' && f.target.namespace === 'module.api');
    expect(api?.target).toMatchObject({ apiVersion: 'terraform', kind: 'google_cloud_run_v2_service', name: 'service' });
    expect(api?.current).toEqual({ workers: 1, vCPU: 4 });
    const main = `${CORPUS}/coverage-terraform-module/infra/main.tf`;
    expect(api?.fix?.edits).toEqual([
      { file: main, line: 6, before: '  workers     = 1', after: '  workers     = 4' },
      { file: main, line: 7, before: '  concurrency = 8', after: '  concurrency = 32' },
    ]);
    const admin = report.findings.find((f) => f.rule === 'gunicorn.workers-vs-cpu' && f.target.namespace === 'module.admin');
    expect(admin?.current).toEqual({ workers: 2, vCPU: 1 });
    // The admin call passes its concurrency as a root variable: unknown, said in a note, and no concurrency finding.
    expect(report.findings.some((f) => f.rule === 'concurrency.threads-mismatch' && f.target.namespace === 'module.admin')).toBe(false);
    expect(report.notes?.some((n) => n.includes('module.admin.google_cloud_run_v2_service.service: var.concurrency not resolved') && n.includes('passes concurrency = var.admin_concurrency'))).toBe(true);
    expect(report.notes?.some((n) => n.includes("module.api.google_cloud_run_v2_service.service: var.threads = 8 from the variable's default"))).toBe(true);
  });

  it('says a free-threaded build changes the GIL rules, and does not flag its single gthread worker', () => {
    expect(report.notes?.some((n) => n.startsWith(`${CORPUS}/coverage-free-threaded/service.yaml:1: Service thumbnails[user-container]: free-threaded Python`))).toBe(true);
    expect(found.filter((key) => key.startsWith('coverage-free-threaded/'))).toEqual([]);
  });
});
