import { describe, expect, it } from 'vitest';
import type { Evidence } from '../evidence.ts';
import type { ImageFacts } from '../image.ts';
import { parseDockerfile } from '../../parse/dockerfile.ts';
import { parseGunicornConf } from '../../parse/gunicornConf.ts';
import { gunicornConfFor, resolveCommand } from './command.ts';

const image = (...lines: string[]): ImageFacts => parseDockerfile('app/Dockerfile', `${lines.join('\n')}\n`).image;
const field = (name: string): Evidence => ({ source: 'manifest', file: 'svc.yaml', line: 20, field: `spec.template.spec.containers[0].${name}` });
const command = (...argv: string[]) => ({ argv, evidence: field('command') });
const args = (...argv: string[]) => ({ argv, evidence: field('args') });

const withEntrypointAndCmd = image('FROM python:3.12', 'ENTRYPOINT ["/entrypoint.sh"]', 'CMD ["gunicorn", "app:app"]');

describe('resolveCommand', () => {
  it('runs ENTRYPOINT + CMD when the manifest sets neither, with the CMD line as evidence', () => {
    expect(resolveCommand({}, withEntrypointAndCmd)).toEqual({ argv: ['/entrypoint.sh', 'gunicorn', 'app:app'], evidence: withEntrypointAndCmd.cmd?.evidence });
  });

  it('uses the ENTRYPOINT line as evidence when there is no CMD', () => {
    const img = image('FROM python:3.12', 'ENTRYPOINT ["gunicorn", "app:app"]');
    expect(resolveCommand({}, img)?.evidence.line).toBe(2);
  });

  it('replaces ENTRYPOINT and drops CMD when the manifest sets command alone', () => {
    expect(resolveCommand({ command: command('uvicorn', 'main:app') }, withEntrypointAndCmd)).toEqual({ argv: ['uvicorn', 'main:app'], evidence: field('command') });
  });

  it('runs command + args when both are set; the flags in args are the evidence', () => {
    expect(resolveCommand({ command: command('gunicorn'), args: args('--threads', '8', 'app:app') }, withEntrypointAndCmd)).toEqual({
      argv: ['gunicorn', '--threads', '8', 'app:app'],
      evidence: field('args'),
    });
    expect(resolveCommand({ command: command('gunicorn', '--threads', '8'), args: args('app:app') })?.evidence).toEqual(field('command'));
  });

  it('keeps ENTRYPOINT and replaces CMD when the manifest sets args alone', () => {
    expect(resolveCommand({ args: args('--workers', '2') }, withEntrypointAndCmd)).toEqual({ argv: ['/entrypoint.sh', '--workers', '2'], evidence: field('args') });
  });

  it('takes args alone as the command when the image is unknown', () => {
    expect(resolveCommand({ args: args('gunicorn', 'app:app') })?.argv).toEqual(['gunicorn', 'app:app']);
  });

  it('falls back to the Procfile web entry, as shell words, when the image has no ENTRYPOINT or CMD', () => {
    const procfileWeb = { command: 'python manage.py migrate && gunicorn --bind ":$PORT" main:app', evidence: { source: 'Procfile' as const, file: 'app/Procfile', line: 1, field: 'web' } };
    const buildpacks: ImageFacts = { file: 'app/Procfile', env: new Map(), runs: [], lines: [], procfileWeb };
    expect(resolveCommand({}, buildpacks)).toEqual({ argv: ['python', 'manage.py', 'migrate', '&&', 'gunicorn', '--bind', ':$PORT', 'main:app'], evidence: procfileWeb.evidence });
    expect(resolveCommand({}, { ...withEntrypointAndCmd, procfileWeb })?.argv).toEqual(['/entrypoint.sh', 'gunicorn', 'app:app']);
  });

  it('resolves nothing without a command, args, image or Procfile', () => {
    expect(resolveCommand({})).toBeUndefined();
    expect(resolveCommand({}, image('FROM python:3.12'))).toBeUndefined();
    expect(resolveCommand({}, image('FROM python:3.12', 'CMD []'))).toBeUndefined();
  });
});

describe('gunicornConfFor', () => {
  const confs = [parseGunicornConf('app/gunicorn.conf.py', 'workers = 2\n'), parseGunicornConf('app/prod.gunicorn.conf.py', 'workers = 4\n')];

  it('picks gunicorn.conf.py when no -c is given, since gunicorn loads it by default', () => {
    expect(gunicornConfFor(['gunicorn', 'app:app'], confs)?.file).toBe('app/gunicorn.conf.py');
  });

  it.each([
    [['gunicorn', '-c', 'prod.gunicorn.conf.py', 'app:app']],
    [['gunicorn', '--config', '/srv/prod.gunicorn.conf.py', 'app:app']],
    [['gunicorn', '--config=prod.gunicorn.conf.py', 'app:app']],
    [['gunicorn', '-cprod.gunicorn.conf.py', 'app:app']],
    [['python', '-m', 'gunicorn', '-c', 'file:prod.gunicorn.conf.py', 'app:app']],
    [['/bin/sh', '-c', 'exec gunicorn -c prod.gunicorn.conf.py app:app']],
  ])('picks the file named by -c in %j', (argv) => {
    expect(gunicornConfFor(argv, confs)?.file).toBe('app/prod.gunicorn.conf.py');
  });

  it('picks nothing when -c names a file that was not joined, or a python: module', () => {
    expect(gunicornConfFor(['gunicorn', '-c', 'other.py', 'app:app'], confs)).toBeUndefined();
    expect(gunicornConfFor(['gunicorn', '-c', 'python:config.gunicorn', 'app:app'], confs)).toBeUndefined();
    expect(gunicornConfFor(['gunicorn', '-c', 'python:gunicorn_conf', 'app:app'], [parseGunicornConf('gunicorn_conf.py', '')])?.file).toBe('gunicorn_conf.py');
  });

  it('picks nothing for a command that is not gunicorn, or with no config joined', () => {
    expect(gunicornConfFor(['uvicorn', 'main:app'], confs)).toBeUndefined();
    expect(gunicornConfFor(['gunicorn', 'app:app'], [])).toBeUndefined();
  });

  it('does not read -c of the next command in a shell script', () => {
    expect(gunicornConfFor(['/bin/sh', '-c', 'gunicorn app:app && other -c prod.gunicorn.conf.py'], confs)?.file).toBe('app/gunicorn.conf.py');
  });
});
