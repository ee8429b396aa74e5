/**
 * @module Joining source files (Dockerfile, Procfile, gunicorn.conf.py) to the containers that run them, in order of
 * precedence: an explicit `--source IMAGE_OR_NAME=PATH`, the workload's `pytuner.dev/source` annotation, a build
 * config (Cloud Build, Skaffold) that builds the container's image from a Dockerfile that was read (the repo's own
 * statement of which directory builds which image, so it outranks the guesses that follow), a
 * directory that holds exactly one workload and one Dockerfile (or Procfile), then a source directory named as exactly
 * one workload that has no source yet, `_` read as `-` (`server/Procfile` and a Terraform `google_cloud_run_v2_service`
 * named `server` whose image is built elsewhere from that directory). Paths are compared posix-normalised,
 * as given (nothing is resolved against the working directory: this module does no I/O).
 */
import { posix } from 'node:path';
import type { Evidence } from '../evidence.ts';
import type { GunicornConf, ImageFacts } from '../image.ts';
import type { InputError } from '../finding.ts';
import type { JoinedSource } from '../workload.ts';
import type { SourceMapping } from '../../parse/types.ts';
import type { BuiltImage } from '../../parse/buildConfig.ts';
import type { RunDeployCommand } from '../../parse/gcloudRunDeploy.ts';
import { SUBSTITUTION } from '../../parse/buildConfig.ts';
import type { WorkloadDraft } from './draft.ts';
import { normalizePath } from './sourceAnnotation.ts';

/** A parsed Dockerfile. */
export interface ParsedDockerfile {
  file: string;
  image: ImageFacts;
}

/** A parsed Procfile and its `web:` entry, if any. */
export interface ParsedProcfile {
  file: string;
  web?: { command: string; evidence: Evidence };
}

/** All parsed source files. */
export interface ParsedSources {
  dockerfiles: ParsedDockerfile[];
  procfiles: ParsedProcfile[];
  confs: GunicornConf[];
  /** Build-context files a Dockerfile's command runs, by path as read. */
  context: Map<string, string>;
  /** Images that build configs (Cloud Build, Skaffold) build, and from which Dockerfile. */
  builds: BuiltImage[];
  /** `gcloud run deploy` commands read from Cloud Build configs, workflows and scripts. */
  deploys: RunDeployCommand[];
}

/** The source files joined to one container (or checked on their own). */
export interface SourceBundle {
  dockerfile?: ParsedDockerfile;
  procfile?: ParsedProcfile;
  /** Every gunicorn config joined; the command decides which one gunicorn loads. */
  confs: GunicornConf[];
}

/** One container's joined sources and how they were found. */
export interface Join {
  draft: WorkloadDraft;
  containerIndex: number;
  bundle: SourceBundle;
  how: JoinedSource['how'];
}

/** The source files of one directory. */
interface SourceDirectory {
  dir: string;
  dockerfiles: ParsedDockerfile[];
  procfile?: ParsedProcfile;
  confs: GunicornConf[];
}

type Lookup = SourceBundle | 'ambiguous' | undefined;

/** Names that win when a directory holds several Dockerfiles: Docker's and Podman's defaults. */
const DEFAULT_DOCKERFILE_NAMES = ['Dockerfile', 'Containerfile'];

/**
 * joinSources decides which sources each container runs. A container gets at most one bundle: the first method
 * that finds one wins. Returns the joins, the files they claimed, and errors for flags or annotations that found nothing.
 */
export function joinSources(drafts: readonly WorkloadDraft[], sources: ParsedSources, mappings: readonly SourceMapping[]): { joins: Join[]; claimed: Set<string>; errors: InputError[]; notes: string[] } {
  const directories = indexByDirectory(sources);
  const joins = new Map<string, Join>();
  const errors: InputError[] = [];
  const claim = (draft: WorkloadDraft, containerIndex: number, bundle: SourceBundle, how: JoinedSource['how']) => {
    const key = `${drafts.indexOf(draft)}:${containerIndex}`;
    if (!joins.has(key)) joins.set(key, { draft, containerIndex, bundle, how });
  };
  for (const mapping of mappings) joinFlag(mapping, drafts, directories, claim, errors);
  for (const draft of drafts) joinAnnotation(draft, directories, claim, errors);
  const notes = joinBuilds(drafts, directories, sources.builds, joins, claim);
  joinDirectories(drafts, directories, joins, claim);
  joinByName(drafts, directories, joins, claim);
  const claimed = new Set<string>();
  for (const { bundle } of joins.values()) {
    if (bundle.dockerfile !== undefined) claimed.add(bundle.dockerfile.file);
    if (bundle.procfile !== undefined) claimed.add(bundle.procfile.file);
  }
  return { joins: [...joins.values()], claimed, errors, notes };
}

