/**
 * @module Build configs read for one fact: which image is built from which directory and Dockerfile. Cloud Build
 * configs (`cloudbuild.yaml`, `*.cloudbuild.yaml`, `cloudbuild.json`, and other names holding `cloudbuild` whose
 * content has a config's shape: `docker build`/`docker buildx build` steps,
 * as builder args or in a `bash -c` / `script:` text, with the step's `dir:`, and `gcloud builds submit --tag`)
 * and Skaffold `Config` objects (`build.artifacts[]` and each profile's). Pure: text or parsed objects in, facts out.
 * A Cloud Build config's paths are joined to the build's source root, wherever the config is in it: Cloud Build runs
 * each step in `/workspace`, the source root, or in its `dir:` relative to it
 * (https://cloud.google.com/build/docs/build-config: "If you set the dir field to a relative directory, it is relative
 * to /workspace"); a trigger's source is the repository, and `gcloud builds submit --config test/x.yaml .` submits
 * `.`. Skaffold resolves `context` against its config's directory. Images stay as written, substitutions (`${PROJECT_ID}`, `$_TAG`) included, except a user substitution
 * the config gives a default for (`substitutions: {_IMAGE: ...}`), which is replaced by it.
 */
import { posix } from 'node:path';
import { parse as parseShell } from 'shell-quote';
import { z } from 'zod';
import type { InputError } from '../model/finding.ts';
import type { FieldLines, ParsedDocument } from './types.ts';
import { parseManifests } from './manifests.ts';
import { lineAt } from './fieldPath.ts';
import type { RunDeployCommand } from './gcloudRunDeploy.ts';
import { runDeployOf, withLines } from './gcloudRunDeploy.ts';

/** An image a build config builds, and from what. */
export interface BuiltImage {
  /** The image as written, tag and substitutions included (`us-docker.pkg.dev/${PROJECT_ID}/models/app:latest`). */
  image: string;
  /** The build context directory, posix-normalised (`.` is the current directory). */
  context: string;
  /** The Dockerfile the build uses: `-f`/`docker.dockerfile`, else `Dockerfile` in the context; for `pack build`, the Procfile in its path. */
  dockerfile: string;
  /** Where the config says it. */
  file: string;
  line?: number;
  /** The field that says it (`steps[0].args`, `build.artifacts[1]`). */
  field: string;
}

/** What one build config yields. */
export interface BuildFacts {
  images: BuiltImage[];
  /** `gcloud run deploy` commands a Cloud Build config runs. */
  deploys?: RunDeployCommand[];
  errors: InputError[];
}

/** isCloudBuildConfig: the file is a Cloud Build config by its name. */
export function isCloudBuildConfig(name: string): boolean {
  return /^(?:.+\.)?cloudbuild\.(?:ya?ml|json)$/.test(name);
}

/**
 * mayBeCloudBuildConfig: a name that other teams give Cloud Build configs (`cloudbuild-prod.yaml`,
 * `cloudbuild_test.yml`), which an unrelated file may bear too: its content decides (`hasCloudBuildShape`).
 */
export function mayBeCloudBuildConfig(name: string): boolean {
  return /cloudbuild.*\.(?:ya?ml|json)$/i.test(name);
}

/** The shape only a Cloud Build config has: no `apiVersion`/`kind`, and a `steps` list of objects that each name a builder. */
const cloudBuildShape = z.looseObject({ apiVersion: z.undefined().optional(), kind: z.undefined().optional(), steps: z.array(z.looseObject({ name: z.string() })).min(1) });

