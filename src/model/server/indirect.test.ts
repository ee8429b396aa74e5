import { describe, expect, it } from 'vitest';
import type { LoadedInputs, SourceText } from '../../parse/types.ts';
import { buildInventory } from '../extract/inventory.ts';
import type { ServerConfig } from '../server.ts';
import { contextPathsOf, referencedContextFiles } from '../../parse/buildContext.ts';
import { parseDockerfile } from '../../parse/dockerfile.ts';

const dockerfile = (file: string, ...lines: string[]): SourceText => ({ kind: 'Dockerfile', file, text: `${lines.join('\n')}\n` });
const context = (file: string, ...lines: string[]): SourceText => ({ kind: 'build-context', file, text: `${lines.join('\n')}\n` });

/** The server of the one workload or standalone image these sources give. */
function serverOf(...sources: SourceText[]): ServerConfig | undefined {
  const loaded: LoadedInputs = { documents: [], sources, errors: [], files: sources.length };
  const { inventory } = buildInventory(loaded, [], { platform: 'cloudrun' });
  return inventory.workloads[0]?.containers[0]?.server ?? inventory.standaloneImages[0]?.server;
}

describe('commands the image runs indirectly, read from the build context', () => {
  it('maps paths in the image to the build context through COPY and WORKDIR', () => {
    const { image } = parseDockerfile('svc/Dockerfile', 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCOPY bin/start.sh /usr/local/bin/\nCOPY conf/uwsgi.ini /etc/uwsgi.ini\n');
    expect(contextPathsOf(image, 'main.py')).toEqual(['svc/main.py']);
    expect(contextPathsOf(image, '/usr/local/bin/start.sh')).toEqual(['svc/bin/start.sh']);
    expect(contextPathsOf(image, 'start.sh')).toContain('svc/bin/start.sh');
    expect(contextPathsOf(image, '/etc/uwsgi.ini')).toEqual(['svc/conf/uwsgi.ini']);
    expect(contextPathsOf(image, '/opt/other.sh')).toEqual([]);
  });

  it('follows an entrypoint script to its last exec, with ${VAR:-default} from the image ENV', () => {
    const server = serverOf(
      dockerfile('svc/Dockerfile', 'FROM python:3.12-slim', 'ENV WORKERS=3', 'COPY docker-entrypoint.sh /', 'ENTRYPOINT ["/docker-entrypoint.sh"]'),
      context('svc/docker-entrypoint.sh', '#!/bin/sh', 'set -e', 'python manage.py migrate --noinput', 'exec gunicorn --bind 0.0.0.0:${PORT:-8080} --workers ${WORKERS:-2} app.wsgi'),
    );
    expect(server?.kind).toBe('gunicorn');
    expect(server?.workers).toMatchObject({ value: 3, viaEnv: 'WORKERS', evidence: { source: 'build-context', file: 'svc/docker-entrypoint.sh' } });
  });

  it("reads python main.py's app.run(...) as Flask's development server, debug=True as evidence", () => {
    const server = serverOf(
      dockerfile('web/Dockerfile', 'FROM python:3.12-slim', 'WORKDIR /app', 'COPY . .', 'CMD ["python", "main.py"]'),
      context('web/main.py', 'import os', 'from flask import Flask', 'app = Flask(__name__)', 'if __name__ == "__main__":', '    app.run(debug=True, host="0.0.0.0", port=int(os.environ.get("PORT", 8080)))'),
    );
    expect(server?.kind).toBe('flask-dev');
    expect(server?.bind?.value).toBe('0.0.0.0:8080');
    expect(server?.development).toMatchObject({ source: 'build-context', file: 'web/main.py', line: 5, text: expect.stringContaining('debug=True') });
  });

  it("reads a FastMCP server's mcp.run(transport=\"http\") as the one uvicorn process it starts, on FastMCP's default bind unless given", () => {
    const image = dockerfile('mcp/Dockerfile', 'FROM python:3.13-slim', 'WORKDIR /app', 'COPY . .', 'ENV WEB_CONCURRENCY=4', 'CMD ["python", "server.py"]');
    const server = serverOf(image, context('mcp/server.py', 'from fastmcp import FastMCP', 'mcp = FastMCP("math")', 'mcp.run(transport="http")'));
    // uvicorn.Server(config).serve() runs one event loop in this process: WEB_CONCURRENCY starts no workers.
    expect([server?.kind, server?.model, server?.workers.value, server?.bind?.value]).toEqual(['uvicorn', 'async', 1, '127.0.0.1:8000']);
    expect(server?.evidence).toMatchObject({ file: 'mcp/server.py', line: 3, field: 'python mcp.run()' });
    const onPort = serverOf(image, context('mcp/server.py', 'import os', 'from fastmcp import FastMCP', 'mcp = FastMCP("math")', 'mcp.run(transport="http", host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))'));
    expect(onPort?.bind).toMatchObject({ value: '0.0.0.0:8080', viaEnv: 'PORT' });
  });

  it('reads `uv run .` as the __main__.py of the working directory (the a2a samples` Cloud Run Dockerfile)', () => {
    const image = dockerfile('a2a/Dockerfile', 'FROM python:3.12-slim-bookworm', 'WORKDIR /app', 'COPY pyproject.toml .', 'COPY . .', 'CMD uv run . --host 0.0.0.0 --app-url-override $APP_URL_OVERRIDE');
    const parsed = parseDockerfile('a2a/Dockerfile', image.text).image;
    expect(referencedContextFiles(parsed)).toContain('a2a/__main__.py');
    const server = serverOf(image, context('a2a/__main__.py', 'import os', 'import uvicorn', 'def main(host, port):', '    uvicorn.run(server.build(), host=host, port=int(os.getenv("PORT", 8080)))'));
    expect([server?.kind, server?.evidence.file, server?.evidence.field]).toEqual(['uvicorn', 'a2a/__main__.py', 'python uvicorn.run()']);
    // `host=host` is computed: unknown, not uvicorn's default 127.0.0.1.
    expect(server?.bind?.value).toBeUndefined();
  });

  it('reads uvicorn.run(...) started through uv run, with its workers', () => {
    const server = serverOf(
      dockerfile('api/Dockerfile', 'FROM python:3.12-slim', 'WORKDIR /srv', 'COPY server.py .', 'CMD ["uv", "run", "server.py"]'),
      context('api/server.py', 'import uvicorn', 'uvicorn.run("server:app", host="0.0.0.0", port=8080, workers=2)'),
    );
    expect([server?.kind, server?.workers.value]).toEqual(['uvicorn', 2]);
  });

  it('sees a Dockerfile running `python run.py` whose uvicorn.run(port=port) reads $PORT as a Cloud Run source deploy', () => {
    const sources = [
      dockerfile('mcp/Dockerfile', 'FROM python:3.12-slim', 'WORKDIR /app', 'COPY . .', 'CMD ["/app/.venv/bin/python", "run.py"]'),
      context('mcp/run.py', 'import os', 'import uvicorn', 'def main() -> None:', '    port = int(os.getenv("PORT", "8080"))', '    uvicorn.run("app:app", host="0.0.0.0", port=port, workers=4)'),
    ];
    // No --platform: Cloud Run is assumed only because the server binds to $PORT.
    const { inventory } = buildInventory({ documents: [], sources, errors: [], files: 2 }, []);
    const [workload, ...others] = inventory.workloads;
    expect(others).toEqual([]);
    expect([workload?.platform, workload?.ref.name, workload?.containers[0]?.server?.kind, workload?.containers[0]?.server?.workers.value]).toEqual(['cloudrun', 'mcp', 'uvicorn', 4]);
    expect(workload?.containers[0]?.server?.bind).toMatchObject({ viaEnv: 'PORT' });
  });

  it('reads a uWSGI ini the command names; options after --ini override it', () => {
    const server = serverOf(
      dockerfile('u/Dockerfile', 'FROM python:3.12-slim', 'COPY uwsgi.ini /etc/uwsgi.ini', 'CMD ["uwsgi", "--ini", "/etc/uwsgi.ini", "--threads", "4"]'),
      context('u/uwsgi.ini', '[uwsgi]', 'module = app.wsgi', 'processes = 4', 'threads = 2', 'harakiri = 10', 'lazy-apps = true'),
    );
    expect(server?.workers).toMatchObject({ value: 4, evidence: { source: 'build-context', file: 'u/uwsgi.ini', line: 3, text: 'processes = 4' } });
    expect(server?.threads.value).toBe(4);
    expect(server?.timeout?.value).toBe(10);
    expect(server?.lazyApps?.value).toBe(true);
    expect(server?.unreadConfig).toEqual([]);
  });

  it('finds granian in an s6-overlay run script', () => {
    const server = serverOf(
      dockerfile('g/Dockerfile', 'FROM python:3.12-slim', 'COPY rootfs/ /', 'ENTRYPOINT ["/init"]'),
      context('g/rootfs/etc/s6-overlay/s6-rc.d/web/run', '#!/command/with-contenv sh', 'exec s6-setuidgid app granian --interface wsgi --workers 2 app:app'),
    );
    expect([server?.kind, server?.workers.value, server?.model]).toEqual(['granian', 2, 'threaded']);
  });

  it('finds the one s6 service that starts a server among several (a task queue and a web server, as paperless-ngx)', () => {
    const image = dockerfile('p/Dockerfile', 'FROM python:3.12-slim', 'COPY ./docker/rootfs /', 'ENTRYPOINT ["/init"]');
    const run = (service: string, command: string) => context(`p/docker/rootfs/etc/s6-overlay/s6-rc.d/${service}/run`, '#!/command/with-contenv /usr/bin/bash', command);
    const consumer = run('svc-consumer', 'exec s6-setuidgid paperless python3 manage.py document_consumer');
    const web = run('svc-webserver', 'exec s6-setuidgid paperless granian --interface asginl --workers 2 "paperless.asgi:application"');
    const flower = run('svc-flower', 'exec celery --app paperless flower');
    expect([serverOf(image, consumer, web, flower)?.kind, serverOf(image, consumer, web, flower)?.workers.value]).toEqual(['granian', 2]);
    // Two services with servers: which one is the service's is not known.
    expect(serverOf(image, web, run('svc-admin', 'exec gunicorn -w 2 admin:app'))).toBeUndefined();
  });

  it('leaves a script that starts no known server to the command as written (exec "$@")', () => {
    const server = serverOf(
      dockerfile('e/Dockerfile', 'FROM python:3.12-slim', 'COPY entrypoint.sh /', 'ENTRYPOINT ["/entrypoint.sh"]', 'CMD ["gunicorn", "-w", "2", "app:app"]'),
      context('e/entrypoint.sh', '#!/bin/sh', 'echo starting', 'exec "$@"'),
    );
    expect([server?.kind, server?.workers.value]).toEqual(['gunicorn', 2]);
  });
});