/** standaloneBundles lists what no container claimed: each Dockerfile (with its directory's Procfile and configs), and Procfile-only directories. */
export function standaloneBundles(sources: ParsedSources, claimed: ReadonlySet<string>): SourceBundle[] {
  const bundles: SourceBundle[] = [];
  for (const dir of indexByDirectory(sources).values()) {
    for (const dockerfile of dir.dockerfiles) {
      if (claimed.has(dockerfile.file)) continue;
      bundles.push(bundleOf(dir, dockerfile));
    }
    if (dir.dockerfiles.length === 0 && dir.procfile !== undefined && !claimed.has(dir.procfile.file)) bundles.push({ procfile: dir.procfile, confs: dir.confs });
  }
  return bundles;
}

/**
 * deployTargets finds the `gcloud run deploy` commands that deploy each unclaimed bundle: `--source DIR` deploys what
 * DIR holds, `--image IMAGE` what the one Dockerfile a build config builds IMAGE from holds. A command that names
 * neither, or an image built from several Dockerfiles, deploys nothing pytuner can name.
 */
export function deployTargets(sources: ParsedSources, bundles: readonly SourceBundle[]): Map<SourceBundle, RunDeployCommand[]> {
  const directories = indexByDirectory(sources);
  const primary = (bundle: SourceBundle | 'ambiguous' | undefined) => (bundle === undefined || bundle === 'ambiguous' ? undefined : (bundle.dockerfile?.file ?? bundle.procfile?.file));
  const byFile = new Map(bundles.map((bundle) => [primary(bundle), bundle]));
  const targets = new Map<SourceBundle, RunDeployCommand[]>();
  for (const deploy of sources.deploys) {
    // An update of a service a deploy command deploys is applied to that service (`serviceUpdates`).
    if (deploy.update === true && sources.deploys.some((other) => other.update !== true && sameService(deploy, other))) continue;
    let file: string | undefined;
    if (deploy.source !== undefined) file = primary(lookup(deploy.source, directories));
    else if (deploy.image !== undefined) {
      const image = deploy.image;
      const built = new Set(sources.builds.filter((build) => builtImageMatches(build.image, image) || sameImageVariable(build, deploy)).map((build) => primary(lookup(build.dockerfile, directories))));
      built.delete(undefined);
      if (built.size === 1) file = [...built][0];
    }
    const bundle = file === undefined ? undefined : byFile.get(file);
    if (bundle !== undefined) targets.set(bundle, [...(targets.get(bundle) ?? []), deploy]);
  }
  return targets;
}

/**
 * serviceUpdates lists the `gcloud run services update` commands that change the service `deploy` deploys, in the
 * order read (a file's commands top to bottom): they run after it, as they change a service that exists. For an update
 * read as the deploy (no deploy command of its service was read), the updates read after it.
 */
export function serviceUpdates(deploy: RunDeployCommand, all: readonly RunDeployCommand[]): RunDeployCommand[] {
  const after = deploy.update === true ? all.slice(all.indexOf(deploy) + 1) : all;
  return after.filter((other) => other.update === true && other !== deploy && sameService(other, deploy));
}

/** Two commands name one service: the same name as written, and in one file when the name holds a variable (`$SERVICE`). */
function sameService(a: RunDeployCommand, b: RunDeployCommand): boolean {
  if (a.service === undefined || a.service !== b.service) return false;
  return a.service.search(SUBSTITUTION) < 0 || a.file === b.file;
}

/**
 * A deploy of the image a build of the same job writes with the same variable (`docker build -t "$IMAGE" api`, then
 * `gcloud run deploy svc --image "$IMAGE"`; in a Cloud Build config, the same config): whatever the variable holds,
 * it is the image that was built. Its name alone says nothing (`builtImageMatches`), its sameness in one job does.
 */
function sameImageVariable(build: BuiltImage, deploy: RunDeployCommand): boolean {
  const job = (field: string) => field.slice(0, Math.max(0, field.indexOf('steps[')));
  return build.file === deploy.file && job(build.field) === job(deploy.field) && build.image === deploy.image && build.image.search(SUBSTITUTION) >= 0;
}

