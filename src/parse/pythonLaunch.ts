/**
 * @module How a Python file starts a server when run as `python app.py`, read as text (never imported or run): the
 * last `app.run(...)` (Flask's development server), `uvicorn.run(...)`, with the keyword arguments pytuner can read.
 * A value the file computes is kept as its text, except `os.environ.get("PORT", 8080)` / `os.getenv(...)`, which
 * become a shell reference `${PORT:-8080}` so the usual env expansion applies.
 */

/** A launch call found in a Python file. */
export interface PythonLaunch {
  /**
   * `fastmcp`: a FastMCP server's `mcp.run(transport="http" | "streamable-http" | "sse")` (fastmcp 2.x, or the `mcp`
   * SDK's `mcp.server.fastmcp`), which serves its Starlette app with one `uvicorn.Server` in this process; `kwargs`
   * holds the constructor's `host`/`port` (the SDK takes them there) unless the call gives them.
   */
  kind: 'flask' | 'uvicorn' | 'fastmcp';
  /** 1-based line of the call. */
  line: number;
  /** The call as written (one line, whitespace collapsed). */
  text: string;
  /** The first positional argument's text (`"main:app"`, `app`), if any. */
  target?: string;
  /** Keyword arguments: a literal's value, `${NAME:-default}` for an env lookup, or undefined when computed. */
  kwargs: Map<string, string | undefined>;
  /**
   * Flask: what a WSGI server imports from the file, as gunicorn writes it after `module:`: the app's name when the
   * file assigns it at module level (`app`, `application`), `create_app()` when the app is made by calling the file's
   * factory only under `if __name__ == "__main__":`; undefined when the file shows neither. FastMCP: the server
   * object's name (`mcp`).
   */
  app?: string;
}

const CALL = /\b(uvicorn\.run|[A-Za-z_][A-Za-z0-9_]*\.run(?:_async)?)\s*\(/g;
const ENV_LOOKUP = /^(?:int\(\s*)?os\.(?:environ\.get|getenv)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*(?:,\s*["']?([^"')]*)["']?\s*)?\)\s*\)?$/;

/** The launch call a Python file makes, or undefined: the last one in the file wins, as the last to run would. */
export function pythonLaunch(text: string): PythonLaunch | undefined {
  let found: PythonLaunch | undefined;
  for (const m of text.matchAll(CALL)) {
    const callee = m[1] as string;
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    const before = text.slice(lineStart, m.index);
    if (withoutComments(before) !== before) continue;
    const open = (m.index ?? 0) + m[0].length;
    const close = closingParen(text, open);
    if (close === undefined) continue;
    const kind = launchKind(text, callee);
    if (kind === undefined) continue;
    const call = withoutComments(text.slice(m.index, close + 1));
    const { kwargs, target } = callArguments(text, text.slice(open, close));
    // A FastMCP server run over stdio (the default transport) serves no HTTP: no server is started.
    if (kind === 'fastmcp' && !HTTP_TRANSPORTS.has(kwargs.get('transport') ?? target ?? 'stdio')) continue;
    const object = callee.slice(0, callee.lastIndexOf('.'));
    if (kind === 'fastmcp') for (const [key, value] of constructorBind(text, object)) if (!kwargs.has(key)) kwargs.set(key, value);
    const line = text.slice(0, m.index).split('\n').length;
    const launch: PythonLaunch = { kind, line, text: call.replace(/\s+/g, ' '), kwargs };
    if (target !== undefined) launch.target = target;
    const app = kind === 'flask' ? flaskAppExpression(text, object) : kind === 'fastmcp' ? object : undefined;
    if (app !== undefined) launch.app = app;
    found = launch;
  }
  return found;
}

/** Which server a `.run(` call starts, if any. */
function launchKind(text: string, callee: string): PythonLaunch['kind'] | undefined {
  if (callee === 'uvicorn.run') return 'uvicorn';
  // FastMCP's `run()` is `anyio.run(run_async)`: `asyncio.run(mcp.run_async(...))` starts the same server.
  if (!callee.endsWith('_async') && flaskLike(text, callee)) return 'flask';
  return fastMcpLike(text, callee) ? 'fastmcp' : undefined;
}

/** A call's keyword arguments (see `PythonLaunch.kwargs`) and its first positional argument. */
function callArguments(text: string, inner: string): { kwargs: Map<string, string | undefined>; target?: string } {
  const kwargs = new Map<string, string | undefined>();
  let target: string | undefined;
  for (const arg of splitArgs(withoutComments(inner))) {
    const kw = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([\s\S]+)$/.exec(arg);
    if (kw !== null) kwargs.set(kw[1] as string, literal(kw[2] as string) ?? assignedLiteral(text, kw[2] as string));
    else if (target === undefined) target = literal(arg) ?? arg;
  }
  return target === undefined ? { kwargs } : { kwargs, target };
}

