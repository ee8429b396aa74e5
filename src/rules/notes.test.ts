import { describe, expect, it } from 'vitest';
import { deployment as deploymentBuilder, dockerfile, inventory, knativeService } from '../../test/builders/index.ts';
import { parseManifests } from '../parse/manifests.ts';
import { analyse } from '../report.ts';
import { coverageNotes } from './notes.ts';

function notesOf(yaml: string): string[] {
  const parsed = parseManifests('d.yaml', yaml);
  return analyse({ documents: parsed.documents, sources: [], errors: parsed.errors, files: 1 }).notes ?? [];
}

const deployment = (containers: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
${containers}`;

describe('coverage notes', () => {
  it('says when a server container has no CPU limit or request, and says nothing once it has one', () => {
    const unset = notesOf(deployment('        - name: web\n          image: registry.example/web:1\n          command: ["gunicorn", "--workers", "2", "app:app"]\n'));
    expect(unset).toEqual(['d.yaml:1: Deployment web[web]: not checked: no CPU limit or request, so workers and threads are not compared with vCPU (gunicorn.workers-vs-cpu, cloudrun.cpu-scaling)']);
    const set = notesOf(deployment('        - name: web\n          image: registry.example/web:1\n          command: ["gunicorn", "--workers", "2", "app:app"]\n          resources: {requests: {cpu: "2"}}\n'));
    expect(set).toEqual([]);
  });

  it('names streamlit and gradio as interactive app servers pytuner does not tune', () => {
    const notes = notesOf(deployment('        - name: ui\n          image: registry.example/ui:1\n          command: ["streamlit", "run", "app.py"]\n        - name: demo\n          image: registry.example/demo:1\n          command: ["gradio", "app.py"]\n'));
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^d\.yaml:1: Deployment web\[ui\]: streamlit is an interactive app server/);
    expect(notes[1]).toMatch(/^d\.yaml:1: Deployment web\[demo\]: gradio is an interactive app server/);
  });

  it('says a free-threaded image changes the GIL rules, and gunicorn.workers-vs-cpu does not flag its gthread worker', () => {
    const parsed = parseManifests('d.yaml', deployment('        - name: web\n          image: python:3.14t-slim\n          command: ["gunicorn", "--workers", "1", "--threads", "8", "app:app"]\n          resources: {limits: {cpu: "4"}}\n'));
    const report = analyse({ documents: parsed.documents, sources: [], errors: [], files: 1 });
    expect(report.notes?.[0]).toContain('free-threaded Python (python:3.14t-slim)');
    expect(report.findings.map((f) => f.rule)).not.toContain('gunicorn.workers-vs-cpu');
  });
});

const UNRECOGNISED = 'starts no web server pytuner recognises';

describe('coverage notes: a Python program whose server pytuner did not find', () => {
  it('names the program of a standalone image that runs `python run.py` (a server started in code)', () => {
    const image = dockerfile('src/agent/Dockerfile').from('python:3.14-slim').cmd(['python', 'run.py']);
    const notes = coverageNotes(inventory().standaloneImage(image).build());
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^src\/agent\/Dockerfile: not checked: `python run\.py` starts no web server/);
  });

  it('names `python -m module` behind a wrapper, and a shell-form command', () => {
    const wrapped = dockerfile('a/Dockerfile').from('python:3.12').cmd(['/venv/bin/opentelemetry-instrument', '/venv/bin/python3.12', '-u', '-m', 'recommendation']);
    const shellForm = dockerfile('b/Dockerfile').from('python:3.12').cmd('cd /app && python3 server.py --port $PORT');
    const notes = coverageNotes(inventory().standaloneImage(wrapped).standaloneImage(shellForm).build());
    expect(notes).toEqual([expect.stringContaining('`python -m recommendation`'), expect.stringContaining('`python server.py`')]);
  });

  it("says a Python image without CMD or ENTRYPOINT runs its base image's command, which is not read", () => {
    const inherits = dockerfile('backend/Dockerfile').from('tiangolo/uvicorn-gunicorn-fastapi:python3.10').run('poetry install --no-root');
    const node = dockerfile('web/Dockerfile').from('node:22').run('npm ci');
    const official = dockerfile('tools/Dockerfile').from('python:3.12-slim').run('pip install -r requirements.txt');
    const notes = coverageNotes(inventory().standaloneImage(inherits).standaloneImage(node).standaloneImage(official).build());
    expect(notes).toEqual([
      'backend/Dockerfile: not checked: no CMD or ENTRYPOINT, so the container runs the command of its base image tiangolo/uvicorn-gunicorn-fastapi:python3.10, which pytuner does not read; write the server command in the Dockerfile or the manifest to have it checked',
    ]);
  });

  it('names a script run by a project runner (`uv run server.py`) or run as the command', () => {
    const uv = dockerfile('mcp/Dockerfile').from('python:3.14-slim').cmd(['uv', 'run', 'server.py']);
    const poetry = dockerfile('p/Dockerfile').from('python:3.12').cmd(['poetry', 'run', '--no-interaction', './app.py']);
    const executable = dockerfile('x/Dockerfile').from('python:3.12').cmd(['./serve.py', '--port', '8080']);
    const notes = coverageNotes(inventory().standaloneImage(uv).standaloneImage(poetry).standaloneImage(executable).build());
    expect(notes).toEqual([
      expect.stringContaining('`uv run server.py` starts no web server'),
      expect.stringContaining('`poetry run --no-interaction ./app.py` starts no web server'),
      expect.stringContaining('`./serve.py` starts no web server'),
    ]);
  });

  it('names the program a buildpacks Procfile runs, as for a Dockerfile, whether or not the program was read', () => {
    const sources = [
      { kind: 'Procfile' as const, file: 'api/Procfile', text: 'web: python main_simple.py\n' },
      { kind: 'Procfile' as const, file: 'worker/Procfile', text: 'web: python -m worker.serve --port $PORT\n' },
      { kind: 'Procfile' as const, file: 'site/Procfile', text: 'web: gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 main:app\n' },
    ];
    const notes = analyse({ documents: [], sources, errors: [], files: 3 }).notes;
    expect(notes).toEqual([
      expect.stringMatching(/^api\/Procfile: not checked: `python main_simple\.py` starts no web server/),
      expect.stringMatching(/^worker\/Procfile: not checked: `python -m worker\.serve` starts no web server/),
    ]);
  });

  it('says when a CMD or ENTRYPOINT is a bracketed list that is not JSON, which Docker runs as a shell command, once per line', () => {
    const broken = 'FROM python:3.12-slim\nCOPY . .\nCMD ["gunicorn", "--bind", ":$PORT", "--workers", "1" "--threads", "8", "main:app"]\n';
    const yaml = (name: string) =>
      `apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: ${name}, annotations: {pytuner.dev/source: .}}\nspec:\n  template:\n    spec:\n      containers:\n      - image: gcr.io/p/${name}\n`;
    const documents = [...parseManifests('a.yaml', yaml('a')).documents, ...parseManifests('b.yaml', yaml('b')).documents];
    const notes = analyse({ documents, sources: [{ kind: 'Dockerfile', file: 'Dockerfile', text: broken }], errors: [], files: 3 }).notes;
    expect((notes ?? []).filter((n) => n.startsWith('Dockerfile:3: CMD is not a valid JSON array'))).toEqual([
      'Dockerfile:3: CMD is not a valid JSON array (a missing comma or quote, or single quotes): Docker runs it as the shell command `/bin/sh -c ["gunicorn", "--bind", ":$PORT", "--workers", "1" "--threads", "8", "main:app"]`, which fails when the container starts; server rules were not applied to it',
    ]);
    const valid = analyse({ documents: [], sources: [{ kind: 'Dockerfile', file: 'Dockerfile', text: broken.replace('"1" ', '"1", ') }], errors: [], files: 1 }).notes;
    expect((valid ?? []).filter((n) => n.includes('not a valid JSON array'))).toEqual([]);
  });

  it('names a server in a Dockerfile no manifest claims and whose platform is not known', () => {
    const text = 'FROM python:3.12-slim\nCMD ["uvicorn", "saleor.asgi:application", "--host=0.0.0.0", "--port=8000", "--workers=2"]\n';
    const notes = analyse({ documents: [], sources: [{ kind: 'Dockerfile', file: 'Dockerfile', text }], errors: [], files: 1 }).notes;
    expect(notes).toEqual([expect.stringMatching(/^Dockerfile: only its image was checked: it starts uvicorn, but no manifest claims it .* --platform cloudrun, knative or kubernetes$/)]);
  });

  it('names a model server started as a module (vLLM) as outside what pytuner tunes, not as an unknown server', () => {
    const vllm = knativeService('gemma').container((c) => c.command('python3', '-m', 'vllm.entrypoints.openai.api_server').args('--model', 'google/gemma-2b'));
    const [note] = coverageNotes(inventory(vllm).build());
    expect(note).toContain('`python -m vllm.entrypoints.openai.api_server` is vLLM, a model server that batches requests on accelerators');
    expect(note).not.toContain(UNRECOGNISED);
  });

  it('says it for a workload container by its object, from the manifest command', () => {
    const service = knativeService('orders').container((c) => c.command('python', 'main.py'));
    const [note] = coverageNotes(inventory(service).build());
    expect(note).toContain('Service default/orders[');
    expect(note).toContain(UNRECOGNISED);
  });

  it('says nothing when a server was found, or when the command runs no Python program', () => {
    const served = dockerfile('c/Dockerfile').from('python:3.12').cmd(['gunicorn', 'main:app']);
    const nginx = dockerfile('d/Dockerfile').from('nginx:1').cmd(['nginx', '-g', 'daemon off;']);
    const oneLiner = dockerfile('e/Dockerfile').from('python:3.12').cmd(['python', '-c', 'print(1)']);
    const gunicornDeployment = deploymentBuilder('api').container((c) => c.command('python', 'main.py').gunicorn({ workers: 2 }));
    const notes = coverageNotes(inventory(gunicornDeployment).standaloneImage(nginx).standaloneImage(oneLiner).standaloneImage(served).build());
    expect(notes.filter((n) => n.includes(UNRECOGNISED))).toEqual([]);
  });
});

describe('coverage notes: free-threaded builds', () => {
  const service = (env?: string) =>
    knativeService('thumbnails').container((c) => {
      const built = c.image('python:3.13t-slim').cpu(4).gunicorn({ workers: 1, threads: 8 });
      return env === undefined ? built : built.env('PYTHON_GIL', env);
    });

  it('notes a free-threaded image, and PYTHON_GIL=0 on any build', () => {
    expect(coverageNotes(inventory(service()).build()).filter((n) => n.includes('free-threaded Python'))).toHaveLength(1);
    expect(coverageNotes(inventory(service('0')).build()).filter((n) => n.includes('free-threaded Python'))).toHaveLength(1);
  });

  it('does not for a free-threaded image run with PYTHON_GIL=1 (the GIL is back on)', () => {
    expect(coverageNotes(inventory(service('1')).build()).filter((n) => n.includes('free-threaded Python'))).toEqual([]);
  });
});