type Claim = (draft: WorkloadDraft, containerIndex: number, bundle: SourceBundle, how: JoinedSource['how']) => void;

function joinFlag(mapping: SourceMapping, drafts: readonly WorkloadDraft[], directories: Map<string, SourceDirectory>, claim: Claim, errors: InputError[]): void {
  const flag = `--source ${mapping.match}=${mapping.path}`;
  const found = lookup(mapping.path, directories);
  if (found === undefined) {
    errors.push({ file: mapping.path, message: `${flag}: no Dockerfile, Procfile or gunicorn.conf.py was read at ${mapping.path}` });
    return;
  }
  if (found === 'ambiguous') {
    errors.push({ file: mapping.path, message: `${flag}: ${mapping.path} holds several Dockerfiles; name one` });
    return;
  }
  let matched = false;
  for (const draft of drafts) {
    draft.workload.containers.forEach((container, index) => {
      if (container.image === undefined || !imageMatches(container.image, mapping.match)) return;
      claim(draft, index, found, 'flag');
      matched = true;
    });
    if (draft.workload.ref.name === mapping.match) {
      claim(draft, draft.servingIndex, found, 'flag');
      matched = true;
    }
  }
  if (!matched) errors.push({ file: mapping.path, message: `${flag}: no workload is named ${mapping.match} and no container runs that image` });
}

function joinAnnotation(draft: WorkloadDraft, directories: Map<string, SourceDirectory>, claim: Claim, errors: InputError[]): void {
  const annotation = draft.sourceAnnotation;
  if (annotation === undefined) return;
  const found = lookup(annotation.path, directories);
  if (found !== undefined && found !== 'ambiguous') {
    claim(draft, draft.servingIndex, found, 'annotation');
    return;
  }
  const { ref } = draft.workload;
  const error: InputError = {
    file: draft.doc.file,
    object: `${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`,
    field: annotation.evidence.field,
    message:
      found === 'ambiguous'
        ? `${annotation.path} holds several Dockerfiles; point the annotation at one`
        : `no Dockerfile, Procfile or gunicorn.conf.py was read at ${annotation.path} (pass it with --source or -f)`,
  };
  if (annotation.evidence.line !== undefined) error.line = annotation.evidence.line;
  errors.push(error);
}

/**
 * joinBuilds joins each container not joined yet to the Dockerfile a build config builds its image from
 * (`docker build -t IMAGE DIR` in a `cloudbuild.yaml`, a Skaffold artifact). When the image is built from several
 * Dockerfiles that were read, which one runs is not known: nothing is joined, and a note says why. A Dockerfile that
 * was not read joins nothing.
 */
function joinBuilds(drafts: readonly WorkloadDraft[], directories: Map<string, SourceDirectory>, builds: readonly BuiltImage[], joins: Map<string, Join>, claim: Claim): string[] {
  const notes: string[] = [];
  if (builds.length === 0) return notes;
  drafts.forEach((draft, d) => {
    for (const container of draft.workload.containers) {
      const { image } = container;
      if (image === undefined || joins.has(`${d}:${container.index}`)) continue;
      const found = new Map<string, { bundle: SourceBundle; build: BuiltImage }>();
      for (const build of builds) {
        if (!builtImageMatches(build.image, image)) continue;
        const bundle = lookup(build.dockerfile, directories);
        // A Procfile for an image `pack build` makes.
        const file = bundle === undefined || bundle === 'ambiguous' ? undefined : (bundle.dockerfile?.file ?? bundle.procfile?.file);
        if (file !== undefined && !found.has(file)) found.set(file, { bundle: bundle as SourceBundle, build });
      }
      const [only, ...others] = [...found.values()];
      if (only !== undefined && others.length === 0) claim(draft, container.index, only.bundle, 'build');
      else if (only !== undefined) {
        const { ref } = draft.workload;
        const where = [...found.values()].map(({ build }) => `${build.dockerfile} (${build.file}${build.line === undefined ? '' : `:${build.line}`})`);
        notes.push(`${ref.kind} ${ref.name}: image ${image} is built from several Dockerfiles (${where.join(', ')}); none is joined (name one with --source or pytuner.dev/source)`);
      }
    }
  });
  return notes;
}

