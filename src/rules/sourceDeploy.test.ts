import { describe, expect, it } from 'vitest';
import type { LoadedInputs } from '../parse/types.ts';
import { analyse } from '../report.ts';

function source(file: string, text: string): LoadedInputs {
  return { documents: [], sources: [{ kind: 'Dockerfile', file, text }], errors: [], files: 1 };
}

describe('findings on a service deployed from source', () => {
  const report = analyse(source('hello/Dockerfile', 'FROM python:3.12-slim\nCMD exec gunicorn --bind :$PORT main:app\n'));
  const mismatch = report.findings.find((f) => f.rule === 'concurrency.threads-mismatch');

  it('flags 1 sync slot behind Cloud Run’s default 80, on the service the directory is deployed as', () => {
    expect(mismatch?.severity).toBe('critical');
    expect(mismatch?.target).toMatchObject({ kind: 'Service', name: 'hello', file: 'hello/Dockerfile', container: 'user-container' });
    expect(mismatch?.current).toMatchObject({ containerConcurrency: 80, requestSlots: 1 });
  });

  it('says the platform was assumed and why', () => {
    expect(mismatch?.evidence.at(-1)).toMatchObject({ file: 'hello/Dockerfile', field: 'assumed platform' });
    expect(mismatch?.evidence.at(-1)?.text).toMatch(/serves on \$PORT: assumed a Cloud Run source deploy/);
  });

  it('fixes service settings with gcloud, not with a patch of an object that does not exist', () => {
    expect(mismatch?.fix?.commands).toEqual(['gcloud run services update hello --concurrency 1']);
    expect(mismatch?.fix?.jsonPatch).toBeUndefined();
    expect(mismatch?.fix?.applyFragment).toBeUndefined();
  });

  it('names a source at the top of the working directory after that directory, as gcloud proposes', () => {
    const top = analyse(source('Dockerfile', 'FROM python:3.12-slim\nCMD exec gunicorn --bind :$PORT main:app\n'), { workingDirectory: 'shop-api' });
    const found = top.findings.find((f) => f.rule === 'concurrency.threads-mismatch');
    expect(found?.target).toMatchObject({ kind: 'Service', name: 'shop-api', file: 'Dockerfile' });
    expect(found?.fix?.commands).toEqual(['gcloud run services update shop-api --concurrency 1']);
  });

  it('keeps Dockerfile edits as they are', () => {
    const report2 = analyse(source('api/Dockerfile', 'FROM python:3.12-slim\nCMD exec gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 30 main:app\n'));
    const timeout = report2.findings.find((f) => f.rule === 'gunicorn.timeout');
    expect(timeout?.fix?.edits?.[0]).toMatchObject({ file: 'api/Dockerfile', line: 2, after: 'CMD exec gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 main:app' });
  });

  describe('a service no deploy command deploys, whose fixes the solver changes', () => {
    const solved = analyse(source('api/Dockerfile', 'FROM python:3.12-slim\nCMD exec gunicorn --bind :$PORT --workers 4 --threads 8 main:app\n'));
    const fixOf = (rule: string) => solved.findings.find((f) => f.rule === rule)?.fix;

    it('says the containerConcurrency the solver settled on in its command, with no patch of an object no file holds', () => {
      // gunicorn.workers-vs-cpu takes workers 4 → 1: 8 request slots, not the 32 read.
      const fix = fixOf('concurrency.threads-mismatch');
      expect(fix?.commands).toEqual(['gcloud run services update api --concurrency 8']);
      expect(fix?.jsonPatch).toBeUndefined();
      expect(fix?.applyFragment).toBeUndefined();
    });

    it('writes GUNICORN_CMD_ARGS once with every finding’s words: commands run one after another do not undo each other', () => {
      const envCommands = solved.findings.flatMap((f) => f.fix?.commands ?? []).filter((c) => c.includes('GUNICORN_CMD_ARGS'));
      expect(envCommands).toEqual(["gcloud run services update api --update-env-vars GUNICORN_CMD_ARGS='--timeout 0 --preload'"]);
      expect(fixOf('startup.heavy-init')?.notes).toContain('its env change is written by the fix of gunicorn.timeout, once for all of them');
    });
  });
});
