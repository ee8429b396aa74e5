/**
 * @module The only module that touches the filesystem or stdin: paths from the command line → LoadedInputs.
 * Manifests are parsed here (by the pure `manifests.ts`); Dockerfiles, Procfiles and gunicorn.conf.py stay text.
 * Nothing throws out of `loadPaths`: every unreadable path becomes an InputError and reading carries on.
 */
import { closeSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InputError } from '../model/finding.ts';
import type { LoadedInputs, SourceMapping, SourceText } from '../parse/types.ts';
import { SNIFF_BYTES, parseManifests, sniffManifest } from '../parse/manifests.ts';
import type { SkipReason } from '../parse/manifests.ts';
import { annotatedSourcePaths } from '../model/extract/sourceAnnotation.ts';
import { isKustomization, kustomizationPatchFiles } from '../parse/kustomization.ts';
import { parseDockerfile } from '../parse/dockerfile.ts';
import { hasCloudBuildShape, isCloudBuildConfig, mayBeCloudBuildConfig } from '../parse/buildConfig.ts';
import { isDeployScript, isWorkflowFile, mayRunDeploy } from '../parse/deployCommands.ts';
import type { HclFile } from '../parse/hcl.ts';
import { readTerraformFiles as readTerraformServices } from '../parse/terraform.ts';
import { referencedContextFiles, S6_RUN, s6ContextDirectories, scriptReferences } from '../parse/buildContext.ts';

/** What a file holds, decided by its name; `cloudbuild-named`: by its content, a Cloud Build config or a manifest. */
export type InputKind = 'manifest' | 'terraform' | 'cloudbuild-named' | SourceText['kind'];

/** Directories never walked: dependencies and VCS data hold no deployment inputs. Hidden directories are skipped too. */
const SKIPPED_DIRECTORIES = new Set(['node_modules']);

/**
 * classifyFile decides from a file name what it holds, or undefined when a directory walk should ignore it.
 * gunicorn auto-loads only `./gunicorn.conf.py`; other names are read so `-c prod.gunicorn.conf.py` can be joined.
 */
export function classifyFile(name: string): InputKind | undefined {
  if (isCloudBuildConfig(name)) return 'build-config';
  if (mayBeCloudBuildConfig(name)) return 'cloudbuild-named';
  if (/\.(ya?ml|json)$/i.test(name)) return 'manifest';
  if (name.endsWith('.tf')) return 'terraform';
  if (name.endsWith('.dockerignore')) return undefined;
  if (/^(Dockerfile|Containerfile)(\..+)?$/.test(name) || /\.(Dockerfile|dockerfile|Containerfile)$/.test(name)) return 'Dockerfile';
  if (name === 'Procfile') return 'Procfile';
  if (isDeployScript(name)) return 'deploy-script';
  if (name === 'gunicorn_conf.py' || /gunicorn.*\.conf\.py$/.test(name)) return 'gunicorn.conf.py';
  if (/^requirements.*\.txt$/.test(name) || name === 'pyproject.toml' || name === 'Pipfile') return 'requirements';
  return undefined;
}

/**
 * loadPaths reads files, directories (recursively, in sorted order) and `-` (stdin, read as YAML). Paths are
 * deduplicated (a file reached twice is read once). A file named explicitly with an unknown name is read as YAML.
 * Relative paths stay relative, joined with the walk (`examples/knative/svc.yaml`), so reports match across machines.
 */
export async function loadPaths(paths: string[], opts: LoadOptions = {}): Promise<LoadedInputs> {
  const loader = newLoader();
  await loadInto(loader, paths, opts);
  return loadedFrom(loader);
}

/**
 * loadReportInputs reads what `pytuner report` needs: the given paths, then the source files that `--source`
 * mappings and `pytuner.dev/source` annotations point at. Those second paths contribute only Dockerfiles,
 * Procfiles and gunicorn.conf.py (a source directory's other manifests are not pulled into the report),
 * and a file already read is not read again.
 */