/**
 * builtImageMatches compares the image a build config builds with a container's image: repository paths segment by
 * segment, tag and digest ignored. The image's name (its last segment) must be written out on both sides, not a substitution
 * alone. A substitution variable (`${PROJECT_ID}`, `$_REGION`) on either side stands for
 * any text within one segment, and a segment written as a placeholder in the manifest (`PROJECT_ID`) matches a
 * variable in the build config. Nothing else is guessed: no registry defaults, no suffix matching.
 */
export function builtImageMatches(built: string, image: string): boolean {
  const builtSegments = repositoryOf(built).split('/');
  const imageSegments = repositoryOf(image).split('/');
  if (builtSegments.length !== imageSegments.length) return false;
  // The image's name must be written out on both sides: `$_IMAGE` or `gcr.io/p/${_SERVICE}` could be any image.
  if (isOnlySubstitutions(builtSegments.at(-1) as string) || isOnlySubstitutions(imageSegments.at(-1) as string)) return false;
  return builtSegments.every((segment, i) => segmentMatches(segment, imageSegments[i] as string) || segmentMatches(imageSegments[i] as string, segment));
}

function isOnlySubstitutions(segment: string): boolean {
  return segment.replaceAll(SUBSTITUTION, '') === '';
}

/** `pattern` matches `segment` when equal, or with each of its substitution variables standing for some text. */
function segmentMatches(pattern: string, segment: string): boolean {
  if (pattern === segment) return true;
  if (pattern.search(SUBSTITUTION) < 0) return false;
  const parts = pattern.split(SUBSTITUTION).map((part) => part.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`).test(segment);
}

/**
 * joinDirectories joins a directory's Dockerfile (or, with none, its Procfile) to the one workload whose manifest
 * is in that directory or below it, e.g. `examples/cloudrun-api/{service.yaml,Dockerfile,gunicorn.conf.py}`.
 * Two workloads, or two Dockerfiles, make the directory ambiguous, and nothing is joined.
 */
function joinDirectories(drafts: readonly WorkloadDraft[], directories: Map<string, SourceDirectory>, joins: Map<string, Join>, claim: Claim): void {
  for (const dir of unclaimedDirectories(directories, joins)) {
    const under = drafts.filter((d) => d.doc.file !== undefined && d.doc.file !== '-' && isWithin(dir.dir, normalizePath(posix.dirname(d.doc.file))));
    if (under.length !== 1) continue;
    const draft = under[0] as WorkloadDraft;
    claim(draft, draft.servingIndex, bundleOf(dir, dir.dockerfiles[0]), 'directory');
  }
}

/**
 * joinByName joins what is still unclaimed in a directory to the workload named as that directory, when exactly one
 * directory and exactly one workload carry the name and that workload's serving container has no source yet: repos
 * build `server/` and deploy it as `server` from manifests or Terraform elsewhere in the tree, with an image
 * reference pytuner cannot follow to the directory (a Terraform local, a registry path set by CI).
 */
function joinByName(drafts: readonly WorkloadDraft[], directories: Map<string, SourceDirectory>, joins: Map<string, Join>, claim: Claim): void {
  const joined = new Set([...joins.values()].filter((j) => j.containerIndex === j.draft.servingIndex).map((j) => j.draft));
  const byName = new Map<string, SourceDirectory[]>();
  for (const dir of unclaimedDirectories(directories, joins)) {
    const name = asObjectName(posix.basename(dir.dir));
    byName.set(name, [...(byName.get(name) ?? []), dir]);
  }
  for (const [name, dirs] of byName) {
    const named = drafts.filter((d) => asObjectName(d.workload.ref.name) === name);
    const [dir] = dirs;
    const [draft] = named;
    if (dirs.length !== 1 || named.length !== 1 || dir === undefined || draft === undefined || joined.has(draft)) continue;
    claim(draft, draft.servingIndex, bundleOf(dir, dir.dockerfiles[0]), 'name');
  }
}

/**
 * A name as a Kubernetes or Cloud Run object can spell it: `_` is not allowed there (DNS-1123 labels), so the Python
 * package directory `book_details_app` is deployed as `book-details-app`.
 */
function asObjectName(name: string): string {
  return name.replaceAll('_', '-');
}

/** Directories whose one Dockerfile (or, with none, Procfile) no join has claimed yet. */
function unclaimedDirectories(directories: Map<string, SourceDirectory>, joins: Map<string, Join>): SourceDirectory[] {
  const claimedFiles = new Set([...joins.values()].flatMap(({ bundle }) => [bundle.dockerfile?.file, bundle.procfile?.file]));
  return [...directories.values()].filter((dir) => {
    const primary = dir.dockerfiles.length === 1 ? dir.dockerfiles[0] : dir.dockerfiles.length === 0 ? dir.procfile : undefined;
    return primary !== undefined && !claimedFiles.has(primary.file);
  });
}

function isWithin(dir: string, path: string): boolean {
  if (dir === '.') return !path.startsWith('../') && path !== '..' && !posix.isAbsolute(path);
  return path === dir || path.startsWith(`${dir}/`);
}

/**
 * lookup finds sources at a path: a file (a Dockerfile comes with its directory's Procfile and configs; a Procfile
 * or config with what else its directory holds), or a directory (its default-named Dockerfile if it holds several).
 */
function lookup(path: string, directories: Map<string, SourceDirectory>): Lookup {
  const target = normalizePath(path);
  const dir = directories.get(target);
  if (dir !== undefined) {
    const dockerfile = preferredDockerfile(dir);
    return dockerfile === 'ambiguous' ? 'ambiguous' : bundleOf(dir, dockerfile);
  }
  const parent = directories.get(normalizePath(posix.dirname(target)));
  if (parent === undefined) return undefined;
  const isTarget = (file: string) => normalizePath(file) === target;
  const dockerfile = parent.dockerfiles.find((d) => isTarget(d.file));
  if (dockerfile !== undefined) return bundleOf(parent, dockerfile);
  if (parent.procfile !== undefined && isTarget(parent.procfile.file)) return { procfile: parent.procfile, confs: parent.confs };
  const conf = parent.confs.find((c) => isTarget(c.file));
  if (conf === undefined) return undefined;
  const sibling = preferredDockerfile(parent);
  return bundleOf({ ...parent, confs: [conf] }, sibling === 'ambiguous' ? undefined : sibling);
}

function preferredDockerfile(dir: SourceDirectory): ParsedDockerfile | 'ambiguous' | undefined {
  if (dir.dockerfiles.length <= 1) return dir.dockerfiles[0];
  for (const name of DEFAULT_DOCKERFILE_NAMES) {
    const found = dir.dockerfiles.find((d) => posix.basename(d.file) === name);
    if (found !== undefined) return found;
  }
  return 'ambiguous';
}

function bundleOf(dir: SourceDirectory, dockerfile: ParsedDockerfile | undefined): SourceBundle {
  const bundle: SourceBundle = { confs: dir.confs };
  if (dockerfile !== undefined) bundle.dockerfile = dockerfile;
  if (dir.procfile !== undefined) bundle.procfile = dir.procfile;
  return bundle;
}

/** indexByDirectory groups sources by normalised directory, sorted by directory then file, so joins are deterministic. Files keep the path as given. */
function indexByDirectory(sources: ParsedSources): Map<string, SourceDirectory> {
  const byDir = new Map<string, SourceDirectory>();
  const dirOf = (file: string): SourceDirectory => {
    const dir = normalizePath(posix.dirname(file));
    let entry = byDir.get(dir);
    if (entry === undefined) {
      entry = { dir, dockerfiles: [], confs: [] };
      byDir.set(dir, entry);
    }
    return entry;
  };
  const byFile = <T extends { file: string }>(a: T, b: T) => compare(a.file, b.file);
  for (const dockerfile of [...sources.dockerfiles].sort(byFile)) dirOf(dockerfile.file).dockerfiles.push(dockerfile);
  for (const procfile of [...sources.procfiles].sort(byFile)) dirOf(procfile.file).procfile = procfile;
  for (const conf of [...sources.confs].sort(byFile)) dirOf(conf.file).confs.push(conf);
  return new Map([...byDir].sort(([a], [b]) => compare(a, b)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * imageMatches compares a container image with a `--source` match: equal as written, or equal without tag and digest
 * when the match names neither (`gcr.io/p/api` matches `gcr.io/p/api:v2` and `gcr.io/p/api@sha256:…`).
 */
export function imageMatches(image: string, match: string): boolean {
  if (image === match) return true;
  const matchRepository = repositoryOf(match);
  if (matchRepository === match) return repositoryOf(image) === match;
  return !match.includes('@') && image.split('@')[0] === match;
}

function repositoryOf(ref: string): string {
  const name = ref.split('@')[0] as string;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}
