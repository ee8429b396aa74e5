import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportDocumentSchema } from '../../src/output/reportSchema.ts';
import { RULES } from '../../src/rules/index.ts';
import { METRIC_FINDINGS } from '../../src/recommender/catalogue.ts';
import { BIN, pytuner, ROOT } from './run.ts';

const CLEAN_SERVICE = join(ROOT, 'examples/cloudrun-clean/service.yaml');
const CHECKOUT = 'examples/cloudrun-checkout';

let work: string;

/** A directory under the test's temp dir holding the given files (text, or bytes). */
function directory(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

function json(stdout: string) {
  return reportDocumentSchema.parse(JSON.parse(stdout));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pytuner-cli-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('pytuner report', () => {
  it('joins a Dockerfile named by --source to the workload running that image, and reads nothing else there', () => {
    const run = pytuner(['report', '-f', 'examples/knative-orders', '--source', `ghcr.io/example-shop/orders=${CHECKOUT}/Dockerfile`, '-o', 'json']);
    expect(run.status).toBe(0);
    const report = json(run.stdout);
    const slim = report.findings.filter((f) => f.rule === 'image.slim-base');
    expect(slim.map((f) => f.target.file)).toEqual([`${CHECKOUT}/Dockerfile`]);
    // The checkout service.yaml beside that Dockerfile is not pulled into the report.
    expect(report.findings.every((f) => f.target.name !== 'checkout')).toBe(true);
    expect(report.summary.workloads).toBe(1);
  });

  it('joins a source directory to the one workload of its name (server/Procfile, a Service named server deployed from elsewhere), and not when the name is shared', () => {
    const service = (name: string) =>
      `apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  template:\n    spec:\n      containers:\n      - image: europe-docker.pkg.dev/p/containers/${name}\n`;
    const root = directory('join-by-name', {});
    for (const dir of ['deploy', 'server', 'worker', 'jobs/worker']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'deploy/services.yaml'), `${service('server')}---\n${service('worker')}`);
    writeFileSync(join(root, 'server/Procfile'), 'web: gunicorn --bind :$PORT --workers 1 main:app\n');
    // Two directories named worker: which one the Service runs is not known, so neither is joined.
    for (const dir of ['worker', 'jobs/worker']) writeFileSync(join(root, dir, 'Procfile'), 'web: gunicorn --bind :$PORT --workers 1 main:app\n');
    const report = json(pytuner(['report', root, '-o', 'json', '--platform', 'knative']).stdout);
    const onServer = report.findings.filter((f) => f.target.name === 'server' && f.target.kind === 'Service');
    expect(onServer.map((f) => f.rule)).toContain('concurrency.unbounded');
    expect(onServer.every((f) => f.target.file === join(root, 'deploy/services.yaml'))).toBe(true);
    expect(onServer.find((f) => f.rule === 'concurrency.unbounded')?.evidence.some((e) => e.file === join(root, 'server/Procfile'))).toBe(true);
    // The two worker Procfiles stay sources of their own (assumed services named after their directories), none
    // joined to the manifest's worker.
    const manifestWorker = report.findings.filter((f) => f.target.name === 'worker' && f.target.file === join(root, 'deploy/services.yaml'));
    expect(manifestWorker).toEqual([]);
  });

  it('joins a GKE Deployment to the Dockerfile a Cloud Build config in a sibling directory builds its image from, and assumes no Cloud Run source deploy', () => {
    // Modelled on kubernetes-engine-samples ai-ml/t5-model-serving: client-app/cloudbuild.yaml builds
    // .../${PROJECT_ID}/models/fastdash:latest from client-app/, and kubernetes/application.yaml runs .../PROJECT_ID/....
    const fixture = 'test/fixtures/build-join';
    const run = pytuner(['report', fixture, '-o', 'json']);
    expect(run.status).toBe(0);
    const report = json(run.stdout);
    expect(report.summary.workloads).toBe(1);
    expect(report.summary.skippedFiles).toEqual({});
    expect(report.findings.every((f) => f.target.kind === 'Deployment' && f.target.name === 'fastdash')).toBe(true);
    const rules = report.findings.map((f) => f.rule);
    expect(rules).toContain('gunicorn.workers-vs-cpu');
    // The server command comes from the Dockerfile's CMD.
    const probe = report.findings.find((f) => f.rule === 'startup.probe-missing');
    expect(probe?.evidence).toContainEqual(expect.objectContaining({ source: 'Dockerfile', file: `${fixture}/client-app/Dockerfile`, line: 8, field: 'CMD' }));
  });

  it('reports a valid directory as a table and exits 0 without --fail-on', () => {
    const run = pytuner(['report', '-f', CHECKOUT]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^SEVERITY {2}RULE/);
    expect(run.stdout).toContain('Service 123456789012/checkout');
    expect(run.stdout).toMatch(/\nRead 2 files: 1 object, 1 workload\.\n/);
  });

  it('takes paths as arguments as linters do: `report DIR FILE` reads what `-f DIR -f FILE` reads', () => {
    const positional = pytuner(['report', 'examples/knative-orders', CLEAN_SERVICE, '-o', 'json']);
    const flagged = pytuner(['report', '-f', 'examples/knative-orders', '-f', CLEAN_SERVICE, '-o', 'json']);
    expect(positional.stderr).toBe('');
    expect(positional.status).toBe(flagged.status);
    expect(json(positional.stdout).summary.workloads).toBe(2);
    expect(positional.stdout).toBe(flagged.stdout);
  });

  it('says "No findings." for a well-tuned service', () => {
    const run = pytuner(['report', '-f', 'examples/cloudrun-clean']);
    expect(run.status).toBe(0);
    expect(run.stdout.startsWith('No findings.\n')).toBe(true);
  });

  it('exits 2 on malformed YAML, names the file and line, and still reports the other files', () => {
    const dir = directory('malformed', {
      'bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indentation\n',
    });
    copyFileSync(CLEAN_SERVICE, join(dir, 'good.yaml'));
    const run = pytuner(['report', '-f', dir, '-o', 'json']);
    expect(run.status).toBe(2);
    // The parser marks where the broken node starts: `name: x`, whose value runs on into the over-indented line 5.
    expect(run.stderr).toMatch(new RegExp(`^pytuner: ${dir}/bad\\.yaml:4: `));
    const report = json(run.stdout);
    expect(report.errors.map((e) => [e.file, e.line])).toEqual([[`${dir}/bad.yaml`, 4]]);
    expect(report.summary.workloads).toBe(1);
  });

  it('counts an empty file found in a directory as skipped (exit 0), and reports one named explicitly as an input error (exit 2)', () => {
    const dir = directory('empty', { 'empty.yaml': '' });
    copyFileSync(CLEAN_SERVICE, join(dir, 'good.yaml'));
    const walked = pytuner(['report', '-f', dir, '-o', 'json']);
    expect(walked.stderr).toBe('');
    expect(walked.status).toBe(0);
    expect(json(walked.stdout).summary).toMatchObject({ files: 2, workloads: 1, errors: 0, skippedFiles: { empty: 1 } });
    const named = pytuner(['report', '-f', join(dir, 'empty.yaml'), '-f', join(dir, 'good.yaml'), '-o', 'json']);
    expect(named.status).toBe(2);
    expect(named.stderr).toBe(`pytuner: ${dir}/empty.yaml: empty file: no documents\n`);
    expect(json(named.stdout).summary).toMatchObject({ files: 2, workloads: 1, errors: 1 });
  });

  it.each(['table', 'markdown', 'json'])('prints an input error once on a terminal (-o %s), where stdout and stderr are the same screen', (format) => {
    const dir = directory(`tty-${format}`, { 'bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n' });
    // `script` runs the CLI on a pseudo-terminal, as a person's shell does: stdout.isTTY is true.
    const command = [process.execPath, BIN, 'report', '-f', join(dir, 'bad.yaml'), '-o', format].map((word) => `'${word}'`).join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
    expect(run.status).toBe(2);
    expect(run.stdout.split('bad.yaml').length - 1).toBe(1);
  });

  it('exits 2 on a binary file and says what it is', () => {
    const dir = directory('binary', { 'image.yaml': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff]) });
    const run = pytuner(['report', '-f', join(dir, 'image.yaml')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`pytuner: ${dir}/image.yaml: binary file, not YAML\n`);
    expect(run.stdout).toContain(`Input errors (these files or objects were not analysed):\n  ${dir}/image.yaml: binary file, not YAML\n`);
  });

  it('exits 2 on a path that does not exist, and reports the paths that do', () => {
    const run = pytuner(['report', '-f', 'examples/cloudrun-clean', '-f', 'no/such/file.yaml', '-o', 'json']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('pytuner: no/such/file.yaml: cannot read: no such file or directory\n');
    expect(json(run.stdout).summary.workloads).toBe(1);
  });

  it('reads YAML from stdin with -f -', () => {
    const run = pytuner(['report', '-f', '-', '-o', 'json'], { input: readFileSync(join(ROOT, CHECKOUT, 'service.yaml'), 'utf8') });
    expect(run.status).toBe(0);
    const report = json(run.stdout);
    expect(report.summary.workloads).toBe(1);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(new Set(report.findings.map((f) => f.target.file))).toEqual(new Set(['-']));
  });

  it('exits 1 when a finding meets --fail-on, 0 when none does', () => {
    const findings = json(pytuner(['report', '-f', CHECKOUT, '-o', 'json']).stdout).summary.findings;
    expect(findings.warning + findings.critical).toBeGreaterThan(0);
    expect(pytuner(['report', '-f', CHECKOUT, '--fail-on', 'warning']).status).toBe(1);
    expect(pytuner(['report', '-f', CHECKOUT, '--fail-on', 'critical']).status).toBe(findings.critical > 0 ? 1 : 0);
    expect(pytuner(['report', '-f', 'examples/cloudrun-clean', '--fail-on', 'info']).status).toBe(0);
  });

  it('exits 2, not 1, when an input is unreadable and a finding meets --fail-on', () => {
    expect(pytuner(['report', '-f', CHECKOUT, '-f', 'missing.yaml', '--fail-on', 'info']).status).toBe(2);
  });

  it('writes JSON with version 1 that the documented schema accepts', () => {
    const run = pytuner(['report', '-f', 'examples', '-o', 'json']);
    const report = json(run.stdout);
    expect(report.version).toBe(1);
    expect(run.stdout.endsWith('}\n')).toBe(true);
  });

  it('writes SARIF and Markdown', () => {
    const sarif = JSON.parse(pytuner(['report', '-f', CHECKOUT, '-o', 'sarif', '--docs-base-url', 'https://example.com/rules']).stdout);
    expect(sarif.version).toBe('2.1.0');
    // Static rules and the metrics.* findings both describe themselves, so a viewer can show any result's rule.
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id).sort()).toEqual([...RULES, ...METRIC_FINDINGS].map((r) => r.id).sort());
    expect(sarif.runs[0].tool.driver.rules[0].helpUri).toMatch(/^https:\/\/example\.com\/rules\/[^/]+\.md$/);
    expect(pytuner(['report', '-f', CHECKOUT, '-o', 'markdown']).stdout.startsWith('## pytuner report\n')).toBe(true);
  });

  it('writes --emit-patches files into a new directory and says so on stderr', () => {
    const out = join(work, 'patches', 'nested');
    const run = pytuner(['report', '-f', CHECKOUT, '--emit-patches', out]);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^pytuner: wrote \\d+ files to ${out} \\(see ${out}/README.txt\\)\n$`));
    expect(readFileSync(join(out, 'README.txt'), 'utf8')).toContain('Fixes written by `pytuner report --emit-patches`.');
    expect(existsSync(join(out, '123456789012/service-checkout.patch.json'))).toBe(true);
  });

  it('exits 3 when the patches directory cannot be written', () => {
    const blocker = join(work, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const run = pytuner(['report', '-f', CHECKOUT, '--emit-patches', join(blocker, 'sub')]);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^pytuner: cannot write the patches to ${blocker}/sub: `));
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('usage errors exit 2 with a message on stderr and no stack trace', () => {
  it.each([
    [['report', '-f', CHECKOUT, '--bogus'], "pytuner: error: unknown option '--bogus'"],
    [['report', '-f', CHECKOUT, '-o', 'yaml'], "pytuner: error: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are table, json, markdown, sarif, html."],
    [['report', '-f', CHECKOUT, '--fail-on', 'high'], "pytuner: error: option '--fail-on <severity>' argument 'high' is invalid. Allowed choices are info, warning, critical."],
    [['report', '-f', CHECKOUT, '--source', 'api'], "pytuner: error: option '--source <image-or-name=path>' argument 'api' is invalid. expected IMAGE_OR_NAME=PATH"],
    [['report'], "pytuner: error: required option '-f, --file <path...>' not specified"],
    [['reprot'], "pytuner: error: unknown command 'reprot'\n(Did you mean report?)"],
  ])('pytuner %j', (args, message) => {
    const run = pytuner(args);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.startsWith(message)).toBe(true);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints the help on stderr and exits 2 when no command is given', () => {
    const run = pytuner([]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Usage: pytuner [options] [command]');
  });
});

describe('pytuner rules, explain, --help, --version', () => {
  it('lists every rule with its severity and summary', () => {
    const run = pytuner(['rules']);
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +SEVERITY +SUMMARY$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual([...RULES, ...METRIC_FINDINGS].map((r) => r.id));
  });

  it('explains a metrics finding by printing its doc page', () => {
    const id = METRIC_FINDINGS[0]?.id as string;
    const run = pytuner(['explain', id]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(readFileSync(join(ROOT, 'docs/rules', `${id}.md`), 'utf8'));
  });

  it('lists the rules as JSON', () => {
    const doc = JSON.parse(pytuner(['rules', '-o', 'json']).stdout);
    expect(doc.version).toBe(1);
    expect(doc.rules[0]).toEqual({ id: RULES[0]?.id, severity: RULES[0]?.severity, summary: RULES[0]?.summary, docs: `docs/rules/${RULES[0]?.id}.md` });
  });

  it('explains a rule by printing its doc page', () => {
    const id = RULES[0]?.id as string;
    const run = pytuner(['explain', id]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(readFileSync(join(ROOT, 'docs/rules', `${id}.md`), 'utf8'));
  });

  it('explains from any working directory (the docs are found from the installed package)', () => {
    const id = RULES[0]?.id as string;
    expect(pytuner(['explain', id], { cwd: work }).status).toBe(0);
  });

  it('suggests close rule ids for an unknown one and exits 2', () => {
    const id = RULES[0]?.id as string;
    const run = pytuner(['explain', id.slice(0, -1)]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`pytuner: unknown rule "${id.slice(0, -1)}". Did you mean: ${id}`);
    expect(run.stderr).toContain('run `pytuner rules` to list every rule');
  });

  it('prints help with examples and exit codes on stdout, exit 0', () => {
    const run = pytuner(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Examples:\n  # every manifest, Dockerfile, Procfile and gunicorn.conf.py under k8s/ (-f is optional)\n  pytuner report k8s/\n');
    expect(run.stdout).toContain('Exit codes:\n  0  report written; no finding at or above --fail-on\n');
    const report = pytuner(['report', '--help']);
    expect(report.status).toBe(0);
    expect(report.stdout).toContain('--fail-on <severity>');
  });

  it('prints the package version', () => {
    const run = pytuner(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
  });
});

describe('colour', () => {
  it('colours the table only when FORCE_COLOR asks (stdout is a pipe here)', () => {
    expect(pytuner(['report', '-f', CHECKOUT]).stdout).not.toContain('\u001b[');
    expect(pytuner(['report', '-f', CHECKOUT], { env: { FORCE_COLOR: '1' } }).stdout).toContain('\u001b[');
    expect(pytuner(['report', '-f', CHECKOUT, '-o', 'json'], { env: { FORCE_COLOR: '1' } }).stdout).not.toContain('\u001b[');
  });
});
