/**
 * Services deployed by `gcloud run deploy` commands (a Cloud Build config, a GitHub Actions workflow with the
 * deploy-cloudrun action and a `run:` step, a shell script), through the real input layer and pipeline: the command's
 * flags replace the Cloud Run defaults pytuner assumes for a source without a manifest, and fixes edit the command.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPaths } from '../../src/input/files.ts';
import { buildInventory } from '../../src/model/extract/inventory.ts';
import type { Finding } from '../../src/model/finding.ts';
import type { Workload } from '../../src/model/workload.ts';
import { analyse } from '../../src/report.ts';
import { applySourceEdits } from '../builders/applyFix.ts';

const FIXTURE = 'test/fixtures/gcloud-deploy';
const root = resolve(import.meta.dirname, '../..');
const at = (path: string) => `${FIXTURE}/${path}`;

async function inventoryOf(paths: string[]): Promise<Workload[]> {
  const loaded = await loadPaths(paths.map((p) => join(root, p)).map((p) => p.slice(root.length + 1)));
  const built = buildInventory(loaded, []);
  expect(built.errors).toEqual([]);
  return built.inventory.workloads;
}

const named = (workloads: Workload[], name: string) => workloads.find((w) => w.ref.name === name) as Workload;
const mismatch = (findings: Finding[], name: string) => findings.filter((f) => f.rule === 'concurrency.threads-mismatch' && f.target.name === name);

describe('services deployed by gcloud run deploy', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pytuner-gcloud-deploy-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('models one Cloud Run service per deploy command, named and located as the command says', async () => {
    const workloads = await inventoryOf([FIXTURE]);
    expect(workloads.map((w) => `${w.platform} ${w.ref.name} ${w.ref.file}:${w.ref.line} ${w.containers[0]?.sources.map((s) => s.file).join(',')}`).sort()).toEqual([
      `cloudrun images ${at('cloudbuild/cloudbuild.yaml')}:11 `,
      `cloudrun web ${at('.github/workflows/deploy.yml')}:16 `,
      `cloudrun worker ${at('.github/workflows/deploy.yml')}:26 `,
      `cloudrun worker-manual ${at('script/deploy.sh')}:4 `,
    ]);
    expect(workloads.map((w) => w.containers[0]?.dockerfile?.file).sort()).toEqual([at('action/Dockerfile'), at('cloudbuild/Dockerfile'), at('script/Dockerfile'), at('script/Dockerfile')]);
  });

  it('takes the settings from the flags, keeps a substitution unknown, and Cloud Run`s defaults for the rest', async () => {
    const workloads = await inventoryOf([FIXTURE]);
    const images = named(workloads, 'images');
    expect(images.containerConcurrency).toEqual({ value: 8, isDefault: false, evidence: { source: 'deploy-command', file: at('cloudbuild/cloudbuild.yaml'), line: 11, field: '--concurrency', text: '--concurrency=8' } });
    expect(images.containers[0]?.env.get('BUCKET')).toMatchObject({ fromRef: true, evidence: { text: '--update-env-vars=BUCKET=${_BUCKET}' } });
    expect(images.timeoutSeconds).toMatchObject({ value: 300, isDefault: true });

    const web = named(workloads, 'web');
    expect(web.containerConcurrency?.value).toBe(80);
    expect(web.containers[0]?.cpu?.value).toBe(2);
    // THREADS comes from the action's env_vars, and gunicorn's --threads $THREADS reads it.
    expect(web.containers[0]?.server?.threads.value).toBe(4);

    const worker = named(workloads, 'worker');
    expect(worker.containerConcurrency).toMatchObject({ value: undefined, unresolved: true, evidence: { text: '--concurrency ${{ vars.CONCURRENCY }}' } });
    expect(worker.timeoutSeconds).toMatchObject({ value: 300, isDefault: false, evidence: { text: '--timeout 5m' } });

    const manual = named(workloads, 'worker-manual');
    expect(manual.containers[0]?.cpu?.value).toBe(1);
    expect(manual.templateAnnotations['run.googleapis.com/cpu-throttling']).toBe('false');
    expect(manual.containers[0]?.env.get('TAGS')?.value).toBe('a,b');
    expect(manual.containerConcurrency).toMatchObject({ value: undefined, evidence: { source: 'default' } });
  });

  it('sees the concurrency the command sets: no mismatch where it matches, none guessed where it is unknown', async () => {
    const report = analyse(await loadPaths([FIXTURE]));
    expect(report.summary.errors).toBe(0);
    // --concurrency=8 against gunicorn's 1 worker × 8 threads.
    expect(mismatch(report.findings, 'images')).toEqual([]);
    expect(mismatch(report.findings, 'worker')).toEqual([]);
    const [web] = mismatch(report.findings, 'web');
    expect(web?.current).toMatchObject({ containerConcurrency: 80, requestSlots: 8 });
    expect(web?.fix?.edits).toMatchObject([{ file: at('.github/workflows/deploy.yml'), line: 22, before: "          flags: '--concurrency=80 --cpu=2'", after: "          flags: '--concurrency=8 --cpu=2'" }]);
    // The step's env_vars input takes GUNICORN_CMD_ARGS (every finding's words in one value), as a line of its own.
    const webTimeout = report.findings.find((f) => f.rule === 'gunicorn.timeout' && f.target.name === 'web');
    expect(webTimeout?.fix?.edits).toMatchObject([{ file: at('.github/workflows/deploy.yml'), line: 21, before: '            THREADS=4', after: '            THREADS=4\n            GUNICORN_CMD_ARGS=--timeout 0 --preload' }]);
    expect(web?.fix?.commands).toBeUndefined();
    const [manual] = mismatch(report.findings, 'worker-manual');
    expect(manual?.fix?.edits).toMatchObject([{ file: at('script/deploy.sh'), line: 4, before: 'gcloud run deploy worker-manual --source . \\', after: 'gcloud run deploy worker-manual --concurrency=4 --source . \\' }]);
    // The command sets its env with --set-env-vars (gcloud takes no --update-env-vars beside it): --preload goes in that list, with its `^;^` delimiter.
    const probe = report.findings.find((f) => f.rule === 'startup.probe-missing' && f.target.name === 'worker-manual');
    expect(probe?.fix?.edits).toMatchObject([{ file: at('script/deploy.sh'), line: 6, after: '  --set-env-vars "^;^MODE=batch;TAGS=a,b;GUNICORN_CMD_ARGS=--preload"' }]);
  });

  it('without the deploy command, the same Dockerfile is assumed to run with Cloud Run`s default concurrency', async () => {
    const report = analyse(await loadPaths([at('cloudbuild/Dockerfile')]));
    const [finding, ...rest] = report.findings.filter((f) => f.rule === 'concurrency.threads-mismatch');
    expect(rest).toEqual([]);
    expect(finding?.current).toMatchObject({ containerConcurrency: 80, requestSlots: 8 });
    expect(finding?.evidence[0]).toMatchObject({ source: 'default', field: 'containerConcurrency, assumed: no manifest' });
    expect(finding?.fix?.commands).toEqual([expect.stringMatching(/^gcloud run services update cloudbuild --concurrency 8$/)]);
  });

  it('the edits hold: applied to the files, the mismatches are gone', async () => {
    const copy = join(tmp, 'repo');
    cpSync(join(root, FIXTURE), copy, { recursive: true });
    const before = analyse(await loadPaths([copy]));
    const fixes = [...mismatch(before.findings, 'web'), ...mismatch(before.findings, 'worker-manual')];
    expect(fixes).toHaveLength(2);
    for (const file of ['.github/workflows/deploy.yml', 'script/deploy.sh']) {
      const path = join(copy, file);
      writeFileSync(path, applySourceEdits(readFileSync(path, 'utf8'), path, fixes.flatMap((f) => f.fix?.edits ?? [])));
    }
    const after = analyse(await loadPaths([copy]));
    expect(after.findings.filter((f) => f.rule === 'concurrency.threads-mismatch')).toEqual([]);
    const web = named(buildInventory(await loadPaths([copy]), []).inventory.workloads, 'web');
    expect(web.containerConcurrency?.value).toBe(8);
  });
});

describe('several findings adding flags to one gcloud run deploy command', () => {
  const FLAGS = 'test/fixtures/gcloud-deploy-flags';
  const tmp = mkdtempSync(join(tmpdir(), 'pytuner-gcloud-flags-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const on = (findings: Finding[], rule: string, name: string) => findings.find((f) => f.rule === rule && f.target.name === name);

  it('writes the flags of every finding in one edit of a one-line Cloud Build args list, carried by the first finding', async () => {
    const { findings } = analyse(await loadPaths([`${FLAGS}/flow`]));
    const mismatch = on(findings, 'concurrency.threads-mismatch', 'hooks');
    const probe = on(findings, 'startup.probe-missing', 'hooks');
    const line = readFileSync(join(root, FLAGS, 'flow/cloudbuild.yaml'), 'utf8').split('\n')[7]!;
    expect(mismatch?.fix?.edits).toEqual([
      { file: `${FLAGS}/flow/cloudbuild.yaml`, line: 8, before: line, after: line.replace("'deploy', ", "'deploy', '--concurrency=4', '--update-env-vars=GUNICORN_CMD_ARGS=--preload', ") },
    ]);
    expect(probe?.fix?.edits).toBeUndefined();
    expect(probe?.fix?.notes).toContain(`its flag on ${FLAGS}/flow/cloudbuild.yaml:8 is written by the fix of concurrency.threads-mismatch, in one edit of the gcloud run deploy command`);
  });

  it('writes every finding’s words of one env var in one flag of the command, and one --fix converges', async () => {
    const { findings } = analyse(await loadPaths([`${FLAGS}/script`]));
    const deploy = `${FLAGS}/script/deploy.sh`;
    expect(on(findings, 'concurrency.threads-mismatch', 'notes')?.fix?.edits).toEqual([
      {
        file: deploy,
        line: 4,
        before: 'gcloud run deploy notes --source . --region us-central1 --allow-unauthenticated',
        // The finding's flags in the order it gives them (concurrency, then the env var, with startup.probe-missing's --preload).
        after: "gcloud run deploy notes --concurrency=2 '--update-env-vars=GUNICORN_CMD_ARGS=--timeout 0 --preload' --source . --region us-central1 --allow-unauthenticated",
      },
    ]);
    const probe = on(findings, 'startup.probe-missing', 'notes');
    expect(probe?.fix?.edits).toBeUndefined();
    expect(probe?.fix?.notes?.filter((n) => n.startsWith('its GUNICORN_CMD_ARGS words are written by the fix of'))).toHaveLength(1);

    const copy = join(tmp, 'flags');
    cpSync(join(root, FLAGS), copy, { recursive: true });
    const before = analyse(await loadPaths([copy]));
    for (const file of ['flow/cloudbuild.yaml', 'script/deploy.sh']) {
      const path = join(copy, file);
      writeFileSync(path, applySourceEdits(readFileSync(path, 'utf8'), path, before.findings.flatMap((f) => f.fix?.edits ?? [])));
    }
    const after = analyse(await loadPaths([copy]));
    expect(after.findings.map((f) => `${f.rule} ${f.target.name}`)).toEqual([]);
  });
});

describe('a gcloud run deploy command that sets its env with --set-env-vars or --env-vars-file', () => {
  const SETENV = 'test/fixtures/gcloud-deploy-setenv';
  const tmp = mkdtempSync(join(tmpdir(), 'pytuner-gcloud-setenv-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const files = ['script/deploy.sh', 'cloudbuild/cloudbuild.yaml', 'workflow/.github/workflows/deploy.yml'];

  it('writes GUNICORN_CMD_ARGS inside the --set-env-vars list (its vars, delimiter and quoting kept), and one --fix converges', async () => {
    const copy = join(tmp, 'setenv');
    cpSync(join(root, SETENV), copy, { recursive: true });
    const before = analyse(await loadPaths(files.map((f) => join(copy, f.split('/')[0]!))));
    for (const file of files) {
      const path = join(copy, file);
      writeFileSync(path, applySourceEdits(readFileSync(path, 'utf8'), path, before.findings.flatMap((f) => f.fix?.edits ?? [])));
    }
    const text = (file: string) => readFileSync(join(copy, file), 'utf8');
    for (const file of files) expect(text(file)).not.toContain('--update-env-vars');
    expect(text('script/deploy.sh')).toContain('--set-env-vars "GUNICORN_CMD_ARGS=--workers 1 --timeout 0 --preload,APP_MODE=prod"');
    expect(text('cloudbuild/cloudbuild.yaml')).toContain('      - --set-env-vars=^@^ALLOWED=a,b@APP_MODE=prod@GUNICORN_CMD_ARGS=--timeout 0 --preload\n');
    expect(text('workflow/.github/workflows/deploy.yml')).toContain("            '--set-env-vars=APP_MODE=prod,LOG_LEVEL=info,GUNICORN_CMD_ARGS=--timeout 0 --preload'\n");
    const loaded = await loadPaths(files.map((f) => join(copy, f.split('/')[0]!)));
    expect(analyse(loaded).findings.map((f) => `${f.rule} ${f.target.name}`)).toEqual([]);
    const env = (name: string) => named(buildInventory(loaded, []).inventory.workloads, name).containers[0]?.env;
    expect(env('ledger')?.get('ALLOWED')?.value).toBe('a,b');
    expect(env('board')?.get('LOG_LEVEL')?.value).toBe('info');
  });

  it('adds no env flag beside --env-vars-file: a note names the file and the value', async () => {
    const { findings } = analyse(await loadPaths([`${SETENV}/file`]));
    const fixes = findings.filter((f) => f.target.name === 'inbox').map((f) => f.fix);
    const after = fixes.flatMap((fix) => fix?.edits ?? []).map((e) => e.after);
    expect(after.join('\n')).not.toMatch(/-env-vars(?!-file)/);
    const notes = fixes.flatMap((fix) => fix?.notes ?? []).filter((n) => n.includes('--env-vars-file'));
    expect(notes.length).toBeGreaterThan(0);
    for (const n of notes) expect(n).toMatch(/^set GUNICORN_CMD_ARGS to `[^`]+` in env\.yaml, the --env-vars-file of the `gcloud run deploy` command at test\/fixtures\/gcloud-deploy-setenv\/file\/deploy\.sh:3/);
  });

  it('names the deploy command, not a manifest, as what sets or overrides the env var', async () => {
    const notes = async (dir: string) => analyse(await loadPaths([`${SETENV}/${dir}`])).findings.flatMap((f) => f.fix?.notes ?? []);
    const script = await notes('script');
    expect(script.join('\n')).not.toContain('manifest');
    expect(script).toContain(`GUNICORN_CMD_ARGS is changed where the gcloud run deploy command sets it (${SETENV}/script/deploy.sh:3)`);
    const image = await notes('image');
    expect(image.join('\n')).not.toContain('manifest');
    expect(image).toContain(`the gcloud run deploy command's env var overrides GUNICORN_CMD_ARGS from the image (${SETENV}/image/Dockerfile:5) for this service only`);
  });

  it('gives one GUNICORN_CMD_ARGS value for every finding where no edit can write it (a deploy-cloudrun step without flags or env_vars)', async () => {
    const { findings } = analyse(await loadPaths([`${SETENV}/action`]));
    const notes = findings.filter((f) => f.target.name === 'ledger').flatMap((f) => f.fix?.notes ?? []);
    const values = notes.filter((n) => n.includes('GUNICORN_CMD_ARGS='));
    expect(values).toEqual([`add \`GUNICORN_CMD_ARGS=--timeout 0 --preload\` to the \`env_vars:\` input of the deploy-cloudrun step at ${SETENV}/action/.github/workflows/deploy.yml:10`]);
    expect(notes).toContain('its GUNICORN_CMD_ARGS words are in the value the fix of gunicorn.timeout says to set, once for all of them');
  });

  it('edits the deploy-cloudrun step`s env_vars input, and one --fix converges', async () => {
    const copy = join(tmp, 'action-env');
    cpSync(join(root, SETENV, 'action-env'), copy, { recursive: true });
    const workflow = join(copy, '.github/workflows/deploy.yml');
    const before = analyse(await loadPaths([copy]));
    writeFileSync(workflow, applySourceEdits(readFileSync(workflow, 'utf8'), workflow, before.findings.flatMap((f) => f.fix?.edits ?? [])));
    expect(readFileSync(workflow, 'utf8')).toContain('          env_vars: |\n            APP_MODE=prod\n            GUNICORN_CMD_ARGS=--workers 1 --timeout 0 --preload\n');
    const after = analyse(await loadPaths([copy]));
    // Only the concurrency stays: the step has no flags input to take --concurrency.
    expect(after.findings.map((f) => f.rule)).toEqual(['concurrency.threads-mismatch']);
  });
});

describe('a Cloud Build config in a subfolder', () => {
  const ROOTED = 'test/fixtures/cloudbuild-root';

  it('builds and deploys from the source root given, not from the config`s folder', async () => {
    const workloads = await inventoryOf([ROOTED]);
    expect(workloads.map((w) => `${w.ref.name} ${w.ref.file}:${w.ref.line} ${w.containers[0]?.dockerfile?.file}`).sort()).toEqual([
      `app ${ROOTED}/ci/deploy.cloudbuild.yaml:13 ${ROOTED}/app/Dockerfile`,
      `worker ${ROOTED}/ci/deploy.cloudbuild.yaml:17 ${ROOTED}/worker/Dockerfile`,
    ]);
    expect(named(workloads, 'app').containerConcurrency?.value).toBe(80);
  });

  it('takes a config given itself as built from the working directory, as `gcloud builds submit --config ci/x.yaml .` does', async () => {
    const loaded = await loadPaths([`${ROOTED}/ci/deploy.cloudbuild.yaml`]);
    expect(loaded.sources.map((s) => [s.file, s.root])).toEqual([[`${ROOTED}/ci/deploy.cloudbuild.yaml`, '.']]);
  });
});

describe('gcloud run services update of a deployed service', () => {
  const UPDATED = 'test/fixtures/gcloud-services-update';
  const tmp = mkdtempSync(join(tmpdir(), 'pytuner-services-update-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads the update`s flags (a script`s, a workflow run: step`s) after the deploy`s, as the service`s settings', async () => {
    const workloads = await inventoryOf([UPDATED]);
    expect(workloads.map((w) => `${w.ref.name} ${w.ref.file}:${w.ref.line} ${w.updatedBy?.map((u) => `${u.file}:${u.line}`).join(',')}`).sort()).toEqual([
      `api ${UPDATED}/deploy.sh:7 ${UPDATED}/deploy.sh:9`,
      `worker ${UPDATED}/.github/workflows/deploy.yml:21 ${UPDATED}/.github/workflows/deploy.yml:24`,
    ]);
    const api = named(workloads, 'api');
    expect(api.containerConcurrency).toMatchObject({ value: 80, evidence: { file: `${UPDATED}/deploy.sh`, line: 9, text: '--concurrency 80' } });
    expect(api.containers[0]?.cpu?.value).toBe(2);
    const worker = named(workloads, 'worker');
    expect(worker.containerConcurrency?.value).toBe(40);
    // The update's --set-env-vars replaces the env the deploy set: GUNICORN_CMD_ARGS is gone, MODE is the update's.
    expect(worker.containers[0]?.env.has('GUNICORN_CMD_ARGS')).toBe(false);
    expect(worker.containers[0]?.env.get('MODE')?.evidence).toMatchObject({ line: 24 });
  });

  it('reads an update with --image of a service no deploy command deploys as its deploy', async () => {
    const dir = join(tmp, 'release');
    cpSync(join(root, UPDATED, 'api'), join(dir, 'app'), { recursive: true });
    writeFileSync(join(dir, 'release.sh'), 'docker build -t gcr.io/acme/app:1 app\ngcloud run services update app --image gcr.io/acme/app:1 --concurrency 80\n');
    const [app, ...rest] = buildInventory(await loadPaths([dir]), []).inventory.workloads;
    expect(rest).toEqual([]);
    expect(app).toMatchObject({ ref: { name: 'app', line: 2 }, containerConcurrency: { value: 80 }, assumed: { why: expect.stringContaining('deployed by `gcloud run services update app`') } });
  });

  it('writes each flag in the command that decides it, and one --fix makes the findings go away', async () => {
    const copy = join(tmp, 'repo');
    cpSync(join(root, UPDATED), copy, { recursive: true });
    const before = analyse(await loadPaths([copy]));
    const edits = before.findings.flatMap((f) => f.fix?.edits ?? []);
    const script = join(copy, 'deploy.sh');
    // --concurrency is the update's (line 10); GUNICORN_CMD_ARGS, which no command sets, goes to the deploy (line 7).
    expect(edits.filter((e) => e.file === script).map((e) => [e.line, e.after])).toEqual([
      [10, '  --concurrency 16 \\'],
      [7, 'gcloud run deploy api --update-env-vars=GUNICORN_CMD_ARGS=--preload --source api --region "$REGION" --allow-unauthenticated'],
    ]);
    // The worker's env var goes into the update's --set-env-vars, which would drop it from the deploy's.
    const workflow = join(copy, '.github/workflows/deploy.yml');
    expect(edits.filter((e) => e.file === workflow).map((e) => [e.line, e.after])).toEqual([[25, "            --concurrency=4 '--set-env-vars=MODE=batch,GUNICORN_CMD_ARGS=--timeout 0 --preload'"]]);
    for (const file of new Set(edits.map((e) => e.file))) writeFileSync(file, applySourceEdits(readFileSync(file, 'utf8'), file, edits));
    expect(analyse(await loadPaths([copy])).findings).toEqual([]);
  });
});