/** hasCloudBuildShape: the text's first document is a Cloud Build config by its content (see `cloudBuildShape`). */
export function hasCloudBuildShape(file: string, text: string): boolean {
  const doc = parseManifests(file, text).documents[0];
  return doc !== undefined && cloudBuildShape.safeParse(doc.object).success;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const cloudBuildStep = z.looseObject({
  name: z.string().optional(),
  entrypoint: z.string().optional(),
  args: z.array(scalar).optional(),
  dir: z.string().optional(),
  script: z.string().optional(),
});
const cloudBuildConfig = z.looseObject({ steps: z.array(cloudBuildStep), substitutions: z.record(z.string(), scalar).optional() });

/** A Cloud Build substitution reference: `$_NAME`, `${_NAME}`, `$PROJECT_ID`, `${PROJECT_ID}` (no groups: it also splits). */
export const SUBSTITUTION = /\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g;

/**
 * cloudBuildImages reads a Cloud Build config built from the source root `root` (the directory a path is given from).
 * A config that does not parse, or whose `steps` are not a list of steps, is an error naming the file and field; a
 * step that builds nothing is ignored.
 */
export function cloudBuildImages(file: string, text: string, root: string): BuildFacts {
  const parsed = parseManifests(file, text);
  const doc = parsed.documents[0];
  if (doc === undefined) return { images: [], errors: parsed.errors };
  const config = cloudBuildConfig.safeParse(doc.object);
  if (!config.success) return { images: [], errors: [edgeError(file, doc, config.error, 'a Cloud Build config (steps: a list of steps)')] };
  const images: BuiltImage[] = [];
  // A user substitution's default (`substitutions: {_IMAGE: ...}`) is what a build without --substitutions uses.
  const defaults = config.data.substitutions ?? {};
  // An empty default (`_SERVICE_NAME: ''`) is a placeholder the submitting command must fill: no value.
  const substitute = (image: string) => image.replaceAll(SUBSTITUTION, (ref) => defaults[ref.replaceAll(/^\$\{?|\}$/g, '')] || ref);
  const deploys: RunDeployCommand[] = [];
  config.data.steps.forEach((step, index) => {
    const cwd = posix.join(root, step.dir ?? '.');
    const field = `steps[${index}]`;
    const line = lineAt(doc.fieldLines, ['steps', index]);
    for (const { argv, path, index: offset, end } of stepCommands(step)) {
      for (const built of commandBuilds(argv, cwd)) images.push(withLine({ ...built, image: substitute(built.image), file, field }, line));
      const at = lineAt(doc.fieldLines, ['steps', index, ...path]);
      const deploy = runDeployOf(argv.map(substitute), cwd, { file, field: `${field}.${path.join('.').replaceAll(/\.(\d+)/g, '[$1]')}`, ...(at === undefined ? {} : { line: at + offset }) });
      // The builder's own args are one list item a line (or one flow line); a shell text's command spans its lines.
      const lastArg = path.length === 1 && path[0] === 'args' ? lineAt(doc.fieldLines, ['steps', index, 'args', (step.args?.length ?? 1) - 1]) : undefined;
      if (deploy !== undefined) deploys.push(withLines(deploy, text, deploy.line, lastArg ?? (at === undefined ? undefined : at + end)));
    }
  });
  return { images, deploys, errors: [] };
}

const skaffoldArtifact = z.looseObject({
  image: z.string(),
  context: z.string().optional(),
  docker: z.looseObject({ dockerfile: z.string().optional() }).optional(),
  kaniko: z.looseObject({ dockerfile: z.string().optional() }).optional(),
});

/** Skaffold builders that build no Dockerfile: their artifacts say nothing about one. */
const NOT_DOCKERFILE_BUILDERS = ['ko', 'jib', 'bazel', 'buildpacks', 'custom'] as const;
const skaffoldBuild = z.looseObject({ artifacts: z.array(skaffoldArtifact).optional() });
const skaffoldConfig = z.looseObject({
  build: skaffoldBuild.optional(),
  profiles: z.array(z.looseObject({ build: skaffoldBuild.optional() })).optional(),
});

/** isSkaffoldConfig: the object is a Skaffold `Config` (`apiVersion: skaffold/v…`), any schema version. */
export function isSkaffoldConfig(object: unknown): boolean {
  if (typeof object !== 'object' || object === null) return false;
  const { apiVersion, kind } = object as Record<string, unknown>;
  return typeof apiVersion === 'string' && apiVersion.startsWith('skaffold/') && kind === 'Config';
}

/** skaffoldImages reads the Dockerfile artifacts of a Skaffold Config (docker, kaniko, or no builder named), the top-level build's and each profile's. */
export function skaffoldImages(doc: ParsedDocument): BuildFacts {
  const file = doc.file ?? '-';
  const config = skaffoldConfig.safeParse(doc.object);
  if (!config.success) return { images: [], errors: [edgeError(file, doc, config.error, 'a Skaffold Config')] };
  const base = posix.dirname(file);
  const builds: Array<{ path: Array<string | number>; build: z.infer<typeof skaffoldBuild> | undefined }> = [
    { path: ['build'], build: config.data.build },
    ...(config.data.profiles ?? []).map((profile, i) => ({ path: ['profiles', i, 'build'], build: profile.build })),
  ];
  const images: BuiltImage[] = [];
  for (const { path, build } of builds) {
    (build?.artifacts ?? []).forEach((artifact, i) => {
      if (NOT_DOCKERFILE_BUILDERS.some((builder) => artifact[builder] !== undefined)) return;
      const segments = [...path, 'artifacts', i];
      const context = posix.join(base, artifact.context ?? '.');
      const dockerfile = posix.join(context, artifact.docker?.dockerfile ?? artifact.kaniko?.dockerfile ?? 'Dockerfile');
      images.push(withLine({ image: artifact.image, context, dockerfile, file, field: segments.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').slice(1) }, lineAt(doc.fieldLines, segments)));
    });
  }
  return { images, errors: [] };
}

/**
 * The commands a step runs: the builder's own (`docker`, `gcloud`, the `cloud-sdk` image's) with its args, or a shell
 * text's commands; each with the step field that holds it and its line offset within that field's value.
 */
function stepCommands(step: z.infer<typeof cloudBuildStep>): Array<{ argv: string[]; path: Array<string | number>; index: number; end: number }> {
  const inBlock = (text: string) => {
    const block = text.includes('\n') ? 1 : 0;
    return shellCommands(text).map((c) => ({ ...c, index: c.index + block, end: c.end + block }));
  };
  if (step.script !== undefined) return inBlock(step.script).map((c) => ({ ...c, path: ['script'] }));
  const { program, args, skipped } = stepProgram(step);
  if (program === 'bash' || program === 'sh') {
    const c = args.indexOf('-c');
    return c >= 0 && args[c + 1] !== undefined ? inBlock(args[c + 1] as string).map((cmd) => ({ ...cmd, path: ['args', c + 1 + skipped] })) : [];
  }
  if (program === 'docker' || program === 'gcloud' || program === 'executor' || program === 'pack') return [{ argv: [program, ...args], path: ['args'], index: 0, end: 0 }];
  return [];
}

/**
 * The program a step runs and its arguments: `entrypoint:`, else the builder's. The cloud-sdk image sets no
 * ENTRYPOINT: without `entrypoint:`, args naming a program (`["gcloud", "run", ...]`, as with `name: google/cloud-sdk`)
 * run it (`skipped`: its one arg), other args are read as gcloud's.
 */
function stepProgram(step: z.infer<typeof cloudBuildStep>): { program: string; args: string[]; skipped: number } {
  const args = step.args ?? [];
  const image = (step.name ?? '').split(/[:@]/)[0] ?? '';
  const sdk = step.entrypoint === undefined && posix.basename(image) === 'cloud-sdk';
  if (sdk && ['gcloud', 'bash', 'sh'].includes(args[0] ?? '')) return { program: args[0] as string, args: args.slice(1), skipped: 1 };
  return { program: posix.basename(step.entrypoint ?? (sdk ? 'gcloud' : image)), args, skipped: 0 };
}

/**
 * Shell text split into simple commands, each with the 0-based indexes of the lines it starts and ends on; variable
 * references stay as written (`${PROJECT_ID}`). A line ending in `\\` continues on the next.
 */
export function shellCommands(text: string): Array<{ argv: string[]; index: number; end: number }> {
  const commands: Array<{ argv: string[]; index: number; end: number }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] as string;
    while (/\\$/.test(line) && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i] as string}`;
    let current: string[] = [];
    for (const entry of parseShell(line, (name) => `\${${name}}`)) {
      if (typeof entry === 'string') current.push(entry);
      else if ('op' in entry) {
        commands.push({ argv: current, index: start, end: i });
        current = [];
      }
    }
    commands.push({ argv: current, index: start, end: i });
  }
  return commands.filter((command) => command.argv.length > 0);
}

/** docker build flags that take a value: the one word that is not a flag or a flag's value is the context. */
const DOCKER_VALUE_FLAGS = new Set([
  '-t', '--tag', '-f', '--file', '--build-arg', '--build-context', '--cache-from', '--cache-to', '--platform', '--target',
  '--label', '--network', '--secret', '--ssh', '-o', '--output', '--progress', '--builder', '--iidfile', '--metadata-file',
  '--add-host', '--shm-size', '--ulimit', '--annotation', '--attest', '--allow', '--cgroup-parent', '--isolation', '-m',
  '--memory', '--memory-swap', '--cpu-shares', '--cpu-period', '--cpu-quota', '--cpuset-cpus', '--cpuset-mems', '--call',
]);

/**
 * The images a `docker build`/`docker buildx build`/`gcloud builds submit --tag`/`pack build` command builds, with
 * `cwd` its working directory.
 */
export function commandBuilds(argv: readonly string[], cwd: string): Array<Omit<BuiltImage, 'file' | 'field' | 'line'>> {
  const [program, ...args] = argv;
  if (program === 'executor') return kanikoBuild(args, cwd);
  if (program === 'pack' && args[0] === 'build') return packBuild(args.slice(1), cwd);
  const sub = args[0] === 'buildx' || args[0] === 'image' ? args.slice(1) : args;
  if (program === 'docker' && sub[0] === 'build') return dockerBuild(sub.slice(1), cwd);
  if (program === 'gcloud' && args[0] === 'builds' && args[1] === 'submit') return gcloudSubmit(args.slice(2), cwd);
  return [];
}

/** Kaniko (`gcr.io/kaniko-project/executor`): `--destination`, `--context` (a local directory or `dir://`), `--dockerfile` in the context. */
function kanikoBuild(args: readonly string[], cwd: string): Array<Omit<BuiltImage, 'file' | 'field' | 'line'>> {
  const { values } = readFlags(args, new Set(['--destination', '-d', '--context', '-c', '--dockerfile', '-f']));
  const contextArg = (values.get('--context') ?? values.get('-c'))?.at(-1)?.replace(/^dir:\/\//, '') ?? '.';
  if (/^[a-z0-9]+:\/\//.test(contextArg)) return [];
  const context = posix.join(cwd, contextArg.replace(/^\/workspace\/?/, ''));
  const dockerfile = posix.join(context, (values.get('--dockerfile') ?? values.get('-f'))?.at(-1) ?? 'Dockerfile');
  return [...(values.get('--destination') ?? []), ...(values.get('-d') ?? [])].map((image) => ({ image, context, dockerfile }));
}

/** pack flags that take a value (`pack build --help`, pack 0.38): the one word that is neither is the image. */
const PACK_VALUE_FLAGS = new Set([
  '-p', '--path', '-B', '--builder', '-b', '--buildpack', '-e', '--env', '--env-file', '-t', '--tag', '-d', '--descriptor',
  '-D', '--default-process', '--run-image', '--cache-image', '--cache', '--network', '--volume', '--pull-policy', '--platform',
  '--lifecycle-image', '--previous-image', '--workspace', '--gid', '--uid', '--creation-time', '--report-output-dir',
  '--sbom-output-dir', '--pre-buildpack', '--post-buildpack', '--extension', '--docker-host', '--userns', '--post-build-hook',
]);

/**
 * Cloud Native Buildpacks (`pack build IMAGE [--path DIR] [--tag IMAGE2]`): no Dockerfile, the buildpacks start the
 * Procfile's `web` process of the app directory (`--path`, else the working directory), so that Procfile is what the
 * image runs.
 */
function packBuild(args: readonly string[], cwd: string): Array<Omit<BuiltImage, 'file' | 'field' | 'line'>> {
  const { values, positional } = readFlags(args, PACK_VALUE_FLAGS);
  const pathArg = (values.get('--path') ?? values.get('-p'))?.at(-1) ?? '.';
  if (positional[0] === undefined || /^[a-z]+:\/\//.test(pathArg) || /\.(?:zip|jar|tgz|tar\.gz)$/.test(pathArg)) return [];
  const context = posix.join(cwd, pathArg);
  const procfile = posix.join(context, 'Procfile');
  return [positional[0], ...(values.get('--tag') ?? []), ...(values.get('-t') ?? [])].map((image) => ({ image, context, dockerfile: procfile }));
}

function dockerBuild(args: readonly string[], cwd: string): Array<Omit<BuiltImage, 'file' | 'field' | 'line'>> {
  const { values, positional } = readFlags(args, DOCKER_VALUE_FLAGS);
  const contextArg = positional[0];
  if (contextArg === undefined || contextArg === '-' || /^[a-z]+:\/\//.test(contextArg)) return [];
  const context = posix.join(cwd, contextArg);
  const file = values.get('-f') ?? values.get('--file');
  const dockerfile = file === undefined ? posix.join(context, 'Dockerfile') : posix.join(cwd, file[file.length - 1] as string);
  return [...(values.get('-t') ?? []), ...(values.get('--tag') ?? [])].map((image) => ({ image, context, dockerfile }));
}

function gcloudSubmit(args: readonly string[], cwd: string): Array<Omit<BuiltImage, 'file' | 'field' | 'line'>> {
  const { values, positional } = readFlags(args, new Set(['--tag', '-t', '--config', '--region', '--project', '--substitutions', '--ignore-file', '--gcs-source-staging-dir', '--gcs-log-dir', '--machine-type', '--timeout', '--worker-pool', '--service-account', '--pack']));
  const tags = [...(values.get('--tag') ?? []), ...(values.get('-t') ?? [])];
  const context = posix.join(cwd, positional[0] ?? '.');
  return tags.map((image) => ({ image, context, dockerfile: posix.join(context, 'Dockerfile') }));
}

/** Flags (`--tag X`, `--tag=X`, `-t X`) by name, and the words that are neither flags nor their values. */
function readFlags(args: readonly string[], valued: ReadonlySet<string>): { values: Map<string, string[]>; positional: string[] } {
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  const add = (name: string, value: string) => values.set(name, [...(values.get(name) ?? []), value]);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) add(arg.slice(0, eq), arg.slice(eq + 1));
    else if (valued.has(arg) && i + 1 < args.length) add(arg, args[++i] as string);
    else if (!arg.startsWith('-') || arg === '-') positional.push(arg);
  }
  return { values, positional };
}

function withLine(image: BuiltImage, line: number | undefined): BuiltImage {
  return line === undefined ? image : { ...image, line };
}

function edgeError(file: string, doc: { line?: number; fieldLines?: FieldLines }, error: z.ZodError, expected: string): InputError {
  const issue = error.issues[0];
  const field = issue === undefined ? '' : issue.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('').replace(/^\./, '');
  const line = lineAt(doc.fieldLines, issue?.path ?? []) ?? doc.line;
  const out: InputError = { file, message: `not ${expected}: ${issue?.message ?? 'invalid'}` };
  if (field !== '') out.field = field;
  if (line !== undefined) out.line = line;
  return out;
}
