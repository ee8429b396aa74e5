/**
 * The realistic servers corpus (test/fixtures/realistic/servers-*, described in servers-README.md) through the built
 * CLI: every expected finding present and none unexpected. The expectations are written by hand.
 */
import { describe, expect, it } from 'vitest';
import { reportDocumentSchema } from '../../src/output/reportSchema.ts';
import { pytuner } from './run.ts';

const CORPUS = 'test/fixtures/realistic';
const DIRS = ['servers-source-deploy', 'servers-dev', 'servers-entrypoint', 'servers-s6-granian', 'servers-uv'].map((d) => `${CORPUS}/${d}`);

/** [file, rule], sorted. */
const EXPECTED: Array<[string, string]> = [
  ['servers-dev/django-runserver/Dockerfile', 'process.shell-pid1'],
  ['servers-dev/django-runserver/Dockerfile', 'server.dev-server'],
  ['servers-dev/flask-app-run/Dockerfile', 'server.dev-server'],
  ['servers-dev/flask-run-env/Dockerfile', 'server.dev-server'],
  ['servers-dev/flask-run-procfile/Procfile', 'server.dev-server'],
  ['servers-entrypoint/functions/Dockerfile', 'runtime.cpu-count'],
  ['servers-entrypoint/migrate-then-serve/Dockerfile', 'process.shell-pid1'],
  ['servers-entrypoint/migrate-then-serve/Dockerfile', 'startup.probe-missing'],
  ['servers-entrypoint/uwsgi-ini/Dockerfile', 'concurrency.threads-mismatch'],
  ['servers-entrypoint/uwsgi-ini/Dockerfile', 'gunicorn.timeout'],
  ['servers-entrypoint/uwsgi-ini/Dockerfile', 'gunicorn.workers-vs-cpu'],
  ['servers-s6-granian/service.yaml', 'concurrency.threads-mismatch'],
  ['servers-source-deploy/buildpacks/Procfile', 'concurrency.threads-mismatch'],
  ['servers-source-deploy/buildpacks/Procfile', 'startup.probe-missing'],
  ['servers-source-deploy/quickstart/Dockerfile', 'concurrency.threads-mismatch'],
  ['servers-source-deploy/quickstart/Dockerfile', 'gunicorn.timeout'],
  ['servers-source-deploy/quickstart/Dockerfile', 'startup.probe-missing'],
  ['servers-uv/mcp/Dockerfile', 'uvicorn.workers'],
];

describe('pytuner report over the realistic servers corpus', () => {
  const run = pytuner(['report', '-f', ...DIRS, '-o', 'json']);
  const report = reportDocumentSchema.parse(JSON.parse(run.stdout));

  it('reads everything without an input error, and says streamlit is not tuned', () => {
    expect(run.stderr).toBe(
      'pytuner: note: test/fixtures/realistic/servers-dev/streamlit/Dockerfile: Service streamlit[user-container]: streamlit is an interactive app server: one process serving a UI over websockets, with no WSGI/ASGI worker or thread settings; pytuner does not tune it\n',
    );
    expect(report.errors).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('finds every expected finding and nothing else', () => {
    const found = report.findings.map((f) => [f.target.file?.slice(CORPUS.length + 1), f.rule]).sort((a, b) => (a.join() < b.join() ? -1 : 1));
    expect(found).toEqual(EXPECTED);
  });

  it("fixes uWSGI's harakiri and processes where the ini file sets them", () => {
    const ini = `${CORPUS}/servers-entrypoint/uwsgi-ini/conf/uwsgi.ini`;
    const fixOf = (rule: string) => report.findings.find((f) => f.rule === rule && f.target.file?.endsWith('uwsgi-ini/Dockerfile'))?.fix?.edits;
    expect(fixOf('gunicorn.timeout')).toEqual([{ file: ini, line: 5, before: 'harakiri = 10', after: 'harakiri = 300' }]);
    expect(fixOf('gunicorn.workers-vs-cpu')).toEqual([{ file: ini, line: 4, before: 'processes = 4', after: 'processes = 1' }]);
  });

  it('reads build-context files only when a Dockerfile runs them', () => {
    // 11 Dockerfiles, 2 Procfiles, a manifest, and the 5 files the images run: app.py, the entrypoint script, uwsgi.ini,
    // the s6 run script and server.py; not old_app.py. The requirements.txt beside quickstart's Dockerfile is read too,
    // but as profiler evidence (what the image installs), not as a command.
    expect(report.summary.files).toBe(20);
  });

  it('says a source deploy was assumed, and gives the Cloud Run quickstart a gcloud command', () => {
    const quickstart = report.findings.find((f) => f.rule === 'concurrency.threads-mismatch' && f.target.file?.endsWith('quickstart/Dockerfile'));
    expect(quickstart?.severity).toBe('critical');
    expect(quickstart?.current).toMatchObject({ containerConcurrency: 80, requestSlots: 1 });
    expect(quickstart?.evidence.at(-1)?.text).toMatch(/serves on \$PORT: assumed a Cloud Run source deploy/);
    expect(quickstart?.fix?.commands).toEqual(['gcloud run services update quickstart --concurrency 1']);
  });

  it('points the development server at the app.run(debug=True) line and fixes the Dockerfile CMD', () => {
    const flask = report.findings.find((f) => f.rule === 'server.dev-server' && f.target.file?.endsWith('flask-app-run/Dockerfile'));
    expect(flask?.evidence[0]).toMatchObject({ source: 'build-context', file: `${CORPUS}/servers-dev/flask-app-run/app.py`, line: 14 });
    expect(flask?.fix?.edits?.[0]?.after).toBe('CMD exec gunicorn --bind :$PORT --workers 1 --threads 80 --timeout 0 app:app');
  });

  it('edits a flask run command only when FLASK_APP or --app names the app; else the command is advice with a placeholder', () => {
    const dev = (dir: string) => report.findings.find((f) => f.rule === 'server.dev-server' && f.target.file?.includes(`/${dir}/`));
    const named = dev('flask-run-env');
    expect(named?.fix?.edits?.map((e) => e.after)).toEqual(['CMD exec gunicorn --bind :$PORT --workers 1 --threads 80 --timeout 0 hello:app']);
    expect(named?.fix?.notes?.[0]).toMatch(/^hello:app assumes the Flask object is named app/);
    const unnamed = dev('flask-run-procfile');
    expect(unnamed?.fix?.edits ?? []).toEqual([]);
    expect(unnamed?.fix?.notes).toContain('start the container with: exec gunicorn --bind :$PORT --workers 1 --threads 80 --timeout 0 <module>:app');
  });
});
