/**
 * @module LoadedInputs → Inventory, the rules' whole world: validate each document, extract workloads, identities and
 * IAM grants, parse the source files, join them to containers, resolve each container's command and detect its server.
 * Pure: every input arrives as data.
 */
import type { InputError } from '../finding.ts';
import type { GunicornConf, ImageFacts } from '../image.ts';
import type { ContainerFacts, EnvVar, IamGrant, Inventory, JoinedSource, Platform, ServiceAccountFacts, Workload } from '../workload.ts';
import type { LoadedInputs, ParsedDocument, SourceMapping, SourceText } from '../../parse/types.ts';
import type { Deployment, IamPartialPolicy, IamPolicyMember, IamServiceAccount, KnativeService, ServiceAccount } from '../../parse/schemas.ts';
import { validateDocument } from '../../parse/schemas.ts';
import { parseDockerfile } from '../../parse/dockerfile.ts';
import { parseProcfile } from '../../parse/procfile.ts';
import { parseGunicornConf } from '../../parse/gunicornConf.ts';
import { profilerRequirementLines } from '../../parse/requirements.ts';
import type { BuildFacts, BuiltImage } from '../../parse/buildConfig.ts';
import { cloudBuildImages, isSkaffoldConfig, skaffoldImages } from '../../parse/buildConfig.ts';
import type { RunDeployCommand } from '../../parse/gcloudRunDeploy.ts';
import { readScript, readWorkflow } from '../../parse/deployCommands.ts';
import type { Evidence } from '../evidence.ts';
import { dirname, posix } from 'node:path';
import { normalizePath } from './sourceAnnotation.ts';
import { detectServer } from '../server/detect.ts';
import { contextScripts } from '../server/indirect.ts';
import type { WorkloadDraft } from './draft.ts';
import { extractKnativeService } from './knativeService.ts';
import { extractDeployment } from './deployment.ts';
import { extractCloudRunService } from './cloudRunService.ts';
import { extractServiceAccount } from './serviceAccount.ts';
import { extractPartialPolicy, extractPolicyMember, serviceAccountEmails } from './iam.ts';
import type { Join, ParsedSources, SourceBundle } from './join.ts';
import { deployTargets, joinSources, serviceUpdates, standaloneBundles } from './join.ts';
import type { ManifestArgv } from './command.ts';
import { gunicornConfFor, resolveCommand } from './command.ts';
import { manifestEvidence } from './context.ts';
import { platformPortEnv } from './podTemplate.ts';
import { applyDeployCommand, assumePlatform, deployArgv, deployedPlatform, sourceDeployWorkload } from './sourceDeploy.ts';
import { withTerraformOrigin } from './terraform.ts';

/** What buildInventory returns besides the inventory: input errors, objects read (after List expansion) and skipped kinds. */
export interface BuiltInventory {
  inventory: Inventory;
  errors: InputError[];
  objects: number;
  /** Objects of kinds pytuner does not read, by `apiVersion/kind`. */
  skipped: Record<string, number>;
  /** What the inputs say that pytuner could not act on, and why (an image built from several Dockerfiles): not errors. */
  notes: string[];
}

/** How to read sources without a manifest. */
export interface InventoryOptions {
  /** `--platform`: the platform a Dockerfile or Procfile no workload claims runs on (else assumed from `$PORT` / buildpacks). */
  platform?: Platform;
  /** The name of the directory relative file paths start from: a source deploy of it is named after it. */
  workingDirectory?: string;
}

/** Validated objects by kind, each with its document. */
interface Sorted {
  services: Array<{ doc: ParsedDocument; object: KnativeService }>;
  deployments: Array<{ doc: ParsedDocument; object: Deployment }>;
  serviceAccounts: Array<{ doc: ParsedDocument; object: ServiceAccount }>;
  policyMembers: Array<{ doc: ParsedDocument; object: IamPolicyMember }>;
  partialPolicies: Array<{ doc: ParsedDocument; object: IamPartialPolicy }>;
  iamServiceAccounts: IamServiceAccount[];
  /** Images Skaffold Configs build. */
  builds: BuiltImage[];
}

