// `pytuner report --cloudrun` end to end: the CLI (src/cli/main.ts, as a child process) lists services from a loopback
// Cloud Run Admin API (test/support/cloudRunApi.ts) whose every answer is checked against the v2 protos shipped in
// `@google-cloud/run`, and reports on them; with --prometheus it reads their load from a real Prometheus serving
// series under Cloud Run's Managed Prometheus names. Cloud Run itself cannot be reached from here (README: what this
// does not verify).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './harness/paths.ts';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import { startCloudRunApi, type CloudRunApi } from '../support/cloudRunApi.ts';
import { assertCloudRunJson, CLOUD_RUN_TYPES } from '../support/cloudRunSchema.ts';
import { PROJECT, catalog, checkout, orders, search } from '../support/cloudRunServices.ts';
import { cloudRunSeries, type SeriesOptions } from '../support/series.ts';
import { SIM_BOUNDS, simulatedSteps } from '../support/seriesFromSim.ts';

const MAIN = join(repoRoot, 'src/cli/main.ts');
const TOKEN = 'ya29.loopback-token';

interface JsonFinding {
  rule: string;
  message: string;
  target: { apiVersion: string | null; kind: string; namespace: string | null; name: string; container: string | null; file: string | null };
  fix: { commands: string[]; notes: string[] } | null;
}
interface JsonReport {
  findings: JsonFinding[];
  errors: Array<{ object?: string; field?: string; message: string }>;
  notes: string[];
  summary: { workloads: number; objects: number };
}

const run = promisify(execFile);

