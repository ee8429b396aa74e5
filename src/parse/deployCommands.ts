/**
 * @module `gcloud run deploy` commands outside Cloud Build configs (those are read by `buildConfig.ts`): in GitHub
 * Actions workflows (a step's `run:` text, and the `google-github-actions/deploy-cloudrun` action's `with:`), shell
 * scripts and Makefile recipes. A file that holds no such command, or does not parse, yields nothing: these files
 * are read for this one fact, never reported on. Pure.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { parseManifests } from './manifests.ts';
import type { ParsedDocument } from './types.ts';
import { lineAt } from './fieldPath.ts';
import type { BuiltImage } from './buildConfig.ts';
import { commandBuilds, shellCommands } from './buildConfig.ts';
import type { RunDeployCommand } from './gcloudRunDeploy.ts';
import { deployCommandName, runDeployOf, withLines } from './gcloudRunDeploy.ts';

/** isWorkflowFile: the path is a GitHub Actions workflow (`.github/workflows/*.yml`). */
export function isWorkflowFile(file: string): boolean {
  return /(?:^|\/)\.github\/workflows\/[^/]+\.ya?ml$/.test(file.replaceAll('\\', '/'));
}

/** isDeployScript: a file named like a shell script or a Makefile, read for the `gcloud run deploy` commands it may run. */
export function isDeployScript(name: string): boolean {
  return name.endsWith('.sh') || name === 'Makefile' || name === 'makefile' || name === 'GNUmakefile';
}

/** The cheap test a file's text must pass to be parsed for deploy commands at all. */
export function mayRunDeploy(text: string): boolean {
  return text.includes('run deploy') || text.includes('deploy-cloudrun') || /\bservices\s+update\b/.test(text);
}

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const envMap = z.record(z.string(), scalar).optional().catch(undefined);
const workflowStep = z.looseObject({
  run: z.string().optional(),
  uses: z.string().optional(),
  with: z.record(z.string(), scalar).optional(),
  env: envMap,
  'working-directory': z.string().optional(),
});
const defaultsRun = z.looseObject({ run: z.looseObject({ 'working-directory': z.string().optional() }).optional() }).optional().catch(undefined);
const workflow = z.looseObject({
  env: envMap,
  defaults: defaultsRun,
  jobs: z.record(z.string(), z.looseObject({ env: envMap, defaults: defaultsRun, steps: z.array(z.unknown()).optional().catch(undefined) }).catch({})),
});

/** A GitHub expression (`${{ env.SERVICE }}`): kept as written unless it reads an env var given a literal value. */
const EXPRESSION = /\$\{\{\s*([^}]*?)\s*\}\}/g;

/**
 * The deploy commands of a GitHub Actions workflow, and the images its `run:` steps build (`docker build -t "$IMAGE"
 * api`): a deploy of the image a step of its job builds runs that Dockerfile. `root` is the repository root the
 * workflow runs in (`.github/..`).
 */
export function readWorkflow(file: string, text: string): { deploys: RunDeployCommand[]; builds: BuiltImage[] } {
  const read: { deploys: RunDeployCommand[]; builds: BuiltImage[] } = { deploys: [], builds: [] };
  if (!mayRunDeploy(text)) return read;
  const doc = parseManifests(file, text).documents[0];
  const parsed = workflow.safeParse(doc?.object);
  if (doc === undefined || !parsed.success) return read;
  const root = posix.join(posix.dirname(file.replaceAll('\\', '/')), '../..');
  for (const [jobId, job] of Object.entries(parsed.data.jobs)) {
    (job.steps ?? []).forEach((raw, index) => {
      const step = workflowStep.safeParse(raw);
      if (!step.success) return;
      const env = literalEnv({ ...parsed.data.env, ...job.env, ...step.data.env });
      const cwd = posix.join(root, step.data['working-directory'] ?? job.defaults?.run?.['working-directory'] ?? parsed.data.defaults?.run?.['working-directory'] ?? '.');
      const at: StepAt = { file, text, doc, path: ['jobs', jobId, 'steps', index], field: `jobs.${jobId}.steps[${index}]` };
      stepCommands(step.data, env, cwd, root, at, read);
    });
  }
  return read;
}

