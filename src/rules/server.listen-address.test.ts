// server.listen-address over inventories built from plain manifests, Dockerfiles and Python files by the real model.
import { describe, expect, it } from 'vitest';
import type { LoadedInputs, ParsedDocument, SourceText } from '../parse/types.ts';
import { buildInventory } from '../model/extract/inventory.ts';
import { listenAddress } from './server.listen-address.ts';

type Container = Record<string, unknown>;

const knative = (name: string, container: Container): unknown => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name },
  spec: { template: { spec: { containers: [{ image: `gcr.io/p/${name}`, ...container }] } } },
});

const deployment = (name: string, ...containers: Container[]): unknown => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers } } },
});

function findings(objects: unknown[], sources: SourceText[] = [], platform?: 'cloudrun'): Array<{ message: string; severity: string; bind: unknown; fix: unknown }> {
  const documents: ParsedDocument[] = objects.map((object, docIndex) => ({ file: 'app.yaml', line: 1, docIndex, object }));
  const loaded: LoadedInputs = { documents, sources, errors: [], files: objects.length + sources.length };
  const { inventory } = buildInventory(loaded, [], platform === undefined ? {} : { platform });
  return listenAddress.check(inventory).map((f) => ({ message: f.message, severity: f.severity, bind: f.current.bind, fix: f.fix }));
}

const dockerfile = (file: string, ...lines: string[]): SourceText => ({ kind: 'Dockerfile', file, text: `${lines.join('\n')}\n` });
const context = (file: string, ...lines: string[]): SourceText => ({ kind: 'build-context', file, text: `${lines.join('\n')}\n` });