async function pytuner(args: readonly string[], endpoint: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NO_COLOR: '1', PYTUNER_CLOUDRUN_ENDPOINT: endpoint, GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent' };
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { cwd: repoRoot, env, timeout: 60_000 });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The JSON body of the `curl -X PATCH … -d '<json>'` command, and its update mask. */
function patchOf(command: string): { mask: string[]; body: Record<string, unknown> } {
  const mask = /updateMask=([^' ]+)/.exec(command)?.[1]?.split(',') ?? [];
  const json = /-d '(.*)'$/.exec(command)?.[1] ?? 'null';
  return { mask, body: JSON.parse(json.replaceAll(`'"'"'`, "'")) as Record<string, unknown> };
}

function findingOn(report: JsonReport, rule: string, name: string): JsonFinding {
  const found = report.findings.find((f) => f.rule === rule && f.target.name === name);
  if (found === undefined) throw new Error(`no ${rule} on ${name}; findings: ${report.findings.map((f) => `${f.rule} ${f.target.name}`).join(', ')}`);
  return found;
}

describe('pytuner report --cloudrun', () => {
  let api: CloudRunApi;
  let work: string;
  let tokenFile: string;

  beforeAll(async () => {
    api = await startCloudRunApi({
      project: PROJECT,
      token: TOKEN,
      pageSize: 2,
      regions: {
        'europe-west1': { services: [checkout, orders, catalog] },
        'us-central1': { status: 403, message: "Permission 'run.services.list' denied on resource 'projects/shop-prod/locations/us-central1'" },
        'asia-east1': { services: [search] },
      },
    });
    work = mkdtempSync(join(tmpdir(), 'pytuner-cloudrun-'));
    tokenFile = join(work, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
  });
  afterAll(async () => {
    await api?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('lists two regions (one page-by-page, one refused), reports the services as v2 objects with gcloud and v2-patch fixes', async () => {
    const before = api.requests.length;
    const result = await pytuner(['report', '--cloudrun', PROJECT, '--region', 'europe-west1', '--region', 'us-central1', '--bearer-token-file', tokenFile, '-o', 'json'], api.url);
    expect(api.schemaErrors).toEqual([]);
    const requests = api.requests.slice(before);
    // europe-west1 holds 3 services and the server pages by 2: the second call carries the first page's token.
    expect(requests.filter((r) => r.startsWith('/v2/projects/shop-prod/locations/europe-west1/services'))).toHaveLength(2);
    expect(requests[1]).toMatch(/pageToken=/);
    // The refused region is a note and makes the report partial (exit 2); the other region is reported in full.
    expect(result.status).toBe(2);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.notes).toHaveLength(1);
    expect(report.notes[0]).toContain('us-central1');
    expect(report.notes[0]).toContain('403');
    expect(result.stderr).toContain('us-central1');
    expect(report.summary.workloads).toBe(3);
    expect(report.errors).toEqual([]);

    // checkout: Cloud Run's 80 in front of gunicorn 1 × 8.
    const mismatch = findingOn(report, 'concurrency.threads-mismatch', 'checkout');
    expect(mismatch.target).toMatchObject({ apiVersion: 'run.googleapis.com/v2', kind: 'Service', namespace: 'projects/shop-prod/locations/europe-west1', container: 'web', file: null });
    expect(mismatch.message).toContain('8');
    expect(mismatch.fix?.commands[0]).toBe('gcloud run services update checkout --region europe-west1 --project shop-prod --concurrency 8');
    const concurrencyPatch = patchOf(mismatch.fix?.commands[1] ?? '');
    expect(concurrencyPatch.mask).toEqual(['template.maxInstanceRequestConcurrency']);
    expect(concurrencyPatch.body).toEqual({ template: { maxInstanceRequestConcurrency: 8 }, etag: checkout['etag'] });
    expect(mismatch.fix?.commands[1]).toContain('https://run.googleapis.com/v2/projects/shop-prod/locations/europe-west1/services/checkout?updateMask=');

    // orders: 1 worker (GUNICORN_CMD_ARGS) on 2 vCPU. Its fix writes the containers, so the patch carries every
    // container complete, with cpuIdle written although the answer had none.
    const workers = findingOn(report, 'gunicorn.workers-vs-cpu', 'orders');
    expect(workers.fix?.commands[0]).toBe("gcloud run services update orders --region europe-west1 --project shop-prod --update-env-vars 'GUNICORN_CMD_ARGS=--workers 2'");
    const containersPatch = patchOf(workers.fix?.commands[1] ?? '');
    expect(containersPatch.mask).toEqual(['template.containers']);
    const containers = (containersPatch.body['template'] as { containers: Array<Record<string, unknown>> }).containers;
    expect(containers).toHaveLength(1);
    expect(containers[0]?.['resources']).toEqual({ limits: { cpu: '2', memory: '1Gi' }, cpuIdle: true });
    expect(containers[0]?.['env']).toContainEqual({ name: 'GUNICORN_CMD_ARGS', value: '--workers 2' });
    expect(containers[0]?.['image']).toBe('europe-docker.pkg.dev/shop-prod/apps/orders:2.0.0');
    expect(workers.fix?.notes.join(' ')).toContain('cpuIdle');
    // Every patch is a valid v2 Service in proto3 JSON.
    for (const finding of report.findings) {
      for (const command of finding.fix?.commands.filter((c) => c.startsWith('curl -X PATCH')) ?? []) assertCloudRunJson(CLOUD_RUN_TYPES.service, patchOf(command).body);
    }
    // catalog is sized consistently: nothing to report.
    expect(report.findings.filter((f) => f.target.name === 'catalog')).toEqual([]);
  });

  it('the table groups the services under the Admin API, with v2 fields as evidence', async () => {
    const result = await pytuner(['report', '--cloudrun', PROJECT, '--region', 'europe-west1', '--bearer-token-file', tokenFile], api.url);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Cloud Run Admin API (3 findings)');
    expect(result.stdout).toContain('Service projects/shop-prod/locations/europe-west1/checkout[web]');
    expect(result.stdout).toContain('evidence: template.maxInstanceRequestConcurrency');
  });

  it("--region - lists the project's locations first and reads every one it may", async () => {
    const result = await pytuner(['report', '--cloudrun', PROJECT, '--region', '-', '--bearer-token-file', tokenFile, '-o', 'json'], api.url);
    expect(api.schemaErrors).toEqual([]);
    expect(result.status).toBe(2);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.summary.workloads).toBe(4);
    expect(report.notes.join(' ')).toContain('us-central1');
    const uvicorn = findingOn(report, 'uvicorn.workers', 'search');
    expect(uvicorn.target.namespace).toBe('projects/shop-prod/locations/asia-east1');
  });

  it('a refused token stops with a clear message; an unknown project names the 404', async () => {
    const badToken = join(work, 'bad-token');
    writeFileSync(badToken, 'not-the-token');
    const refused = await pytuner(['report', '--cloudrun', PROJECT, '--region', 'europe-west1', '--bearer-token-file', badToken], api.url);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('refused the credentials (401)');
    expect(refused.stdout).toBe('');

    const unknown = await pytuner(['report', '--cloudrun', 'no-such-project', '--region', 'europe-west1', '--bearer-token-file', tokenFile], api.url);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no region of project no-such-project could be read');
    expect(unknown.stderr).toContain('404');
  });

  it('without --bearer-token-file and without Application Default Credentials, says how to get them', async () => {
    const result = await pytuner(['report', '--cloudrun', PROJECT, '--region', 'europe-west1'], api.url);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no Application Default Credentials');
  });

  it('the loopback server sends nothing its schema refuses (a misspelt v2 field is answered with 500)', async () => {
    expect(() => assertCloudRunJson(CLOUD_RUN_TYPES.service, { template: { maxInstanceRequestConcurency: 80 } })).toThrow(/maxInstanceRequestConcurency/);
    expect(() => assertCloudRunJson(CLOUD_RUN_TYPES.service, { template: { timeout: 300 } })).toThrow(/Duration/);
    const misspelt = { ...checkout, template: { containers: [{ image: 'x', resource: { limits: { cpu: '1' } } }] } };
    const bad = await startCloudRunApi({ project: PROJECT, token: TOKEN, pageSize: 10, regions: { 'europe-west1': { services: [misspelt] } } });
    try {
      const response = await fetch(`${bad.url}/v2/projects/${PROJECT}/locations/europe-west1/services`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(500);
      expect(bad.schemaErrors.join(' ')).toContain('resource');
    } finally {
      await bad.close();
    }
  });

  describe('with --prometheus (profile cloudrun)', () => {
    let prometheus: RunningPrometheus | undefined;
    const start = Math.floor((Date.now() / 1000 - 3 * 3600) / 60) * 60;
    beforeAll(async () => {
      const options: SeriesOptions = { start, stepSeconds: 300, bounds: SIM_BOUNDS };
      // checkout under measured load: gunicorn 1 × 8 on 1 vCPU, CPU-heavy requests, the load rising over an hour.
      const steps = simulatedSteps({ seed: 7, fromRate: 5, toRate: 60, cpuMs: 20, ioMs: 40, workers: 1, threads: 8, vcpus: 1, containerConcurrency: 80, durationSeconds: 3600, stepSeconds: 300 });
      prometheus = await startPrometheus({ openMetrics: cloudRunSeries([{ namespace: '', name: 'checkout', steps, vcpus: 1, location: 'europe-west1' }], options, PROJECT) });
    });
    afterAll(async () => {
      await prometheus?.stop();
    });

    it('reads the services from the Admin API and their load from Managed Prometheus names', async () => {
      const args = ['report', '--cloudrun', PROJECT, '--region', 'europe-west1', '--bearer-token-file', tokenFile, '--prometheus', prometheus?.url ?? '', '--profile', 'cloudrun', '--end', String(start + 3600), '--window', '1h', '--step', '5m', '-o', 'json'];
      const result = await pytuner(args, api.url);
      expect(api.schemaErrors).toEqual([]);
      const report = JSON.parse(result.stdout) as JsonReport;
      const measured = report.findings.filter((f) => f.rule.startsWith('metrics.') && f.target.name === 'checkout');
      expect(measured.map((f) => f.rule)).toContain('metrics.container-concurrency');
      const concurrency = findingOn(report, 'metrics.container-concurrency', 'checkout');
      expect(concurrency.fix?.commands[0]).toMatch(/^gcloud run services update checkout --region europe-west1 --project shop-prod --concurrency \d+$/);
      // orders and catalog have no series: said per service, not guessed.
      expect(report.findings.filter((f) => f.rule === 'metrics.unavailable' || f.rule === 'metrics.insufficient-data').map((f) => f.target.name)).not.toContain('checkout');
    });
  });
});