/**
 * buildInventory turns loaded inputs into the inventory. An object that fails validation is reported and left out;
 * the others carry on. `mappings` are the `--source IMAGE_OR_NAME=PATH` flags.
 */
export function buildInventory(loaded: LoadedInputs, mappings: SourceMapping[], options: InventoryOptions = {}): BuiltInventory {
  const errors: InputError[] = [];
  const skipped: Record<string, number> = {};
  const sorted = sortDocuments(loaded.documents, errors, skipped);
  const sources = parseSources(loaded, errors);
  sources.builds.push(...sorted.builds);
  const drafts: WorkloadDraft[] = [
    ...sorted.services.map(({ doc, object }) => extractKnativeService(doc, object)),
    ...sorted.deployments.map(({ doc, object }) => extractDeployment(doc, object)),
  ];
  const position = new Map(loaded.documents.map((doc, i) => [doc, i]));
  const inInputOrder = (a: ParsedDocument, b: ParsedDocument) => (position.get(a) as number) - (position.get(b) as number);
  drafts.sort((a, b) => inInputOrder(a.doc, b.doc));
  // Cloud Run v2 services have no document among the inputs: they follow, in the order they were listed.
  drafts.push(...(loaded.cloudRunServices ?? []).map((service, index) => extractCloudRunService(service, loaded.documents.length + index)));
  for (const draft of drafts) withTerraformOrigin(draft.workload, draft.doc);
  const joined = joinSources(drafts, sources, mappings);
  errors.push(...joined.errors);
  const joinOf = new Map(joined.joins.map((join) => [`${drafts.indexOf(join.draft)}:${join.containerIndex}`, join]));
  drafts.forEach((draft, d) => {
    for (const container of draft.workload.containers) finishContainer(draft, container, joinOf.get(`${d}:${container.index}`), sources.context);
  });
  const emails = serviceAccountEmails(sorted.iamServiceAccounts);
  const serviceAccounts: ServiceAccountFacts[] = sorted.serviceAccounts.map(({ doc, object }) => extractServiceAccount(doc, object));
  const iamGrants: IamGrant[] = [
    ...sorted.policyMembers.map(({ doc, object }) => ({ doc, grants: [extractPolicyMember(doc, object, emails)] })),
    ...sorted.partialPolicies.map(({ doc, object }) => ({ doc, grants: extractPartialPolicy(doc, object, emails) })),
  ]
    .sort((a, b) => inInputOrder(a.doc, b.doc))
    .flatMap(({ grants }) => grants);
  const standaloneImages: ImageFacts[] = [];
  const sourceDeploys: Workload[] = [];
  const bundles = standaloneBundles(sources, joined.claimed);
  const deploys = deployTargets(sources, bundles);
  for (const bundle of bundles) {
    const deployed = (deploys.get(bundle) ?? [undefined]).map((deploy) => sourceDeploy(bundle, options, sources.context, deploy, deploy === undefined ? [] : serviceUpdates(deploy, sources.deploys))).filter((w) => w !== undefined);
    if (deployed.length > 0) sourceDeploys.push(...deployed);
    else standaloneImages.push(standaloneImage(bundle, sources.context));
  }
  return {
    inventory: { workloads: [...drafts.map((d) => d.workload), ...sourceDeploys], serviceAccounts, iamGrants, standaloneImages },
    errors,
    objects: loaded.documents.length + (loaded.cloudRunServices?.length ?? 0),
    skipped,
    notes: [...joined.notes, ...sourceDeploys.flatMap(unresolvedServiceName)],
  };
}

/**
 * A deployed service whose name still holds a variable (`${_SERVICE_NAME}` with no `substitutions:` default in the
 * Cloud Build config, `$SERVICE` in a script): the name is kept as written, and said, since findings are named by it.
 */
