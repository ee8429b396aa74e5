/**
 * @module The build-context files an image's command runs, as `ContextScript`s for `findServer`: shell scripts as
 * they are, Python files as the command their launch call amounts to (`app.run(host=..., port=...)` is
 * `flask run --host ... --port ...`). Read as text only; nothing is run or imported.
 */
import type { Evidence } from '../evidence.ts';
import type { ImageFacts } from '../image.ts';
import { contextPathsOf, S6_RUN } from '../../parse/buildContext.ts';
import type { PythonLaunch } from '../../parse/pythonLaunch.ts';
import { pythonLaunch } from '../../parse/pythonLaunch.ts';
import type { ContextScript, ServerTable } from './argv.ts';

/** The lookups `findServer` uses for an image: a path in the image → the build-context file copied there, if read. */
export function contextScripts(image: ImageFacts | undefined, context: ReadonlyMap<string, string>): Pick<ServerTable, 'scripts' | 'files'> | undefined {
  if (image === undefined || context.size === 0) return undefined;
  const files = (path: string): { file: string; text: string } | undefined => {
    const file = contextPathsOf(image, path).find((candidate) => context.has(candidate));
    const text = file === undefined ? undefined : context.get(file);
    return file === undefined || text === undefined ? undefined : { file, text };
  };
  const scripts = (path: string): ContextScript | ContextScript[] | undefined => {
    if (!/\.(sh|bash|py)$|(^|\/)run$/.test(path) && !path.startsWith('./') && path !== '/init') return undefined;
    const file = contextPathsOf(image, path).find((candidate) => context.has(candidate));
    const text = file === undefined ? undefined : context.get(file);
    if (file !== undefined && text !== undefined) return file.endsWith('.py') ? pythonScript(file, text) : shellScriptAt(file, text);
    return path === '/init' ? s6Runs(context).map(([run, body]) => shellScriptAt(run, body)) : undefined;
  };
  return { scripts, files };
}

function shellScriptAt(file: string, text: string): ContextScript {
  return { kind: 'shell', text, evidence: { source: 'build-context', file, field: 'script' } };
}

/** s6 `run` scripts are started by s6 itself, not by path: `/init` runs every service's `run`. */
function s6Runs(context: ReadonlyMap<string, string>): Array<[string, string]> {
  return [...context].filter(([file]) => S6_RUN.test(file));
}

/** The evidence field of a server started by a launch call in a Python file, by the call's kind: how rules tell which call it was. */
export const PYTHON_LAUNCH_FIELD: Readonly<Record<PythonLaunch['kind'], string>> = { flask: 'python app.run()', uvicorn: 'python uvicorn.run()', fastmcp: 'python mcp.run()' };

function pythonScript(file: string, text: string): ContextScript | undefined {
  const launch = pythonLaunch(text);
  if (launch === undefined) return undefined;
  const evidence: Evidence = { source: 'build-context', file, line: launch.line, field: PYTHON_LAUNCH_FIELD[launch.kind], text: launch.text };
  return { kind: 'python', text: launchCommand(launch, file.slice(file.lastIndexOf('/') + 1).replace(/\.py$/, '')), evidence };
}

/** The keyword arguments that place the server: one the file computes must not read as the server's default. */
const ADDRESS = new Set(['host', 'port']);

/** A value the file computes (`host=settings.host`): a command substitution, which pytuner never evaluates, so unknown. */
function computed(name: string): string {
  return `$(${name})`;
}

/**
 * The shell command a launch call amounts to. Keyword values the file computes are left out (the server's default then
 * shows), except the address's, which are unknown. Flask's app is named as the file makes it (`--app 'main:create_app()'`), so
 * a fix that serves it with gunicorn imports what exists.
 */
function launchCommand(launch: PythonLaunch, module: string): string {
  const arg = (name: string, flag: string): string => {
    const value = launch.kwargs.get(name);
    if (value !== undefined) return ` ${flag} ${value}`;
    return ADDRESS.has(name) && launch.kwargs.has(name) ? ` ${flag} ${computed(name)}` : '';
  };
  if (launch.kind === 'flask') return `exec flask${launch.app === undefined ? '' : ` --app '${module}:${launch.app}'`} run${arg('host', '--host')}${arg('port', '--port')}`;
  if (launch.kind === 'fastmcp') {
    // One uvicorn.Server in this process, whatever WEB_CONCURRENCY says (only uvicorn.run and its CLI start workers);
    // host and port from the call or constructor, else FastMCP's settings: FASTMCP_HOST/FASTMCP_PORT, 127.0.0.1:8000.
    const bind = (name: string, env: string, fallback: string) => {
      const value = launch.kwargs.get(name) ?? (launch.kwargs.has(name) ? computed(name) : `\${${env}:-${fallback}}`);
      return ` --${name} ${value}`;
    };
    return `exec uvicorn ${module}:${launch.app ?? 'app'} --workers 1${bind('host', 'FASTMCP_HOST', '127.0.0.1')}${bind('port', 'FASTMCP_PORT', '8000')}`;
  }
  const target = launch.target !== undefined && /^[\w.]+:[\w.]+$/.test(launch.target) ? launch.target : 'app';
  const reload = launch.kwargs.get('reload') === 'True' ? ' --reload' : '';
  return `exec uvicorn ${target}${arg('host', '--host')}${arg('port', '--port')}${arg('workers', '--workers')}${reload}`;
}