export async function loadReportInputs(paths: string[], mappings: readonly SourceMapping[], opts: LoadOptions = {}): Promise<LoadedInputs> {
  const loader = newLoader();
  await loadInto(loader, paths, opts);
  loader.sourcesOnly = true;
  await loadInto(loader, [...mappings.map((m) => m.path), ...annotatedSourcePaths(loader.documents)], opts);
  return loadedFrom(loader);
}

/** Where stdin comes from (tests pass a stream). */
export interface LoadOptions {
  stdin?: NodeJS.ReadableStream;
}

async function loadInto(loader: Loader, paths: readonly string[], opts: LoadOptions): Promise<void> {
  const given = new Set<string>();
  for (const p of paths) {
    const key = p === '-' ? '-' : normalizeGiven(p);
    if (given.has(key)) continue;
    given.add(key);
    if (p === '-') {
      readPlanned(loader); // keep file order: everything named before `-` comes first
      await loadStdin(loader, opts.stdin ?? process.stdin);
    } else await planGivenPath(loader, p);
  }
  readPlanned(loader);
  await readBuildContext(loader);
  await readTerraformFiles(loader);
}

/**
 * Parses the `.tf` files read (the HCL parser is loaded only when there is one) and adds their Cloud Run services as
 * documents; the parsed files stay on the inputs for the fixes.
 */
async function readTerraformFiles(loader: Loader): Promise<void> {
  const texts = loader.terraformTexts;
  loader.terraformTexts = [];
  if (texts.length === 0) return;
  const { readHcl } = await import('./terraform.ts');
  for (const { file, text } of texts) {
    const read = await readHcl(file, text.replaceAll('\r\n', '\n'));
    if ('error' in read) {
      loader.errors.push(read.error);
      continue;
    }
    loader.terraform.push(read.hcl);
  }
  // All files first: a module's resources take their variables from the module block of another file.
  const found = readTerraformServices(loader.terraform);
  loader.documents.push(...found.documents);
  loader.errors.push(...found.errors);
  loader.notes.push(...found.notes);
}

/** Directory levels searched below a copied root for s6 `run` scripts. */
const S6_SEARCH_DEPTH = 6;

/**
 * Reads the build-context files a Dockerfile's command runs (`parse/buildContext.ts`), and the files those scripts
 * name in turn, once: only files a Dockerfile references are brought in, and one that is not there is skipped
 * silently (the image may get it elsewhere).
 */
async function readBuildContext(loader: Loader): Promise<void> {
  const dockerfiles = loader.sources.filter((s) => s.kind === 'Dockerfile' && !loader.contextRead.has(s.file));
  for (const dockerfile of dockerfiles) {
    loader.contextRead.add(dockerfile.file);
    const { image } = parseDockerfile(dockerfile.file, dockerfile.text);
    const wanted = referencedContextFiles(image);
    for (const dir of s6ContextDirectories(image)) wanted.push(...(await findFiles(dir, S6_RUN, S6_SEARCH_DEPTH)));
    await planContextFiles(loader, wanted);
    // A script the walk already read (as one that may deploy) is still the image's script.
    const scripts = loader.sources.filter((s) => (s.kind === 'build-context' || s.kind === 'deploy-script') && wanted.includes(s.file));
    await planContextFiles(loader, scripts.flatMap((script) => scriptReferences(image, script.text)));
  }
}

async function planContextFiles(loader: Loader, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() === true) planFile(loader, file, 'build-context', true);
  }
  readPlanned(loader);
}

/** Files under `dir` (at most `depth` levels down, hidden entries included: s6 trees are plain) whose path matches `pattern`. */
async function findFiles(dir: string, pattern: RegExp, depth: number): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const child = path.join(dir, entry.name);
    if (entry.isFile() && pattern.test(child)) found.push(child);
    else if (entry.isDirectory() && depth > 0) found.push(...(await findFiles(child, pattern, depth - 1)));
  }
  return found.sort();
}

function loadedFrom(loader: Loader): LoadedInputs {
  skipKustomizePatches(loader);
  const loaded: LoadedInputs = { documents: loader.documents, sources: loader.sources, errors: loader.errors, files: loader.files, skippedFiles: loader.skippedFiles };
  if (loader.terraform.length > 0) loaded.terraform = loader.terraform;
  if (loader.notes.length > 0) loaded.notes = loader.notes;
  return loaded;
}

