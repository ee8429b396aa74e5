import { describe, expect, it } from 'vitest';
import { pythonLaunch } from './pythonLaunch.ts';

describe('pythonLaunch', () => {
  it("reads Flask's app.run with host, port from the environment and debug", () => {
    const text = ['import os', 'from flask import Flask', 'app = Flask(__name__)', '', 'if __name__ == "__main__":', '    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 8080)), debug=True)', ''].join('\n');
    const launch = pythonLaunch(text);
    expect(launch).toMatchObject({ kind: 'flask', line: 6 });
    expect(Object.fromEntries(launch?.kwargs ?? [])).toEqual({ host: '0.0.0.0', port: '${PORT:-8080}', debug: 'True' });
  });

  it("reads a FastMCP server's run() over HTTP, host and port from the call or else from the mcp SDK's constructor", () => {
    const fastmcp = ['import os', 'from fastmcp import FastMCP', 'mcp = FastMCP("math")', '', 'if __name__ == "__main__":', '    mcp.run(transport="streamable-http", host="0.0.0.0", port=int(os.getenv("PORT", 8080)))', ''].join('\n');
    expect(pythonLaunch(fastmcp)).toMatchObject({ kind: 'fastmcp', line: 6, app: 'mcp' });
    expect(Object.fromEntries(pythonLaunch(fastmcp)?.kwargs ?? [])).toEqual({ transport: 'streamable-http', host: '0.0.0.0', port: '${PORT:-8080}' });
    const sdk = ['from mcp.server.fastmcp import FastMCP', 'server = FastMCP("weather", host="0.0.0.0", port=8080)', 'server.run(transport="sse")', ''].join('\n');
    expect(Object.fromEntries(pythonLaunch(sdk)?.kwargs ?? [])).toEqual({ transport: 'sse', host: '0.0.0.0', port: '8080' });
  });

  it('reads asyncio.run(mcp.run_async(...)), the coroutine run() wraps, as the same launch', () => {
    const text = ['import asyncio', 'import os', 'from fastmcp import FastMCP', 'mcp = FastMCP("Code Snippet MCP Server")', 'if __name__ == "__main__":', '    port = int(os.getenv("PORT", 8080))', '    asyncio.run(', '        mcp.run_async(', '            transport="streamable-http",', '            host="0.0.0.0",', '            port=port,', '        )', '    )', ''].join('\n');
    expect(pythonLaunch(text)).toMatchObject({ kind: 'fastmcp', line: 8, app: 'mcp' });
    expect(Object.fromEntries(pythonLaunch(text)?.kwargs ?? [])).toEqual({ transport: 'streamable-http', host: '0.0.0.0', port: '${PORT:-8080}' });
  });

  it('reads no server from a FastMCP run() over stdio (the default transport), nor from run() on anything else', () => {
    expect(pythonLaunch(['from fastmcp import FastMCP', 'mcp = FastMCP("x")', 'mcp.run()', ''].join('\n'))).toBeUndefined();
    expect(pythonLaunch(['from fastmcp import FastMCP', 'mcp = FastMCP("x")', 'mcp.run(transport="stdio")', ''].join('\n'))).toBeUndefined();
    expect(pythonLaunch(['import asyncio', 'loop = asyncio.new_event_loop()', 'loop.run(transport="http")', ''].join('\n'))).toBeUndefined();
  });

  it('reads uvicorn.run with its target, workers and a computed value left unknown', () => {
    const text = 'import uvicorn\nif __name__ == "__main__":\n    uvicorn.run(\n        "main:app",\n        host="0.0.0.0",\n        port=settings.port,\n        workers=4,\n    )\n';
    const launch = pythonLaunch(text);
    expect(launch).toMatchObject({ kind: 'uvicorn', line: 3, target: 'main:app' });
    expect(Object.fromEntries(launch?.kwargs ?? [])).toEqual({ host: '0.0.0.0', port: undefined, workers: '4' });
  });

  it('reads a keyword argument given as a name the file assigns once, to an env lookup or a literal', () => {
    const text = [
      'import os',
      'import uvicorn',
      '',
      'def main() -> None:',
      '    port: int = int(os.getenv("PORT", "8080"))  # Cloud Run sets PORT',
      '    workers = 2',
      '    host = os.environ.get("HOST", "0.0.0.0")',
      '    host = "127.0.0.1" if DEBUG else host',
      '    if port == 8080:',
      '        pass',
      '    uvicorn.run("main:app", host=host, port=port, workers=workers, log_level=level)',
      '',
    ].join('\n');
    // host is assigned twice and level never: unknown, not guessed.
    expect(Object.fromEntries(pythonLaunch(text)?.kwargs ?? [])).toEqual({ host: undefined, port: '${PORT:-8080}', workers: '2', log_level: undefined });
  });

  it('leaves comments out: a commented-out argument is no argument, a commented-out call no launch', () => {
    const text = [
      'import os',
      'from flask import Flask',
      'app = Flask(__name__)',
      '',
      "if __name__ == '__main__':",
      '    app.run(',
      "        host=host_ip.strip('[]'), # don't keep the brackets",
      "        port=int(os.environ.get('PORT', 8080)),",
      '        #debug=True,',
      '        threaded=True)',
      '    # app.run(debug=True, port=5000)',
      '',
    ].join('\n');
    const launch = pythonLaunch(text);
    expect(launch).toMatchObject({ kind: 'flask', line: 6 });
    expect(launch?.text).not.toContain('debug');
    expect(launch?.target).toBeUndefined();
    expect(Object.fromEntries(launch?.kwargs ?? [])).toEqual({ host: undefined, port: '${PORT:-8080}', threaded: 'True' });
  });

  it("names the Flask app a WSGI server imports: a module-level name, or the factory called only under __main__", () => {
    const named = pythonLaunch('from flask import Flask\napplication = Flask(__name__)\nif __name__ == "__main__":\n    application.run()\n');
    expect(named?.app).toBe('application');
    const factory = ['from flask import Flask', 'def create_app():', '    app = Flask(__name__)', '    return app', 'if __name__ == "__main__":', '    app = create_app()', '    app.run()', ''].join('\n');
    expect(pythonLaunch(factory)?.app).toBe('create_app()');
    // A factory the file does not define, or called with arguments, is not guessed.
    const imported = ['from flask import Flask', 'from shop import create_app', 'def create_app_later(): pass', 'if __name__ == "__main__":', '    app = create_app()', '    app.run()', ''].join('\n');
    expect(pythonLaunch(imported.replace('create_app_later', 'create_app'))?.app).toBe('create_app()');
    expect(pythonLaunch(imported)?.app).toBeUndefined();
    expect(pythonLaunch(factory.replace('app = create_app()', 'app = create_app("prod")'))?.app).toBeUndefined();
  });

  it('ignores .run( on objects that are not a Flask app, and files without a launch', () => {
    expect(pythonLaunch('import asyncio\nasyncio.run(main())\n')).toBeUndefined();
    expect(pythonLaunch('from flask import Flask\napp = Flask(__name__)\n')).toBeUndefined();
    expect(pythonLaunch('subprocess.run(["ls"])\n')).toBeUndefined();
  });
});