describe('server.listen-address on Knative and Cloud Run', () => {
  it("reports uvicorn's default 127.0.0.1:8000 as unreachable, critical", () => {
    const [finding, ...others] = findings([knative('api', { args: ['uvicorn', 'main:app'] })]);
    expect(others).toEqual([]);
    expect(finding?.severity).toBe('critical');
    expect(finding?.bind).toBe('127.0.0.1:8000');
    expect(finding?.message).toContain('sends requests to $PORT (8080)');
    expect(finding?.message).toContain('--host 0.0.0.0 --port 8080');
  });

  it('reports every interface at a port other than $PORT, and passes the same server at $PORT', () => {
    const other = findings([knative('web', { args: ['gunicorn', '-b', '0.0.0.0:8000', 'main:app'] })]);
    expect(other.map((f) => f.bind)).toEqual(['0.0.0.0:8000']);
    expect(other[0]?.message).toContain('a server on port 8000');
    expect(findings([knative('web', { args: ['gunicorn', '-b', '0.0.0.0:8000', 'main:app'], ports: [{ containerPort: 8000 }] })])).toEqual([]);
    expect(findings([knative('web', { args: ['hypercorn', '-b', '[::]:8080', 'main:app'] })])).toEqual([]);
  });

  it("passes gunicorn without --bind (0.0.0.0:$PORT) and fastapi run (0.0.0.0, reads $PORT)", () => {
    expect(findings([knative('web', { args: ['gunicorn', 'main:app'] })])).toEqual([]);
    expect(findings([knative('api', { args: ['fastapi', 'run', 'main.py'] })])).toEqual([]);
    expect(findings([knative('api', { args: ['fastapi', 'run', 'main.py', '--host', '127.0.0.1'] })]).map((f) => f.bind)).toEqual(['127.0.0.1:8080']);
  });

  it('says nothing when the address is not known: a Secret, envFrom, a unix socket, a specific address', () => {
    const fromSecret = { name: 'UVICORN_HOST', valueFrom: { secretKeyRef: { name: 's', key: 'host' } } };
    expect(findings([knative('api', { args: ['uvicorn', 'main:app'], env: [fromSecret] })])).toEqual([]);
    expect(findings([knative('api', { args: ['uvicorn', 'main:app'], envFrom: [{ configMapRef: { name: 'settings' } }] })])).toEqual([]);
    expect(findings([knative('api', { args: ['uvicorn', 'main:app', '--uds', '/tmp/app.sock'] })])).toEqual([]);
    expect(findings([knative('api', { args: ['uvicorn', 'main:app', '--host', '10.0.0.5', '--port', '8080'] })])).toEqual([]);
  });

  it('says nothing when a proxy in the same container may be what listens on $PORT', () => {
    expect(findings([knative('api', { args: ['sh', '-c', 'nginx && exec uvicorn main:app --host 127.0.0.1 --port 8000'] })])).toEqual([]);
    const image = dockerfile('Dockerfile', 'FROM python:3.12-slim', 'RUN apt-get update && apt-get install -y nginx', 'COPY . .', 'CMD ["uvicorn", "main:app"]');
    expect(findings([], [image], 'cloudrun')).toEqual([]);
    const plain = dockerfile('Dockerfile', 'FROM python:3.12-slim', 'COPY . .', 'CMD ["uvicorn", "main:app"]');
    expect(findings([], [plain], 'cloudrun').map((f) => f.bind)).toEqual(['127.0.0.1:8000']);
  });

  it('fixes a default address uvicorn reads from env with UVICORN_HOST and UVICORN_PORT, and an explicit --host with notes', () => {
    const [byDefault] = findings([knative('api', { args: ['uvicorn', 'main:app'] })]);
    expect(byDefault?.fix).toEqual({ jsonPatch: [{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'UVICORN_HOST', value: '0.0.0.0' }, { name: 'UVICORN_PORT', value: '8080' }] }] });
    const [explicit] = findings([knative('api', { args: ['uvicorn', 'main:app', '--host', '127.0.0.1', '--port', '8080'] })]);
    expect(explicit?.fix).toEqual({ notes: [expect.stringContaining('$PORT expands only in a shell')] });
  });

  it('reads the env the server reads: UVICORN_HOST and UVICORN_PORT in the manifest fix it', () => {
    const env = [{ name: 'UVICORN_HOST', value: '0.0.0.0' }, { name: 'UVICORN_PORT', value: '8080' }];
    expect(findings([knative('api', { args: ['uvicorn', 'main:app'], env })])).toEqual([]);
  });

  it('checks only the serving container: a sidecar on loopback is reached by it', () => {
    const service = knative('api', { args: ['gunicorn', 'main:app'], ports: [{ containerPort: 8080 }] }) as { spec: { template: { spec: { containers: Container[] } } } };
    service.spec.template.spec.containers.push({ name: 'metrics', image: 'gcr.io/p/metrics', args: ['uvicorn', 'metrics:app'] });
    expect(findings([service])).toEqual([]);
  });

  it("reports a FastMCP server's default address, and not a computed host=", () => {
    const image = dockerfile('mcp/Dockerfile', 'FROM python:3.12-slim', 'WORKDIR /app', 'COPY . .', 'CMD ["python", "server.py"]');
    const server = (...run: string[]) => context('mcp/server.py', 'import os', 'from fastmcp import FastMCP', 'mcp = FastMCP("math")', ...run);
    const [finding] = findings([], [image, server('mcp.run(transport="http")')], 'cloudrun');
    expect(finding?.bind).toBe('127.0.0.1:8000');
    expect(finding?.message).toMatch(/^the FastMCP server \(uvicorn\) listens on 127\.0\.0\.1:8000: Cloud Run sends requests to \$PORT \(8080\)/);
    expect(finding?.message).toContain('FASTMCP_HOST=0.0.0.0');
    expect(findings([], [image, server('mcp.run(transport="http", host="0.0.0.0", port=int(os.environ.get("PORT", 8080)))')], 'cloudrun')).toEqual([]);
    expect(findings([], [image, server('HOST = settings.host', 'mcp.run(transport="http", host=HOST, port=int(os.environ.get("PORT", 8080)))')], 'cloudrun')).toEqual([]);
  });
});

describe('server.listen-address on Kubernetes', () => {
  const uvicorn = (host: string): Container => ({ name: 'api', image: 'gcr.io/p/api', args: ['uvicorn', 'main:app', '--host', host, '--port', '8000'], ports: [{ containerPort: 8000 }] });

  it("reports the pod's only container on loopback", () => {
    expect(findings([deployment('api', uvicorn('127.0.0.1'))]).map((f) => [f.bind, f.severity])).toEqual([['127.0.0.1:8000', 'critical']]);
    expect(findings([deployment('api', uvicorn('localhost'))]).map((f) => f.bind)).toEqual(['localhost:8000']);
  });

  it('says nothing of a port other than the declared containerPort, which a Service may still target', () => {
    expect(findings([deployment('api', { ...uvicorn('0.0.0.0'), ports: [{ containerPort: 8080 }] })])).toEqual([]);
  });

  it('passes a server on loopback behind a proxy container, unless its own probe dials that port', () => {
    const proxy = { name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] };
    const app = { name: 'app', image: 'gcr.io/p/app', args: ['gunicorn', '-b', '127.0.0.1:8000', 'main:app'] };
    expect(findings([deployment('web', proxy, app)])).toEqual([]);
    const probed = { ...app, readinessProbe: { httpGet: { path: '/healthz', port: 8000 } } };
    expect(findings([deployment('web', proxy, probed)]).map((f) => f.bind)).toEqual(['127.0.0.1:8000']);
  });
});