interface Loader extends LoadedInputs {
  skippedFiles: Record<string, number>;
  terraform: HclFile[];
  notes: string[];
  /** `.tf` texts read and not yet parsed. */
  terraformTexts: { file: string; text: string }[];
  /** Files a walk found that were read as manifests (not skipped): a kustomization may name them as patches. */
  walkedManifests: Set<string>;
  /** Patch files named by the kustomizations read, normalized. */
  kustomizePatches: Set<string>;
  /** Reading source paths: manifests found there are ignored, and an explicitly named file of unknown name is a Dockerfile. */
  sourcesOnly: boolean;
  /** Files found by the walk, in order, with the errors met on the way; read together by `readPlanned`. */
  planned: Array<PlannedFile | { error: InputError; countsAsFile: boolean }>;
  /** Real paths of files already read. */
  seenFiles: Set<string>;
  /** Real paths of directories already walked: a symlink back up the tree is not followed twice. */
  seenDirectories: Set<string>;
  /** Dockerfiles whose build-context references were already read. */
  contextRead: Set<string>;
}

/** A file to read; `walked` when a directory walk found it (a file there that holds no manifest is skipped, not an error). */
interface PlannedFile {
  file: string;
  kind: InputKind;
  walked: boolean;
  /** Its real path when the walk knows it (a plain file in a directory whose real path it resolved); else read asks. */
  real?: string;
  /** The directory given whose walk found it. */
  root?: string;
}

function newLoader(): Loader {
  return { documents: [], sources: [], errors: [], files: 0, skippedFiles: {}, terraform: [], notes: [], terraformTexts: [], walkedManifests: new Set(), kustomizePatches: new Set(), sourcesOnly: false, planned: [], seenFiles: new Set(), seenDirectories: new Set(), contextRead: new Set() };
}

function normalizeGiven(p: string): string {
  const normal = path.normalize(p);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

async function planGivenPath(loader: Loader, given: string): Promise<void> {
  let info;
  try {
    info = await stat(given);
  } catch (err) {
    loader.planned.push({ error: { file: given, message: describeFsError(err) }, countsAsFile: true });
    return;
  }
  if (info.isDirectory()) {
    const before = loader.planned.length;
    await walkDirectory(loader, given);
    // A Cloud Build config's paths are relative to the source root: the directory given, not the config's own.
    for (const entry of loader.planned.slice(before)) if ('file' in entry) entry.root = given;
    // An empty walk would otherwise read as a clean report: say where nothing was found.
    if (loader.planned.length === before && !loader.sourcesOnly) loader.notes.push(`${given}: no file pytuner reads was found in this directory (manifests, Dockerfiles, Procfiles, gunicorn.conf.py, Terraform, Cloud Build configs, workflows, deploy scripts)`);
  } else planFile(loader, given, isWorkflowFile(given) ? 'workflow' : (classifyFile(path.basename(given)) ?? (loader.sourcesOnly ? 'Dockerfile' : 'manifest')), false);
}

async function walkDirectory(loader: Loader, dir: string): Promise<void> {
  let entries;
  let real: string;
  try {
    real = await realpath(dir);
    if (loader.seenDirectories.has(real)) return;
    loader.seenDirectories.add(real);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    loader.planned.push({ error: { file: dir, message: describeFsError(err) }, countsAsFile: false });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Python dependency files matter only as the build context of a Dockerfile beside them.
  const hasDockerfile = entries.some((entry) => classifyFile(entry.name) === 'Dockerfile');
  // Of hidden directories, only `.github/workflows` is read: workflows that run `gcloud run deploy`.
  const inGithub = path.basename(dir) === '.github';
  const inWorkflows = path.basename(dir) === 'workflows' && path.basename(path.dirname(dir)) === '.github';
  for (const entry of entries) {
    if (entry.name.startsWith('.') && entry.name !== '.github') continue;
    if (inGithub && entry.name !== 'workflows') continue;
    const child = path.join(dir, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = await stat(child);
        isDirectory = target.isDirectory();
        isFile = target.isFile();
      } catch (err) {
        if (classifyFile(entry.name) !== undefined) loader.planned.push({ error: { file: child, message: describeFsError(err) }, countsAsFile: true });
        continue;
      }
    }
    if (isDirectory) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) await walkDirectory(loader, child);
      continue;
    }
    const kind = isFile ? walkedKind(entry.name, inWorkflows) : undefined;
    // A plain file's real path is its real directory's plus its name: 10,000 manifests need no realpath call each.
    if (kind !== undefined && (kind !== 'requirements' || hasDockerfile)) planFile(loader, child, kind, true, entry.isSymbolicLink() ? undefined : path.join(real, entry.name));
  }
}

