/**
 * @module `server.dev-server`: a development server in a deployed image: Flask's (`flask run`, `app.run()`), Django's
 * `runserver`, `fastapi dev`, uvicorn/granian/litestar `--reload`, Functions Framework `--debug`, `gradio app.py`.
 * Their own docs say not to deploy them: one process, a thread per request or a file watcher, a debugger that runs
 * code sent to it when `debug=True`.
 * @see docs/rules/server.dev-server.md
 */
import type { Finding, Fix, SourceEdit } from '../model/finding.ts';
import type { ServerConfig } from '../model/server.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { platformConcurrency, platformName, targetOf, vcpus } from './facts.ts';
import { sourceLineOf, where } from './fixes.ts';

const ID = 'server.dev-server';

/** Threads per worker when the platform sets no concurrency (a Deployment): the Cloud Run Python guide's `--threads 8`. */
const THREADS_WITHOUT_PLATFORM_LIMIT = 8;

export const devServer: Rule = {
  id: ID,
  severity: 'critical',
  summary: 'a development server (flask run, app.run, runserver, fastapi dev, --reload, debug) serves a deployed workload',
  check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(workload, container))),
};

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server?.development === undefined) return [];
  const command = productionCommand(workload, container, server);
  const what = describe(server);
  const finding: Finding = {
    rule: ID,
    severity: 'critical',
    target: targetOf(workload, container),
    message: `${what} serves this ${platformName(workload)} workload (${server.development.text ?? server.development.field}): a development server is single-process and unhardened${debugOn(server) ? ', and its debugger runs code sent to it' : ''}; serve with ${command.text}`,
    current: { server: server.kind, development: true },
    recommended: { command: command.text },
    evidence: [server.development],
  };
  const fix = fixOf(container, command.text, command.notes);
  if (fix !== undefined) finding.fix = fix;
  return [finding];
}

function debugOn(server: ServerConfig): boolean {
  return /debug\s*=\s*True|--debug\b/.test(`${server.development?.text ?? ''} ${server.development?.field ?? ''}`);
}

function describe(server: ServerConfig): string {
  switch (server.kind) {
    case 'flask-dev':
      return "Flask's development server";
    case 'django-runserver':
      return "Django's runserver";
    default:
      return `${server.kind} in development mode`;
  }
}

/**
 * The production command for the same app, sized for the platform: gunicorn with one worker per vCPU and threads to
 * cover the platform's concurrency (the Cloud Run Python guide's shape) for WSGI apps; the same ASGI server without
 * its reload/debug switch otherwise.
 */
function productionCommand(workload: Workload, container: ContainerFacts, server: ServerConfig): { text: string; notes: string[] } {
  const workers = vcpus(container)?.value ?? 1;
  const concurrency = platformConcurrency(workload)?.value;
  const threads = concurrency === undefined ? THREADS_WITHOUT_PLATFORM_LIMIT : Math.max(1, Math.ceil(concurrency / workers));
  const notes: string[] = [];
  if (concurrency === undefined) notes.push(`no platform concurrency limit: --threads ${THREADS_WITHOUT_PLATFORM_LIMIT} as in the Cloud Run Python guide; size it to the requests one instance should hold`);
  // Knative and Cloud Run pass the port as $PORT; a Deployment keeps the port the container declares or served on.
  const port = container.port?.value ?? Number(/:(\d+)$/.exec(server.bind?.value ?? '')?.[1] ?? 8000);
  const bind = workload.platform === 'kubernetes' ? `0.0.0.0:${port}` : ':$PORT';
  const gunicorn = (app: string) => `exec gunicorn --bind ${bind} --workers ${workers} --threads ${threads} --timeout 0 ${app}`;
  switch (server.kind) {
    case 'flask-dev': {
      const app = gunicornAppSpec(flaskApp(server, container));
      return { text: gunicorn(app.spec), notes: [...notes, ...app.notes, 'gunicorn must be in the image (pip install gunicorn)'] };
    }
    case 'django-runserver':
      notes.push(`replace ${PLACEHOLDER} with the Django project package (the one holding wsgi.py)`);
      return { text: gunicorn(`${PLACEHOLDER}.wsgi`), notes: [...notes, 'gunicorn must be in the image (pip install gunicorn)'] };
    default: {
      const argv = server.argv.filter((word) => !/^--?(reload|debug|r|d)$/.test(word));
      if (argv[0] === 'fastapi' && argv[1] === 'dev') argv[1] = 'run';
      if (argv[0] === 'gradio') return { text: `python ${argv.slice(1).join(' ')}`, notes };
      return { text: `exec ${argv.join(' ')}`, notes };
    }
  }
}

