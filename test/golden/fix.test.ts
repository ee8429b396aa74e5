/**
 * `pytuner report --fix` through the built binary. Golden cases (test/golden/fix/<case>/): `input/` is copied to a
 * temporary directory, fixed there, and every file must then equal, byte for byte, `expected/<file>` when the fix
 * changes it or `input/<file>` when it must not (the expected files were written by hand). Then the shipped
 * examples are fixed and reported again: what comes back is a fix of pytuner's that does not hold.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pytuner, ROOT } from '../cli/run.ts';

const CASES = join(import.meta.dirname, 'fix');
const temporary: string[] = [];

function copyToTemp(from: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pytuner-fix-'));
  temporary.push(dir);
  cpSync(from, dir, { recursive: true });
  return dir;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What each case must say on stderr besides the files it fixed (hand-written). */
const STDERR: Record<string, string[]> = {
  anchors: [
    'not fixed: Deployment analytics/billing (aliased.yaml:1) (gunicorn.workers-vs-cpu): replace /spec/template/spec/containers/0/command/4: the path goes through the node anchored &command, which an alias also uses; edit it by hand',
    'fixed 1 finding in 1 file: deployment.yaml',
  ],
  comments: ['fixed 1 finding in 1 file: service.yaml'],
  // gunicorn.timeout and startup.heavy-init both write GUNICORN_CMD_ARGS: the solver makes it one value for both, and
  // the count includes the finding whose env change the other's write carries.
  'combined-args': ['fixed 3 findings in 1 file: service.yaml'],
  crlf: ['fixed 2 findings in 2 files: bom.yaml, service.yaml'],
  // Two flags rewritten inside one GUNICORN_CMD_ARGS (--workers, --timeout), in a manifest and, with --preload
  // appended, in the --update-env-vars of a gcloud run deploy command: one value each, holding every change.
  'env-options': ['fixed 8 findings in 2 files: manifest/service.yaml, source/deploy.sh'],
  flow: ['fixed 1 finding in 1 file: service.yaml'],
  json: ['fixed 2 findings in 2 files: list.json, service.json'],
  list: ['fixed 1 finding in 1 file: list.yaml'],
  multidoc: ['fixed 1 finding in 1 file: services.yaml'],
  // Two flags of one `sh -c` string, two flags of one CMD line, version and variant of one FROM line: each one edit,
  // carried by one finding; the count is of findings fixed, the three whose change a carrier writes included.
  'one-string': [
    'not fixable in place: profiler.iam-role on Service shop/worker (worker/service.yaml:1): its fix creates objects (see --emit-patches)',
    'fixed 7 findings in 2 files: api/service.yaml, worker/Dockerfile',
  ],
  'shared-image': [
    'not fixed: gunicorn.workers-vs-cpu and gunicorn.workers-vs-cpu on Service shop/a (a.yaml:2) and Service shop/b (b.yaml:2) change api/Dockerfile:2 differently; apply one by hand, then run pytuner again',
    'nothing fixed',
  ],
  // gunicorn.workers-vs-cpu raises workers from 1, which makes startup.heavy-init true: its --preload comes along.
  'workers-raise': ['fixed 2 findings in 1 file: service.yaml'],
  // Attributes of two Terraform resources edited in place: an attribute added, list elements replaced, an env block added.
  terraform: ['fixed 4 findings in 1 file: main.tf'],
  sources: [
    'fixed 5 findings in 5 files: catalog/service.yaml, checkout/service.yaml, catalog/gunicorn.conf.py, checkout/Dockerfile, images/Dockerfile',
    // A Dockerfile no manifest claims, on no $PORT: its image rules ran, the workload rules could not.
    'note: images/Dockerfile: only its image was checked: it starts Flask\'s development server, but no manifest claims it and its command does not serve on $PORT, so where it runs is not known; give its manifest too, or --platform cloudrun, knative or kubernetes',
  ],
};