/** What a file a walk found holds: in `.github/workflows`, only YAML workflows are read. */
function walkedKind(name: string, inWorkflows: boolean): InputKind | undefined {
  if (inWorkflows) return /\.ya?ml$/.test(name) ? 'workflow' : undefined;
  return classifyFile(name);
}

function planFile(loader: Loader, file: string, kind: InputKind, walked: boolean, real?: string): void {
  if (loader.sourcesOnly && (kind === 'manifest' || kind === 'terraform')) return;
  loader.planned.push(real === undefined ? { file, kind, walked } : { file, kind, walked, real });
}

/**
 * readPlanned reads the planned files one at a time, in walk order, and parses each before reading the next: a tree is
 * never held in memory whole. Why synchronous reads: the files are small and the report waits for all of them; a
 * promise-based read costs a FileHandle, a thread-pool round trip and four promises per file, which for 10,000
 * manifests was about a sixth of the report's CPU (bench/report-scale.ts, `--cpu-prof`), against three syscalls here.
 */
function readPlanned(loader: Loader): void {
  const planned = loader.planned;
  loader.planned = [];
  for (const entry of planned) {
    if (!('file' in entry)) {
      if (entry.countsAsFile) loader.files++;
      loader.errors.push(entry.error);
      continue;
    }
    addRead(loader, entry, readOne(entry.file, entry.walked && entry.kind === 'manifest', entry.real));
  }
}

function addRead(loader: Loader, entry: PlannedFile, read: FileRead): void {
  if (read.real !== undefined) {
    if (loader.seenFiles.has(read.real)) return;
    loader.seenFiles.add(read.real);
  }
  loader.files++;
  if ('error' in read) loader.errors.push({ file: entry.file, message: describeFsError(read.error) });
  else if ('skipped' in read) skip(loader, read.skipped);
  else if ('text' in read) addDecoded(loader, entry, read.text);
  else addText(loader, entry, read.bytes);
}

/**
 * A file's real path (for de-duplication; absent when it cannot be resolved) and its bytes (or its text, when the sniff
 * already decoded all of it), why it was skipped, or the error met.
 */
type FileRead = { real?: string } & ({ bytes: Buffer } | { text: string } | { skipped: SkipReason } | { error: unknown });

/** The buffer a sniff reads a file's head into: one for the whole walk, since files are read one at a time. */
let sniffBuffer: Buffer | undefined;

/**
 * readOne reads a file. A manifest found by a walk is sniffed first: when its first bytes show it holds no
 * Kubernetes object (a JSON data array, a binary file) the rest is never read, so a big data file costs its head only.
 * A file that fits in the head is read with one read call (open, read, read at the end, close: no fstat).
 */
function readOne(file: string, sniff: boolean, knownReal?: string): FileRead {
  // An unresolvable path is still read, so the error names the file as given.
  let real = knownReal;
  if (real === undefined) {
    try {
      real = realpathSync.native(file);
    } catch {
      real = undefined;
    }
  }
  try {
    if (!sniff) return { real, bytes: readFileSync(file) };
    sniffBuffer ??= Buffer.allocUnsafe(SNIFF_BYTES);
    const fd = openSync(file, 'r');
    let length = 0;
    let complete = false;
    try {
      for (;;) {
        const n = readSync(fd, sniffBuffer, length, SNIFF_BYTES - length, null);
        if (n === 0) {
          complete = true;
          break;
        }
        length += n;
        if (length === SNIFF_BYTES) break;
      }
    } finally {
      closeSync(fd);
    }
    const head = sniffBuffer.subarray(0, length);
    const text = decodeText(head, !complete);
    if (text === undefined) return { real, skipped: 'binary' };
    const reason = sniffManifest(text, complete);
    if (reason !== undefined) return { real, skipped: reason };
    return complete ? { real, text } : { real, bytes: readFileSync(file) };
  } catch (error) {
    return { real, error };
  }
}