function unresolvedServiceName(workload: Workload): string[] {
  const deploy = workload.deployedBy;
  if (deploy?.service === undefined || !/\$\{?[A-Za-z_{]/.test(deploy.service)) return [];
  const where = `${deploy.file}${deploy.line === undefined ? '' : `:${deploy.line}`}`;
  const cloudBuild = deploy.field.startsWith('steps[') ? ': give it a default in the config\'s `substitutions:` block to name the service' : '';
  return [`${where}: the service name ${deploy.service} of \`gcloud run deploy\` holds a variable pytuner cannot resolve; the findings name the service as written${cloudBuild}`];
}

function sortDocuments(documents: readonly ParsedDocument[], errors: InputError[], skipped: Record<string, number>): Sorted {
  const sorted: Sorted = { services: [], deployments: [], serviceAccounts: [], policyMembers: [], partialPolicies: [], iamServiceAccounts: [], builds: [] };
  for (const doc of documents) {
    if (isSkaffoldConfig(doc.object)) {
      const read = skaffoldImages(doc);
      sorted.builds.push(...read.images);
      errors.push(...read.errors);
      continue;
    }
    const result = validateDocument(doc);
    if (result.status === 'skipped') skipped[result.kindKey] = (skipped[result.kindKey] ?? 0) + 1;
    if (result.status === 'invalid') errors.push(...result.errors);
    if (result.status !== 'valid') continue;
    const { known } = result;
    switch (known.type) {
      case 'KnativeService': sorted.services.push({ doc, object: known.object }); break;
      case 'Deployment': sorted.deployments.push({ doc, object: known.object }); break;
      case 'ServiceAccount': sorted.serviceAccounts.push({ doc, object: known.object }); break;
      case 'IAMPolicyMember': sorted.policyMembers.push({ doc, object: known.object }); break;
      case 'IAMPartialPolicy': sorted.partialPolicies.push({ doc, object: known.object }); break;
      case 'IAMServiceAccount': sorted.iamServiceAccounts.push(known.object); break;
    }
  }
  return sorted;
}

/**
 * A Cloud Build config read from its build's source root: the directory given (a trigger builds the repository, and
 * `gcloud builds submit --config test/x.yaml .` the working directory) when a Dockerfile or Procfile it builds or
 * deploys was read from there; else the config's own directory when one was read from there (samples say
 * `cd app && gcloud builds submit`); else the directory given.
 */
function readCloudBuild(source: SourceText, read: ReadonlySet<string>): BuildFacts {
  const root = source.root ?? '.';
  const given = cloudBuildImages(source.file, source.text, root);
  const own = posix.dirname(source.file);
  if (normalizePath(own) === normalizePath(root)) return given;
  const readDirs = new Set([...read].map((file) => posix.dirname(file)));
  const found = (facts: BuildFacts) =>
    facts.images.some((image) => read.has(normalizePath(image.dockerfile))) || (facts.deploys ?? []).some((deploy) => deploy.source !== undefined && readDirs.has(normalizePath(deploy.source)));
  if (found(given)) return given;
  const beside = cloudBuildImages(source.file, source.text, own);
  return found(beside) ? beside : given;
}

/** parseSources parses each source file once; their errors join the inventory's. */
function parseSources(loaded: LoadedInputs, errors: InputError[]): ParsedSources {
  const sources: ParsedSources = { dockerfiles: [], procfiles: [], confs: [], context: new Map(), builds: [], deploys: [] };
  const requirements: Evidence[] = [];
  const read = new Set(loaded.sources.filter((s) => s.kind === 'Dockerfile' || s.kind === 'Procfile').map((s) => normalizePath(s.file)));
  for (const source of loaded.sources) {
    if (source.kind === 'Dockerfile') {
      const parsed = parseDockerfile(source.file, source.text);
      errors.push(...parsed.errors);
      sources.dockerfiles.push({ file: source.file, image: parsed.image });
    } else if (source.kind === 'Procfile') {
      const parsed = parseProcfile(source.file, source.text);
      errors.push(...parsed.errors);
      sources.procfiles.push(parsed.web === undefined ? { file: source.file } : { file: source.file, web: parsed.web });
    } else if (source.kind === 'requirements') {
      requirements.push(...profilerRequirementLines(source.file, source.text));
    } else if (source.kind === 'gunicorn.conf.py') {
      sources.confs.push(parseGunicornConf(source.file, source.text));
    } else if (source.kind === 'build-config') {
      const built = readCloudBuild(source, read);
      errors.push(...built.errors);
      sources.builds.push(...built.images);
      sources.deploys.push(...(built.deploys ?? []));
    } else if (source.kind === 'workflow') {
      const read = readWorkflow(source.file, source.text);
      sources.builds.push(...read.builds);
      sources.deploys.push(...read.deploys);
    } else if (source.kind === 'deploy-script') {
      const read = readScript(source.file, source.text);
      sources.builds.push(...read.builds);
      sources.deploys.push(...read.deploys);
      // A script the walk found may also be one an image runs (`./entrypoint.sh`).
      sources.context.set(source.file, source.text);
    } else {
      sources.context.set(source.file, source.text);
    }
  }
  // Dependencies are installed from the build context: a requirements file counts for the Dockerfiles beside it.
  for (const { file, image } of sources.dockerfiles) {
    const beside = requirements.filter((r) => dirname(r.file as string) === dirname(file));
    if (beside.length > 0) image.profilerRequirements = beside;
  }
  return sources;
}

/** imageOf builds the ImageFacts of a bundle: the Dockerfile's (copied, as one Dockerfile may serve several containers), or an empty image for a buildpacks Procfile. */
function imageOf(bundle: SourceBundle): ImageFacts | undefined {
  const file = bundle.dockerfile?.file ?? bundle.procfile?.file ?? bundle.confs[0]?.file;
  if (file === undefined) return undefined;
  const image: ImageFacts = bundle.dockerfile === undefined ? { file, env: new Map(), runs: [], lines: [] } : { ...bundle.dockerfile.image, env: new Map(bundle.dockerfile.image.env) };
  if (bundle.procfile?.web !== undefined) image.procfileWeb = bundle.procfile.web;
  return image;
}

/**
 * finishContainer completes a container once its sources are known: env (image ENV, then the manifest's, then the
 * `PORT` the platform sets), the command it runs, the gunicorn config that command loads, and the server.
 */
function finishContainer(draft: WorkloadDraft, container: ContainerFacts, join: Join | undefined, context: ReadonlyMap<string, string>): void {
  const image = join === undefined ? undefined : imageOf(join.bundle);
  container.env = effectiveEnv(draft, container, image);
  const resolved = resolveCommand(manifestArgv(draft, container), image);
  const conf = resolved === undefined ? undefined : gunicornConfFor(resolved.argv, join?.bundle.confs ?? []);
  if (resolved !== undefined) {
    const server = detectServer(resolved.argv, container.env, resolved.evidence, conf, contextScripts(image, context));
    if (server !== undefined) container.server = server;
  }
  if (image !== undefined) {
    if (conf !== undefined) image.gunicornConf = conf;
    container.dockerfile = image;
  }
  if (join !== undefined) container.sources = joinedSources(join, conf);
}

/**
 * effectiveEnv overlays the container's env on the image's ENV (the container wins, as in Kubernetes). On Knative and
 * Cloud Run the serving container also gets `PORT`, which the platform sets and which overrides the image's.
 */
function effectiveEnv(draft: WorkloadDraft, container: ContainerFacts, image: ImageFacts | undefined): Map<string, EnvVar> {
  const env = new Map<string, EnvVar>();
  for (const [name, entry] of image?.env ?? []) env.set(name, { name, value: entry.value, fromRef: false, evidence: entry.evidence });
  for (const [name, entry] of container.env) env.set(name, entry);
  const setsPort = draft.workload.platform !== 'kubernetes' && container.index === draft.servingIndex;
  if (setsPort && container.port !== undefined && !container.env.has('PORT')) env.set('PORT', platformPortEnv(container.port));
  return env;
}

function manifestArgv(draft: WorkloadDraft, container: ContainerFacts): { command?: ManifestArgv; args?: ManifestArgv } {
  const { doc } = draft;
  const path = [...(draft.containersPath ?? ['spec', 'template', 'spec', 'containers']), container.index];
  const out: { command?: ManifestArgv; args?: ManifestArgv } = {};
  if (container.command !== undefined) out.command = { argv: container.command, evidence: manifestEvidence(doc, [...path, 'command'], JSON.stringify(container.command)) };
  if (container.args !== undefined) out.args = { argv: container.args, evidence: manifestEvidence(doc, [...path, 'args'], JSON.stringify(container.args)) };
  return out;
}

function joinedSources(join: Join, conf: GunicornConf | undefined): JoinedSource[] {
  const { bundle, how } = join;
  const sources: JoinedSource[] = [];
  if (bundle.dockerfile !== undefined) sources.push({ file: bundle.dockerfile.file, kind: 'Dockerfile', how });
  if (bundle.procfile !== undefined) sources.push({ file: bundle.procfile.file, kind: 'Procfile', how });
  if (conf !== undefined) sources.push({ file: conf.file, kind: 'gunicorn.conf.py', how });
  return sources;
}

/** standaloneImage checks a Dockerfile (or buildpacks Procfile) on its own: its server comes from its own ENTRYPOINT/CMD or Procfile. */
function standaloneImage(bundle: SourceBundle, context: ReadonlyMap<string, string>): ImageFacts {
  const image = imageOf(bundle) as ImageFacts;
  const resolved = resolveCommand({}, image);
  if (resolved === undefined) return image;
  const conf = gunicornConfFor(resolved.argv, bundle.confs);
  if (conf !== undefined) image.gunicornConf = conf;
  const server = detectServer(resolved.argv, image.env, resolved.evidence, conf, contextScripts(image, context));
  if (server !== undefined) image.server = server;
  return image;
}

/**
 * A source no workload claims, as the service it is deployed as (`gcloud run deploy --source`), when a `gcloud run
 * deploy` command deploys it, a platform is given or can be assumed (see `assumePlatform`), and its command starts a
 * server pytuner knows; else undefined.
 */
function sourceDeploy(bundle: SourceBundle, options: InventoryOptions, context: ReadonlyMap<string, string>, deploy: RunDeployCommand | undefined, updates: readonly RunDeployCommand[]): Workload | undefined {
  const image = imageOf(bundle) as ImageFacts;
  const resolved = resolveCommand(deploy === undefined ? {} : deployArgv([deploy, ...updates]), image);
  if (resolved === undefined) return undefined;
  const conf = gunicornConfFor(resolved.argv, bundle.confs);
  const scripts = contextScripts(image, context);
  const detectIn = (workload: Workload) => detectServer(resolved.argv, (workload.containers[0] as ContainerFacts).env, resolved.evidence, conf, scripts);
  // Whether the server binds to $PORT, seen with the PORT Cloud Run would set (a script or `app.run(port=...)` may read it).
  const probe = detectIn(sourceDeployWorkload(image, { platform: 'cloudrun', why: '', evidence: resolved.evidence }));
  const readsPort = probe?.bind?.viaEnv === 'PORT' && !probe.bind.isDefault;
  const assumed = deploy === undefined ? assumePlatform(image, resolved.argv, options.platform, readsPort) : deployedPlatform(deploy);
  if (assumed === undefined) return undefined;
  const workload = sourceDeployWorkload(image, assumed, options.workingDirectory);
  if (deploy !== undefined) applyDeployCommand(workload, deploy, updates);
  const server = detectIn(workload);
  if (server === undefined) return undefined;
  if (conf !== undefined) image.gunicornConf = conf;
  (workload.containers[0] as ContainerFacts).server = server;
  return workload;
}
