/**
 * @module What the rules could not check, said in the report instead of by silence: a container whose CPU is unset
 * (no limit or request, and no platform default) or written as an expression pytuner does not evaluate, an interactive
 * app server (streamlit, gradio) that has no worker settings to tune, and a free-threaded build, for which the GIL
 * rules change, a Python program that starts no server pytuner recognises, and a server in a Dockerfile or Procfile
 * whose platform is not known (so silence is not read as a pass).
 * Pure; the notes go to `Report.notes`.
 */
import type { ImageFacts } from '../model/image.ts';
import type { ContainerFacts, Inventory, Workload } from '../model/workload.ts';
import { freeThreaded } from './facts.ts';
import { serverPlugin } from '../model/server/registry.ts';
import { isProjectRunner, PYTHON } from '../model/server/argv.ts';

/** One note per container and reason, in inventory order. */
export function coverageNotes(inventory: Inventory): string[] {
  const notes: string[] = [];
  for (const workload of inventory.workloads) {
    for (const container of workload.containers) notes.push(...containerNotes(workload, container));
  }
  const images = [...inventory.standaloneImages, ...inventory.workloads.flatMap((w) => w.containers.flatMap((c) => (c.dockerfile === undefined || c.command !== undefined ? [] : [c.dockerfile])))];
  // One note per Dockerfile line, though each container built from it has its own copy of the image.
  notes.push(...new Set(images.flatMap(brokenExecForm)));
  for (const image of inventory.standaloneImages) {
    if (image.server?.interactive !== undefined) notes.push(`${image.file}: ${image.server.interactive}`);
    else if (image.server !== undefined) notes.push(`${image.file}: ${platformUnknown(serverPlugin(image.server.kind).title)}`);
    const program = image.server === undefined ? pythonProgram(imageArgv(image)) : undefined;
    if (program !== undefined) notes.push(`${image.file}: ${unrecognised(program)}`);
    const inherited = inheritedCommand(image);
    if (inherited !== undefined) notes.push(`${image.file}: ${inherited}`);
  }
  return notes;
}

/** A RUN that installs Python packages: the image is a Python service's even when its command is not its own. */
const PYTHON_INSTALL = /\b(?:pip3?|poetry|pipenv|uv)\s+(?:install|sync)\b/;

/**
 * A Python image (a final-stage RUN installs packages with pip, poetry, pipenv or uv) with no CMD, ENTRYPOINT or
 * Procfile of its own runs what its base image runs (`FROM tiangolo/uvicorn-gunicorn-fastapi`), which pytuner does not
 * read; the official `python` image's command is the interpreter, no server, and is left alone.
 */
function inheritedCommand(image: ImageFacts): string | undefined {
  if (image.server !== undefined || image.cmd !== undefined || image.entrypoint !== undefined || image.procfileWeb !== undefined) return undefined;
  const base = image.base;
  if (base === undefined || base.repository === 'python' || !image.runs.some((run) => run.final && PYTHON_INSTALL.test(run.text))) return undefined;
  return `not checked: no CMD or ENTRYPOINT, so the container runs the command of its base image ${base.ref}, which pytuner does not read; write the server command in the Dockerfile or the manifest to have it checked`;
}

function containerNotes(workload: Workload, container: ContainerFacts): string[] {
  const server = container.server;
  const { ref } = workload;
  const where = `${ref.file ?? 'API server'}${ref.line === undefined ? '' : `:${ref.line}`}: ${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}[${container.name}]`;
  if (server === undefined) {
    const manifestArgv = [...(container.command ?? []), ...(container.args ?? [])];
    const program = pythonProgram(manifestArgv.length > 0 ? manifestArgv : container.dockerfile === undefined ? [] : imageArgv(container.dockerfile));
    if (program !== undefined) return [`${where}: ${unrecognised(program)}`];
    const inherited = manifestArgv.length > 0 || container.dockerfile === undefined ? undefined : inheritedCommand(container.dockerfile);
    return inherited === undefined ? [] : [`${where}: ${inherited}`];
  }
  if (server.interactive !== undefined) return [`${where}: ${server.interactive}`];
  const notes: string[] = [];
  if (container.cpu === undefined) {
    notes.push(`${where}: not checked: no CPU limit or request, so workers and threads are not compared with vCPU (gunicorn.workers-vs-cpu, cloudrun.cpu-scaling)`);
  } else if (container.cpu.value === undefined) {
    notes.push(`${where}: not checked: the CPU is ${container.cpu.evidence.text ?? 'not known'}, so workers and threads are not compared with vCPU`);
  }
  const free = freeThreaded(container);
  if (free !== undefined) {
    notes.push(`${where}: free-threaded Python (${free.text ?? free.field}): threads of one process run Python on several cores, so fewer processes than vCPU is not flagged for threaded servers; ${server.kind}: ${serverPlugin(server.kind).concurrency.freeThreaded}`);
  }
  return notes;
}