describe('report --fix golden cases', () => {
  const cases = readdirSync(CASES).sort();

  it('has a stderr expectation for every case', () => {
    expect(cases).toEqual(Object.keys(STDERR).sort());
  });

  it.each(cases)('%s', (name) => {
    const input = join(CASES, name, 'input');
    const expectedDir = join(CASES, name, 'expected');
    const changed = new Set(filesUnder(expectedDir));
    const dir = copyToTemp(input);
    const run = pytuner(['report', '-f', '.', '--fix', '-o', 'json'], { cwd: dir });
    expect(run.status).toBe(0);
    const said = run.stderr.split('\n').filter((line) => line !== '');
    expect(said.map((line) => line.replace(/^pytuner: (--fix: )?/, ''))).toEqual(expect.arrayContaining(STDERR[name] ?? []));
    expect(said.every((line) => line.startsWith('pytuner: --fix: ') || (STDERR[name] ?? []).includes(line.replace(/^pytuner: /, '')))).toBe(true);
    expect(filesUnder(dir)).toEqual(filesUnder(input));
    for (const file of filesUnder(input)) {
      const want = readFileSync(join(changed.has(file) ? expectedDir : input, file));
      // Byte-for-byte: line ends, a missing final newline and quoting count.
      expect(readFileSync(join(dir, file)).toString('latin1'), file).toBe(want.toString('latin1'));
      if (changed.has(file)) expect(want.equals(readFileSync(join(input, file))), `${file}: expected/ must differ from input/`).toBe(false);
    }
  });

  it('leaves a file alone when nothing in it needs fixing (a second run writes nothing for the clean cases)', () => {
    const dir = copyToTemp(join(CASES, 'comments', 'expected'));
    const run = pytuner(['report', '-f', '.', '--fix'], { cwd: dir });
    expect(run.stderr).toBe('pytuner: --fix: nothing fixed\n');
    expect(readFileSync(join(dir, 'service.yaml'), 'utf8')).toBe(readFileSync(join(CASES, 'comments', 'expected', 'service.yaml'), 'utf8'));
  });

  // Cases whose fixes compose (one string edited by two findings, a fix that makes another rule true): applied once,
  // a second --fix has nothing left to do.
  it.each(['env-options', 'one-string', 'workers-raise'])('%s: a second --fix fixes nothing', (name) => {
    const dir = copyToTemp(join(CASES, name, 'input'));
    expect(pytuner(['report', '-f', '.', '--fix'], { cwd: dir }).status).toBe(0);
    const again = pytuner(['report', '-f', '.', '--fix'], { cwd: dir });
    expect(again.stderr.split('\n')).toContain('pytuner: --fix: nothing fixed');
  });

  it('refuses stdin and --emit-patches', () => {
    const stdin = pytuner(['report', '-f', '-', '--fix'], { input: 'kind: Service\n' });
    expect(stdin.status).toBe(2);
    expect(stdin.stderr).toContain('--fix edits files in place');
    const both = pytuner(['report', '-f', 'examples', '--fix', '--emit-patches', tmpdir()]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--fix and --emit-patches do not go together');
  });
});

/**
 * Fixes of pytuner's own that a second report finds again: every one is a bug in the fixes (two rules' fixes that
 * contradict, or a fix that makes another rule fire), which the per-workload solver is meant to remove. The list is
 * exact: the test fails when one disappears (remove it here) or a new one appears.
 */
const KNOWN_OFFENDERS: string[] = [];

interface JsonFinding {
  rule: string;
  target: { file: string };
  patch: unknown[] | null;
  fix: { edits: unknown[] } | null;
}

describe('report --fix on examples/', () => {
  it('fixes in place; a second report finds only the known offenders; files it did not write are byte-identical', () => {
    const dir = copyToTemp(join(ROOT, 'examples'));
    const before = new Map(filesUnder(dir).map((file) => [file, readFileSync(join(dir, file))]));
    const fixed = pytuner(['report', '-f', '.', '--fix', '-o', 'json'], { cwd: dir });
    expect(fixed.status).toBe(0);
    const summary = /fixed (\d+) findings in (\d+) files: (.*)$/m.exec(fixed.stderr);
    expect(summary, fixed.stderr).not.toBeNull();
    const written = new Set((summary?.[3] ?? '').split(', '));
    // git diff --stat: exactly the files --fix says it wrote differ from the originals, nothing else.
    const differing = [...before].filter(([file, bytes]) => !bytes.equals(readFileSync(join(dir, file)))).map(([file]) => file);
    expect(differing.sort()).toEqual([...written].sort());
    expect(filesUnder(dir)).toEqual([...before.keys()]);

    const after = pytuner(['report', '-f', '.', '-o', 'json'], { cwd: dir });
    const findings = (JSON.parse(after.stdout) as { findings: JsonFinding[] }).findings;
    // The report printed by --fix is the report of the fixed files, like a linter's.
    expect(JSON.parse(fixed.stdout)).toEqual(JSON.parse(after.stdout));
    const fixable = findings.filter((f) => (f.patch?.length ?? 0) > 0 || (f.fix?.edits.length ?? 0) > 0).map((f) => `${f.rule} ${f.target.file}`);
    expect(fixable.sort()).toEqual(KNOWN_OFFENDERS.map((o) => o.replace(' examples/', ' ')).sort());
  });
});
