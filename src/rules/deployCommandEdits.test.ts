import { describe, expect, it } from 'vitest';
import type { RunDeployCommand } from '../parse/gcloudRunDeploy.ts';
import type { DeployFlagChange } from './deployCommandEdits.ts';
import { deployCommandEdits as withFlags } from './deployCommandEdits.ts';

/** The edits as text: what they write; their flags' spans are checked on their own. */
function deployCommandEdits(deploy: RunDeployCommand, changes: DeployFlagChange[]) {
  const { edits, notes } = withFlags(deploy, changes);
  return { edits: edits.map(({ flags: _flags, ...edit }) => edit), notes };
}

function command(file: string, first: number, ...texts: string[]): RunDeployCommand {
  return { file, line: first, field: 'f', settings: { env: [] }, lines: texts.map((text, i) => ({ line: first + i, text })) };
}

describe('deployCommandEdits', () => {
  it('replaces a flag`s value where it is written, in either form', () => {
    const deploy = command('cloudbuild.yaml', 3, '    args:', '      - run', '      - deploy', '      - api', '      - --concurrency=80', '      - --timeout', '      - "300"');
    expect(deployCommandEdits(deploy, [{ name: '--concurrency', value: '8' }])).toEqual({
      edits: [{ file: 'cloudbuild.yaml', line: 7, before: '      - --concurrency=80', after: '      - --concurrency=8' }],
      notes: [],
    });
    // `--timeout` is written with its value on the next item: not replaced, and not added twice.
    expect(deployCommandEdits(deploy, [{ name: '--timeout', value: '60' }])).toEqual({ edits: [], notes: ['add `--timeout=60` to the `gcloud run deploy` command at cloudbuild.yaml:3'] });
  });

  it('adds a missing flag as the next list item after `deploy`, quoted when YAML needs it, one edit per line', () => {
    const deploy = command('cloudbuild.yaml', 3, '    args:', '      - run', "      - 'deploy'", '      - api');
    const { edits, notes } = deployCommandEdits(deploy, [
      { name: '--concurrency', value: '8' },
      { name: '--update-env-vars', value: 'GUNICORN_CMD_ARGS=--timeout 0' },
    ]);
    expect(notes).toEqual([]);
    expect(edits).toEqual([{ file: 'cloudbuild.yaml', line: 5, before: "      - 'deploy'", after: "      - 'deploy'\n      - --concurrency=8\n      - \"--update-env-vars=GUNICORN_CMD_ARGS=--timeout 0\"" }]);
  });

  it('adds a flag to a flow list and to shell text after the service name, in the order given, shell-quoted when needed', () => {
    const flow = command('cloudbuild.yaml', 4, '    args: ["run", "deploy", "api", "--image=i"]');
    expect(deployCommandEdits(flow, [{ name: '--cpu', value: '2' }]).edits).toEqual([{ file: 'cloudbuild.yaml', line: 4, before: flow.lines?.[0]?.text, after: '    args: ["run", "deploy", "--cpu=2", "api", "--image=i"]' }]);
    const shell = command('deploy.sh', 7, 'gcloud run deploy api --source . \\', '  --region us-central1');
    expect(deployCommandEdits(shell, [{ name: '--update-env-vars', value: "A=it's" }, { name: '--no-cpu-throttling' }]).edits).toEqual([
      { file: 'deploy.sh', line: 7, before: 'gcloud run deploy api --source . \\', after: `gcloud run deploy api '--update-env-vars=A=it'"'"'s' --no-cpu-throttling --source . \\` },
    ]);
  });

  it('changes an env var inside an env-vars flag, and a switch to its opposite', () => {
    const shell = command('deploy.sh', 2, 'gcloud run deploy api --image=i --set-env-vars=MODE=fast,THREADS=2,X=1 \\', '  --cpu-throttling');
    expect(deployCommandEdits(shell, [{ name: '--update-env-vars', value: 'THREADS=8' }, { name: '--no-cpu-throttling' }]).edits).toEqual([
      { file: 'deploy.sh', line: 2, before: shell.lines?.[0]?.text, after: 'gcloud run deploy api --image=i --set-env-vars=MODE=fast,THREADS=8,X=1 \\' },
      { file: 'deploy.sh', line: 3, before: '  --cpu-throttling', after: '  --no-cpu-throttling' },
    ]);
  });

  it('adds to the deploy-cloudrun action`s flags input, and gives an env value with a comma gcloud`s alternate delimiter', () => {
    const action = command('.github/workflows/deploy.yml', 16, '        with:', '          service: web', "          flags: '--cpu=2'");
    expect(deployCommandEdits(action, [{ name: '--update-env-vars', value: 'TAGS=a,b' }]).edits).toEqual([
      { file: '.github/workflows/deploy.yml', line: 18, before: "          flags: '--cpu=2'", after: "          flags: '--cpu=2 --update-env-vars=^@^TAGS=a,b'" },
    ]);
    const noFlags = { ...command('.github/workflows/deploy.yml', 16, '        with:', '          service: web'), field: 'jobs.deploy.steps[1].with' };
    expect(deployCommandEdits(noFlags, [{ name: '--concurrency', value: '4' }])).toEqual({ edits: [], notes: ['add `--concurrency=4` to the `flags:` input of the deploy-cloudrun step at .github/workflows/deploy.yml:16'] });
    const cleared = command('deploy.sh', 2, 'gcloud run deploy api --source . --clear-env-vars');
    expect(deployCommandEdits(cleared, [{ name: '--update-env-vars', value: 'G=--timeout 0' }])).toEqual({
      edits: [],
      notes: ['replace --clear-env-vars with `--set-env-vars=G=--timeout 0` in the `gcloud run deploy` command at deploy.sh:2 (gcloud takes no --update-env-vars beside --clear-env-vars)'],
    });
    expect(deployCommandEdits(noFlags, [{ name: '--update-env-vars', value: 'G=--preload' }]).notes).toEqual(['add `G=--preload` to the `env_vars:` input of the deploy-cloudrun step at .github/workflows/deploy.yml:16']);
  });

  it('gives each edit the span of the line as read that each flag writes, and the env var it sets', () => {
    const shell = command('deploy.sh', 2, 'gcloud run deploy api --image=i --set-env-vars=MODE=fast,THREADS=2 --concurrency=80');
    const [edit] = withFlags(shell, [{ name: '--update-env-vars', value: 'THREADS=8' }, { name: '--concurrency', value: '8' }, { name: '--cpu', value: '2' }]).edits;
    expect(edit?.flags).toEqual([
      { flag: '--update-env-vars', span: { start: 65, end: 66, text: '8' }, envVar: 'THREADS' },
      { flag: '--concurrency', span: { start: 81, end: 83, text: '8' } },
      { flag: '--cpu', span: { start: 21, end: 21, text: ' --cpu=2' } },
    ]);
    expect(edit?.after).toBe('gcloud run deploy api --cpu=2 --image=i --set-env-vars=MODE=fast,THREADS=8 --concurrency=8');
  });

  it('says which notes are about an env var, with the var, whatever the note`s words', () => {
    const noFlags = { ...command('.github/workflows/deploy.yml', 16, '        with:', '          service: web'), field: 'jobs.deploy.steps[1].with' };
    const cleared = command('deploy.sh', 2, 'gcloud run deploy api --source . --clear-env-vars');
    const action = withFlags(noFlags, [{ name: '--concurrency', value: '4' }, { name: '--update-env-vars', value: 'GUNICORN_CMD_ARGS=--preload' }]);
    expect(action.envVarNotes).toEqual([{ envVar: 'GUNICORN_CMD_ARGS', text: 'add `GUNICORN_CMD_ARGS=--preload` to the `env_vars:` input of the deploy-cloudrun step at .github/workflows/deploy.yml:16' }]);
    expect(action.notes).toHaveLength(2);
    expect(withFlags(cleared, [{ name: '--update-env-vars', value: 'G=--timeout 0' }]).envVarNotes.map((n) => n.envVar)).toEqual(['G']);
  });
});