/** A server found in a Dockerfile or Procfile that no manifest claims and that does not serve on `$PORT`. */
function platformUnknown(server: string): string {
  return `only its image was checked: it starts ${server}, but no manifest claims it and its command does not serve on $PORT, so where it runs is not known; give its manifest too, or --platform cloudrun, knative or kubernetes`;
}

/**
 * An ENTRYPOINT or CMD written as a bracketed list that is not valid JSON (`["gunicorn", "-w", "2" "app:app"]`, single
 * quotes): Docker runs the whole text as a shell command, which fails when the container starts, and pytuner sees no
 * server in it. Said, so that the silence of the server rules is not read as a pass.
 */
function brokenExecForm(image: ImageFacts): string[] {
  return (['entrypoint', 'cmd'] as const).flatMap((which) => {
    const command = image[which];
    const text = command?.argv.at(-1)?.trim();
    if (command === undefined || command.argv.length < 2 || text === undefined || !text.startsWith('[')) return [];
    const { file, line } = command.evidence;
    const where = `${file ?? image.file}${line === undefined ? '' : `:${line}`}`;
    return [`${where}: ${which.toUpperCase()} is not a valid JSON array (a missing comma or quote, or single quotes): Docker runs it as the shell command \`${[...command.argv.slice(0, -1), text].join(' ')}\`, which fails when the container starts; server rules were not applied to it`];
  });
}

/** What the image runs: its ENTRYPOINT and CMD, else (a buildpacks build) its Procfile's `web:` command. */
function imageArgv(image: ImageFacts): string[] {
  const argv = [...(image.entrypoint?.argv ?? []), ...(image.cmd?.argv ?? [])];
  return argv.length > 0 || image.procfileWeb === undefined ? argv : [image.procfileWeb.command];
}

/**
 * `python run.py` or `python -m app` in a command (a shell-form command split at blanks: this only names it), as
 * written; undefined when the command runs no Python program.
 */
function pythonProgram(argv: readonly string[]): string | undefined {
  const words = argv.flatMap((word) => word.split(/\s+/)).filter((word) => word !== '');
  const at = words.findIndex((word) => PYTHON.test(word.slice(word.lastIndexOf('/') + 1)));
  if (at === -1) return scriptProgram(words);
  const module = words.indexOf('-m', at);
  const target = module !== -1 ? words.slice(at + 1, module + 2) : words.slice(at + 1).filter((word) => word.endsWith('.py')).slice(0, 1);
  return target.length === 0 ? undefined : ['python', ...target.filter((word) => !word.startsWith('-') || word === '-m')].join(' ');
}

/**
 * A `.py` file run by a project runner (`uv run server.py`, `poetry run ./app.py`) or as the command itself (an
 * executable script with a shebang), as written from the runner on.
 */
function scriptProgram(words: readonly string[]): string | undefined {
  const at = words.findIndex((word) => word.endsWith('.py'));
  if (at === -1) return undefined;
  const runner = words.findIndex((word, i) => i < at && isProjectRunner(word));
  if (runner !== -1 && words[runner + 1] === 'run') return words.slice(runner, at + 1).join(' ');
  return at === 0 ? words[0] : undefined;
}

/**
 * Model servers started as Python modules: they batch requests on accelerators and have their own concurrency
 * settings (vLLM's --max-num-seqs, SGLang's --max-running-requests, TGI's --max-concurrent-requests), none of which
 * are WSGI/ASGI workers or threads.
 */
const MODEL_SERVERS: readonly (readonly [RegExp, string])[] = [
  [/^python -m vllm\./, 'vLLM'],
  [/^python -m sglang\./, 'SGLang'],
  [/^python -m text_generation_server\b/, 'Text Generation Inference'],
];

function unrecognised(program: string): string {
  const model = MODEL_SERVERS.find(([pattern]) => pattern.test(program))?.[1];
  if (model !== undefined) return `not checked: \`${program}\` is ${model}, a model server that batches requests on accelerators under its own concurrency settings: outside what pytuner tunes`;
  return `not checked: \`${program}\` starts no web server pytuner recognises (one started in code it does not follow, or one it does not know): no worker, thread, timeout or probe rule applied`;
}