/** Where a workflow step is: its file and text, the parsed document, its field path. */
interface StepAt {
  file: string;
  text: string;
  doc: ParsedDocument;
  path: Array<string | number>;
  field: string;
}

/** The deploy commands and image builds of one step: its `run:` text's, or the deploy-cloudrun action's. */
function stepCommands(step: z.infer<typeof workflowStep>, env: ReadonlyMap<string, string>, cwd: string, root: string, at: StepAt, read: { deploys: RunDeployCommand[]; builds: BuiltImage[] }): void {
  const { file, text, doc, path, field } = at;
  const { deploys, builds } = read;
  if (step.run !== undefined) {
    const start = lineAt(doc.fieldLines, [...path, 'run']);
    const block = step.run.includes('\n') ? 1 : 0;
    for (const { argv, index, end } of expressionSafeCommands(step.run, withScriptAssignments(step.run, env))) {
      const line = start === undefined ? {} : { line: start + block + index };
      for (const built of commandBuilds(argv, cwd)) builds.push({ ...built, file, field: `${field}.run`, ...line });
      const deploy = runDeployOf(argv, cwd, { file, field: `${field}.run`, ...line });
      if (deploy !== undefined) deploys.push(withLines(deploy, text, deploy.line, start === undefined ? undefined : start + block + end));
    }
  } else if (/^google-github-actions\/deploy-cloudrun@/.test(step.uses ?? '')) {
    const inputs = step.with ?? {};
    const line = lineAt(doc.fieldLines, [...path, 'with']);
    const deploy = runDeployOf(actionArgv(inputs, env), root, { file, field: `${field}.with`, ...(line === undefined ? {} : { line }) });
    // The inputs' lines: to the last input's, and past it by the lines of a block value (`flags: |`).
    const ends = Object.entries(inputs).map(([key, value]) => (lineAt(doc.fieldLines, [...path, 'with', key]) ?? 0) + (value.includes('\n') ? value.trimEnd().split('\n').length : 0));
    if (deploy !== undefined) deploys.push(withLines(deploy, text, line, Math.max(line ?? 0, ...ends)));
  }
}

/**
 * The command `google-github-actions/deploy-cloudrun` runs for its inputs (https://github.com/google-github-actions/deploy-cloudrun):
 * `service`, `image` or `source`, `env_vars` (`KEY=VALUE` pairs, comma- or newline-separated) and `flags` (more gcloud flags).
 */
function actionArgv(inputs: Readonly<Record<string, string>>, env: ReadonlyMap<string, string>): string[] {
  const value = (key: string) => (inputs[key] === undefined ? undefined : resolveExpressions(inputs[key], env));
  const argv = ['gcloud', 'run', 'deploy'];
  const service = value('service');
  if (service !== undefined) argv.push(service);
  const image = value('image');
  if (image !== undefined) argv.push(`--image=${image}`);
  const source = value('source');
  if (source !== undefined) argv.push(`--source=${source}`);
  for (const pair of (value('env_vars') ?? '').split(/[\n,]/)) if (pair.trim().includes('=')) argv.push(`--update-env-vars=${pair.trim()}`);
  const flags = value('flags');
  if (flags !== undefined) for (const { argv: words } of expressionSafeCommands(flags, env)) argv.push(...words);
  return argv;
}

/**
 * `env` and the variables a `run:` text assigns exactly once on a line of their own (`TAG="$REGION-docker.pkg.dev/p/
 * app:${{ github.sha }}"`, `export TAG=...`), to a value without a command substitution or an unresolved `$NAME`:
 * `docker build --tag "${TAG}"` then names the image a later step deploys by its expression.
 */