/** `app.run(...)` is Flask's (or Quart's) when the file imports Flask: a `.run(` on anything else is not a server. */
function flaskLike(text: string, callee: string): boolean {
  const name = callee.slice(0, -'.run'.length);
  return /\bfrom\s+flask\s+import\b|\bimport\s+flask\b/.test(text) && new RegExp(`\\b${name}\\s*=\\s*(?:flask\\.)?Flask\\(|\\bdef\\s+create_app\\b`).test(text);
}

/** The transports with which FastMCP's `run()` starts an HTTP server (`fastmcp/server/mixins/transport.py`). */
const HTTP_TRANSPORTS = new Set(['http', 'streamable-http', 'sse']);

/** `mcp.run(...)` is a FastMCP server's when the file imports FastMCP and makes `mcp` with it. */
function fastMcpLike(text: string, callee: string): boolean {
  const name = callee.slice(0, callee.lastIndexOf('.'));
  return /\bfrom\s+(?:fastmcp|mcp\.server\.fastmcp)\s+import\b[^\n]*\bFastMCP\b/.test(text) && new RegExp(`^\\s*${name}\\s*(?::[^=\\n]*)?=\\s*FastMCP\\(`, 'm').test(text);
}

/** The `host`/`port` keyword arguments of the `FastMCP(...)` call that makes `name`, as literals. */
function constructorBind(text: string, name: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const made = new RegExp(`^\\s*${name}\\s*(?::[^=\\n]*)?=\\s*FastMCP\\(`, 'm').exec(text);
  if (made === null) return out;
  const open = made.index + made[0].length;
  const close = closingParen(text, open);
  if (close === undefined) return out;
  const { kwargs } = callArguments(text, text.slice(open, close));
  for (const key of ['host', 'port']) if (kwargs.has(key)) out.set(key, kwargs.get(key));
  return out;
}

/**
 * The importable expression for the object `name.run()` is called on: `name` when the module assigns it at top level,
 * `factory()` when it is only assigned, indented, from a call without arguments of a function the module defines.
 */
function flaskAppExpression(text: string, name: string): string | undefined {
  if (new RegExp(`^${name}\\s*(?::[^=\\n]*)?=(?!=)`, 'm').test(text)) return name;
  const factories = [...text.matchAll(new RegExp(`^[ \\t]+${name}\\s*=\\s*([A-Za-z_][A-Za-z0-9_]*)\\(\\s*\\)\\s*(?:#.*)?$`, 'gm'))].map((m) => m[1] as string);
  const [factory] = factories;
  if (factory === undefined || factories.some((f) => f !== factory)) return undefined;
  return new RegExp(`^def\\s+${factory}\\s*\\(`, 'm').test(text) ? `${factory}()` : undefined;
}

function closingParen(text: string, from: number): number | undefined {
  let depth = 1;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '#') {
      const newline = text.indexOf('\n', i);
      i = newline < 0 ? text.length : newline;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return undefined;
}

/**
 * The text without its `#` comments (outside string literals): a commented-out argument (`# debug=True,`) is not an
 * argument, and a comment's apostrophe opens no string.
 */
function withoutComments(text: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote === undefined && c === '#') {
      const newline = text.indexOf('\n', i);
      i = (newline < 0 ? text.length : newline) - 1;
      continue;
    }
    out += c;
    if (quote !== undefined) {
      if (c === '\\') out += text.charAt(++i);
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
  }
  return out;
}

/** Top-level comma-separated arguments. */
function splitArgs(inner: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charAt(i);
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(inner.slice(start).trim());
  return out.filter((a) => a !== '' && !a.startsWith('*'));
}

/**
 * A bare name's value where the file assigns it once, to a literal or an env lookup (`port = int(os.getenv("PORT",
 * "8080"))` before `uvicorn.run(app, port=port)`); undefined for any other argument, or a name assigned twice.
 */
function assignedLiteral(text: string, arg: string): string | undefined {
  const name = arg.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  // A line `port=port,` is a keyword argument of a call written over several lines, not an assignment.
  const assignments = [...text.matchAll(new RegExp(`^[ \\t]*${name}[ \\t]*(?::[^=\\n]*)?=(?!=)[ \\t]*(.+?)[ \\t]*(?:#.*)?$`, 'gm'))].filter((m) => !(m[1] as string).endsWith(','));
  return assignments.length === 1 ? literal(assignments[0]![1] as string) : undefined;
}

/** A literal's value (`"0.0.0.0"`, `8080`, `True`), `${NAME:-default}` for an env lookup, else undefined. */
function literal(text: string): string | undefined {
  const t = text.trim();
  const str = /^(?:[rbuf]?)("|')(.*)\1$/s.exec(t);
  if (str !== null && !/^f/.test(t)) return str[2];
  if (/^-?\d+$/.test(t) || t === 'True' || t === 'False' || t === 'None') return t;
  const env = ENV_LOOKUP.exec(t);
  if (env !== null) return env[2] === undefined ? `\${${env[1]}}` : `\${${env[1]}:-${env[2]}}`;
  return undefined;
}