/** Stands in the production command for what pytuner cannot know; a command holding it is advice, never an edit. */
const PLACEHOLDER = '<module>';

/** gunicorn's `module:variable` for a Flask app as `flask run` names it, and what it assumes. */
function gunicornAppSpec(app: string | undefined): { spec: string; notes: string[] } {
  if (app === undefined) return { spec: `${PLACEHOLDER}:app`, notes: [`replace ${PLACEHOLDER} with the module that defines the Flask app (no --app, FLASK_APP or app.run script says which)`] };
  // A factory call (`main:create_app()`) is quoted for the shell that runs the command.
  if (app.includes(':')) return { spec: /[()'"\s]/.test(app) ? `'${app.replaceAll("'", "'\\''")}'` : app, notes: [] };
  // flask's own discovery tries a variable named `app` first when only the module is named.
  return { spec: `${app}:app`, notes: [`${app}:app assumes the Flask object is named app, flask run's first guess; name the variable or factory if it is not`] };
}

/**
 * `--app pkg` (for `python main.py`, the app its app.run is called on: `main:app`, `main:create_app()`), else
 * `main:app` from `python main.py`'s app.run, else `FLASK_APP` (its literal value) when given.
 */
function flaskApp(server: ServerConfig, container: ContainerFacts): string | undefined {
  const at = server.argv.findIndex((word) => word === '--app' || word === '-A');
  const app = at === -1 ? server.argv.find((word) => word.startsWith('--app='))?.slice('--app='.length) : server.argv[at + 1];
  if (app !== undefined) return app;
  const file = server.development?.field.startsWith('python ') === true ? server.development.file : undefined;
  if (file !== undefined) return `${file.slice(file.lastIndexOf('/') + 1).replace(/\.py$/, '')}:app`;
  const env = container.env.get('FLASK_APP');
  return env?.fromRef === true ? undefined : env?.value;
}

/**
 * A Dockerfile `CMD`/`ENTRYPOINT` (or Procfile `web:`) line that starts the development server is replaced by the
 * production command; elsewhere (a manifest `command`, an entrypoint script) the command is given in notes.
 */
function fixOf(container: ContainerFacts, command: string, notes: string[]): Fix | undefined {
  const image = container.dockerfile;
  const edit = image === undefined || command.includes(PLACEHOLDER) ? undefined : lineEdit(container, command);
  const all = [...notes];
  if (edit === undefined) all.unshift(`start the container with: ${command}${image?.cmd === undefined ? '' : ` (the image's command is at ${where(image.cmd.evidence)})`}`);
  if (edit === undefined && all.length === 0) return undefined;
  const fix: Fix = {};
  if (edit !== undefined) fix.edits = [edit];
  if (all.length > 0) fix.notes = all;
  return fix;
}

function lineEdit(container: ContainerFacts, command: string): SourceEdit | undefined {
  const image = container.dockerfile!;
  if (container.command !== undefined || container.args !== undefined) return undefined;
  // The manifest runs the image's own command: its last CMD, or ENTRYPOINT without CMD, or a buildpacks Procfile.
  if (image.entrypoint !== undefined && image.cmd !== undefined) return undefined;
  const at = image.cmd ?? image.entrypoint;
  if (at !== undefined) {
    const line = sourceLineOf(image, at.evidence);
    if (line === undefined || line.text.includes('\n')) return undefined;
    return { file: line.file, line: line.line, before: line.text, after: `${at.evidence.field} ${command}` };
  }
  const web = image.procfileWeb;
  if (web?.evidence.file === undefined || web.evidence.line === undefined) return undefined;
  const before = web.evidence.text ?? `web: ${web.command}`;
  return { file: web.evidence.file, line: web.evidence.line, before, after: `web: ${command.replace(/^exec /, '')}` };
}