function withScriptAssignments(run: string, env: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  const assigned = new Map<string, string[]>();
  for (const { argv } of expressionSafeCommands(run, env)) {
    const words = argv[0] === 'export' ? argv.slice(1) : argv;
    const assignment = words.length === 1 ? /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(words[0] as string) : null;
    if (assignment !== null) assigned.set(assignment[1] as string, [...(assigned.get(assignment[1] as string) ?? []), assignment[2] as string]);
  }
  const out = new Map(env);
  for (const [name, values] of assigned) {
    const [value] = values;
    if (values.length === 1 && value !== undefined && !/\$(?!\{\{)|`/.test(value)) out.set(name, value);
  }
  return out;
}

/** Env vars with a literal value (no expression), which a `run:` text's `$NAME` and an `env.NAME` expression read. */
function literalEnv(env: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(env).filter(([, value]) => !value.includes('${{')));
}

function resolveExpressions(text: string, env: ReadonlyMap<string, string>): string {
  return text.replaceAll(EXPRESSION, (whole, expression: string) => {
    const name = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression)?.[1];
    return (name === undefined ? undefined : env.get(name)) ?? whole;
  });
}

// Expressions are swapped for private-use markers while the shell text is split (`${{ a }}` holds spaces and braces the
// shell splitter would cut), then put back.
const MARK = /\uE100(\d+)\uE101/g;

/** Shell text's commands, with GitHub expressions and `$NAME` references resolved where `env` gives a literal. */
function expressionSafeCommands(text: string, env: ReadonlyMap<string, string>): Array<{ argv: string[]; index: number; end: number }> {
  const expressions: string[] = [];
  const marked = resolveExpressions(text, env).replaceAll(/[\uE100\uE101]/g, '').replaceAll(EXPRESSION, (whole) => `\uE100${expressions.push(whole) - 1}\uE101`);
  return shellCommands(marked).map(({ argv, index, end }) => ({
    argv: argv.map((word) => word.replaceAll(MARK, (_, n: string) => expressions[Number(n)] as string).replaceAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (ref, name: string) => env.get(name) ?? ref)),
    index,
    end,
  }));
}

/**
 * The deploy commands of a shell script or a Makefile, run from the file's directory, and the images it builds (`docker
 * build -t "$IMAGE" .`, `pack build "$IMAGE"`): a deploy of the image the same script builds with the same variable
 * runs what that build holds. In a Makefile, recipe lines (`\t@gcloud run deploy ...`) are read, `$(VAR)` stands for a
 * variable the Makefile assigns a literal (`VAR := x`) or is kept as a reference, and `$$` is a shell `$`.
 */
export function readScript(file: string, text: string): { deploys: RunDeployCommand[]; builds: BuiltImage[] } {
  const read: { deploys: RunDeployCommand[]; builds: BuiltImage[] } = { deploys: [], builds: [] };
  if (!mayRunDeploy(text)) return read;
  const cwd = posix.dirname(file.replaceAll('\\', '/'));
  const shell = posix.basename(file).endsWith('.sh') ? text : makeRecipes(text);
  for (const { argv, index, end } of shellCommands(shell)) {
    for (const built of commandBuilds(argv, cwd)) read.builds.push({ ...built, file, field: argv.slice(0, 2).join(' '), line: index + 1 });
    const deploy = runDeployOf(argv, cwd, { file, field: 'gcloud run deploy', line: index + 1 });
    if (deploy?.update === true) deploy.field = deployCommandName(deploy);
    if (deploy !== undefined) read.deploys.push(withLines(deploy, text, index + 1, end + 1));
  }
  return read;
}

/** A Makefile as shell text, line for line: recipe lines with make's variables expanded where literal, other lines blank. */
function makeRecipes(text: string): string {
  const lines = text.split(/\r?\n/);
  const variables = new Map<string, string>();
  for (const line of lines) {
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::{1,3}=|\?=|=)\s*(.*)$/.exec(line);
    if (assignment !== null && !(assignment[2] as string).includes('$')) variables.set(assignment[1] as string, (assignment[2] as string).trim());
  }
  return lines
    .map((line) => {
      if (!line.startsWith('\t')) return '';
      return line
        .slice(1)
        .replace(/^[@+-]+/, '')
        .replaceAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (ref, a: string | undefined, b: string | undefined) => variables.get((a ?? b) as string) ?? `\${${(a ?? b) as string}}`)
        .replaceAll('$$', '$');
    })
    .join('\n');
}
