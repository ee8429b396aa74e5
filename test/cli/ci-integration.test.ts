// The CI definitions run as their hosts would run them: action.yml's pytuner steps (parsed with the YAML library,
// their `run:` scripts executed by bash with the step's env and the action's input defaults) on examples/, and the
// pre-commit hook's entry with the file names pre-commit would pass. The SARIF file must come out and hold what
// GitHub code scanning requires of an upload.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BIN, ROOT } from './run.ts';

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  runs: { using: string; steps: Step[] };
}

const action = load(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Action;

/** What GitHub code scanning requires of a SARIF upload (docs: "SARIF support for code scanning"). */
const uploadable = z.object({
  version: z.literal('2.1.0'),
  runs: z
    .array(
      z.object({
        tool: z.object({ driver: z.object({ name: z.string().min(1), rules: z.array(z.object({ id: z.string().min(1) })) }) }),
        results: z.array(
          z.object({
            ruleId: z.string().min(1),
            message: z.object({ text: z.string().min(1) }),
            locations: z
              .array(z.object({ physicalLocation: z.object({ artifactLocation: z.object({ uri: z.string().min(1) }), region: z.object({ startLine: z.number().int().min(1) }).optional() }) }))
              .min(1),
          }),
        ),
      }),
    )
    .length(1),
});

/** `${{ inputs.x }}` and `${{ runner.temp }}` as the runner would fill them; any other expression is a test failure. */
function expand(text: string, inputs: Record<string, string>, temp: string): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    if (expression === 'runner.temp') return temp;
    const input = /^inputs\.([\w-]+)$/.exec(expression)?.[1];
    if (input === undefined || !(input in inputs)) throw new Error(`action.yml: a pytuner step uses \${{ ${expression} }}, which this test does not provide`);
    return inputs[input] as string;
  });
}

describe('action.yml', () => {
  let temp: string;
  beforeAll(() => {
    temp = mkdtempSync(join(tmpdir(), 'pytuner-action-'));
  });
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  /** Runs every step whose script runs pytuner, in order, with `with` over the input defaults; returns GITHUB_OUTPUT. */
  function runPytunerSteps(withInputs: Record<string, string>): { output: string; stderr: string } {
    const inputs = { ...Object.fromEntries(Object.entries(action.inputs).map(([name, input]) => [name, input.default ?? ''])), 'github-token': 'unused', ...withInputs };
    const githubOutput = join(temp, `output-${Math.random().toString(36).slice(2)}`);
    let stderr = '';
    for (const step of action.runs.steps.filter((s) => s.run?.includes('dist/cli/main.js" report') === true)) {
      expect(step.shell).toBe('bash');
      const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v, inputs, temp)]));
      // GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`.
      const run = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run as string], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, ...env, GITHUB_ACTION_PATH: ROOT, GITHUB_OUTPUT: githubOutput, RUNNER_TEMP: temp, NO_COLOR: '1' },
        timeout: 30_000,
      });
      expect(run.status, `${step.name}: ${run.stderr}`).toBe(0);
      stderr += run.stderr;
    }
    return { output: existsSync(githubOutput) ? readFileSync(githubOutput, 'utf8') : '', stderr };
  }

  it('is a composite action that uploads the SARIF file it writes', () => {
    expect(action.runs.using).toBe('composite');
    const upload = action.runs.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@') === true);
    expect(upload?.with?.['sarif_file']).toBe('${{ inputs.sarif-file }}');
    const report = action.runs.steps.find((s) => s.id === 'report');
    expect(report?.env?.['PYTUNER_SARIF']).toBe('${{ inputs.sarif-file }}');
  });

  it('writes a SARIF file code scanning accepts, for the examples, and records the exit code', () => {
    const sarif = join(temp, 'examples.sarif');
    const { output, stderr } = runPytunerSteps({ paths: 'examples', 'sarif-file': sarif, 'fail-on': 'critical' });
    // No errors; the examples' one note (a Dockerfile no manifest claims), once from each pytuner step.
    const note = 'pytuner: note: examples/images/alpine-profiler/Dockerfile: only its image was checked: it starts gunicorn, but no manifest claims it and its command does not serve on $PORT, so where it runs is not known; give its manifest too, or --platform cloudrun, knative or kubernetes\n';
    expect(stderr).toBe(note + note);
    const log = uploadable.parse(JSON.parse(readFileSync(sarif, 'utf8')));
    const [run] = log.runs;
    expect(run!.tool.driver.name).toBe('pytuner');
    expect(run!.results.length).toBeGreaterThanOrEqual(10);
    const rules = new Set(run!.tool.driver.rules.map((r) => r.id));
    expect(run!.results.every((r) => rules.has(r.ruleId))).toBe(true);
    expect(new Set(run!.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri.split('/')[0]))).toEqual(new Set(['examples']));
    // The examples have critical findings: with fail-on critical the report says 1, and the last step exits with it.
    expect(output).toBe('exit-code=1\n');
  });

  it('records 0 without fail-on, and writes the Markdown comment on a pull request', () => {
    const sarif = join(temp, 'clean.sarif');
    const { output } = runPytunerSteps({ paths: 'examples/cloudrun-clean examples/gke-search-wif', 'sarif-file': sarif });
    expect(output).toBe('exit-code=0\n');
    expect(uploadable.parse(JSON.parse(readFileSync(sarif, 'utf8'))).runs[0]!.results).toEqual([]);
    const comment = readFileSync(join(temp, 'pytuner-comment.md'), 'utf8');
    expect(comment.startsWith('## pytuner report\n')).toBe(true);
    expect(comment).toContain('No findings.');
  });
});

describe('.pre-commit-hooks.yaml', () => {
  const [hook] = load(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as { id: string; entry: string; files: string; language: string }[];
  const tracked = (dir: string) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .map((f) => relative(ROOT, join(ROOT, dir, f)))
      .filter((f) => new RegExp(hook!.files).test(f))
      .sort();

  /** pre-commit runs `entry` split on spaces, with the matching staged file names appended. */
  function runHook(files: string[]) {
    const [command, ...args] = hook!.entry.split(' ');
    expect(command).toBe('pytuner');
    return spawnSync(process.execPath, [BIN, ...args, ...files], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
  }

  it('selects manifests, Dockerfiles, Procfiles and gunicorn.conf.py', () => {
    expect(hook!.id).toBe('pytuner');
    expect(hook!.language).toBe('node');
    expect(tracked('examples/buildpacks-catalog')).toEqual(['examples/buildpacks-catalog/Procfile', 'examples/buildpacks-catalog/gunicorn.conf.py', 'examples/buildpacks-catalog/service.yaml']);
    expect(tracked('examples/cloudrun-checkout')).toEqual(['examples/cloudrun-checkout/Dockerfile', 'examples/cloudrun-checkout/service.yaml']);
  });

  it('fails a commit of the examples (critical findings) and passes the clean ones', () => {
    const all = runHook(tracked('examples'));
    expect(all.status).toBe(1);
    expect(all.stdout).toContain('profiler.iam-role');
    const clean = runHook([...tracked('examples/cloudrun-clean'), ...tracked('examples/gke-search-wif')]);
    expect(clean.stderr).toBe('');
    expect(clean.status).toBe(0);
  });
});