/**
 * skipKustomizePatches drops what was read from walked files that a kustomization names as patches: a strategic-merge
 * patch is a partial object (a Deployment without containers) that would otherwise be reported as invalid. Kustomizations
 * may come after their patches in the walk, so this runs once everything is read.
 */
function skipKustomizePatches(loader: Loader): void {
  const patches = new Set([...loader.walkedManifests].filter((file) => loader.kustomizePatches.has(path.normalize(file))));
  if (patches.size === 0) return;
  loader.documents = loader.documents.filter((d) => d.file === undefined || !patches.has(d.file));
  loader.errors = loader.errors.filter((e) => e.file === undefined || !patches.has(e.file));
  for (const file of patches) {
    loader.walkedManifests.delete(file);
    skip(loader, 'kustomize-patch');
  }
}

function skip(loader: Loader, reason: SkipReason): void {
  loader.skippedFiles[reason] = (loader.skippedFiles[reason] ?? 0) + 1;
}

async function loadStdin(loader: Loader, stdin: NodeJS.ReadableStream): Promise<void> {
  loader.files++;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  } catch (err) {
    loader.errors.push({ file: '-', message: `cannot read stdin: ${err instanceof Error ? err.message : String(err)}` });
    return;
  }
  addText(loader, { file: '-', kind: 'manifest', walked: false }, Buffer.concat(chunks));
}

function addText(loader: Loader, entry: PlannedFile, bytes: Buffer): void {
  const { file, kind, walked } = entry;
  const text = decodeText(bytes);
  if (text === undefined) {
    if (walked && kind === 'manifest') skip(loader, 'binary');
    else loader.errors.push({ file, message: kind === 'manifest' ? 'binary file, not YAML' : `binary file, not a ${kind}` });
    return;
  }
  addDecoded(loader, entry, text);
}

function addDecoded(loader: Loader, entry: PlannedFile, text: string): void {
  const { file, walked } = entry;
  // A name like `cloudbuild-prod.yaml` is a Cloud Build config only when its content has a config's shape.
  const kind = entry.kind !== 'cloudbuild-named' ? entry.kind : hasCloudBuildShape(file, text) ? 'build-config' : 'manifest';
  if (kind === 'terraform') {
    loader.terraformTexts.push({ file, text });
    return;
  }
  if (kind !== 'manifest') {
    // A workflow matters only for the `gcloud run deploy` it runs; a script is kept either way, as an image may run it.
    // A config given itself is built from the working directory, `gcloud builds submit`'s default source.
    if (kind === 'build-config') loader.sources.push({ kind, file, text, root: entry.root ?? (path.isAbsolute(file) ? process.cwd() : '.') });
    else if (kind !== 'workflow' || mayRunDeploy(text)) loader.sources.push({ kind, file, text });
    return;
  }
  if (isKustomization(file)) for (const patch of kustomizationPatchFiles(file, text)) loader.kustomizePatches.add(patch);
  const parsed = parseManifests(file, text, { walked });
  if (parsed.skipped !== undefined) skip(loader, parsed.skipped);
  else if (walked) loader.walkedManifests.add(file);
  loader.documents.push(...parsed.documents);
  loader.errors.push(...parsed.errors);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const LENIENT_UTF8 = new TextDecoder('utf-8');

/**
 * decodeText returns the UTF-8 text (BOM dropped), or undefined for a binary file: a NUL byte or invalid UTF-8.
 * `partial` text (a head) may end inside a character, which is not a sign of a binary file.
 */
function decodeText(bytes: Buffer, partial = false): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return (partial ? LENIENT_UTF8 : STRICT_UTF8).decode(bytes);
  } catch {
    return undefined;
  }
}

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
};

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const words = code === undefined ? undefined : FS_ERRORS[code];
  return `cannot read: ${words ?? (err instanceof Error ? err.message : String(err))}`;
}
