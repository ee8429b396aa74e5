/**
 * @module Sources without a manifest: a Dockerfile or Procfile that no workload claims is what `gcloud run deploy
 * --source .` deploys. A `gcloud run deploy` command that deploys it (`--source DIR`, or `--image` a build config
 * builds from it; read from a Cloud Build config, a workflow or a script) says the service's settings. Without one,
 * when it serves on `$PORT` (the Cloud Run container contract), is a buildpacks Procfile, or `--platform` names the
 * platform, pytuner assumes that platform's service around it, with the platform's documented
 * defaults, and says so in the evidence. Pure: the image facts are already parsed.
 */
import { posix } from 'node:path';
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault, explicit } from '../evidence.ts';
import type { ImageFacts } from '../image.ts';
import type { ContainerFacts, EnvVar, Platform, Workload } from '../workload.ts';
import { deployCommandName } from '../../parse/gcloudRunDeploy.ts';
import type { DeployFlag, RunDeployCommand } from '../../parse/gcloudRunDeploy.ts';
import type { ManifestArgv } from './command.ts';

/**
 * Cloud Run's defaults for a service deployed without settings, each from the Cloud Run reference:
 * concurrency 80 (https://cloud.google.com/run/docs/about-concurrency: "By default each Cloud Run instance can
 * receive up to 80 requests at the same time"), 1 vCPU (https://cloud.google.com/run/docs/configuring/services/cpu),
 * request timeout 300 s (https://cloud.google.com/run/docs/configuring/request-timeout), a TCP startup probe on the
 * container port (https://cloud.google.com/run/docs/configuring/healthchecks), port 8080 passed as `$PORT`
 * (https://cloud.google.com/run/docs/container-contract#port).
 */
const CLOUD_RUN = { cpu: 1, timeoutSeconds: 300, port: 8080, probePeriodSeconds: 240 } as const;

/** Knative Serving's defaults (config-defaults: `revision-timeout-seconds: "300"`, `container-concurrency: "0"`; `$PORT` 8080). */
const KNATIVE = { timeoutSeconds: 300, port: 8080 } as const;

/** Why a platform was assumed for a source without a manifest, or undefined when none is. */
export interface AssumedPlatform {
  platform: Platform;
  /** One line for the report: what was assumed and why. */
  why: string;
  evidence: Evidence;
}

/**
 * The platform to assume for an image no workload claims: the `--platform` flag when given; Cloud Run when its command
 * (or the server it starts, through a script or a Python launch call) reads `$PORT`, or it is a buildpacks Procfile (`gcloud run deploy --source` builds one with buildpacks); else none.
 */
export function assumePlatform(image: ImageFacts, argv: readonly string[] | undefined, flag: Platform | undefined, serverReadsPort = false): AssumedPlatform | undefined {
  // With a Dockerfile that sets the command, `gcloud run deploy --source` builds the Dockerfile and ignores the Procfile.
  const procfile = servingProcfile(image);
  const at: Evidence = { source: procfile === undefined ? 'Dockerfile' : 'Procfile', file: procfile?.evidence.file ?? image.file, field: 'assumed platform' };
  if (flag !== undefined) return { platform: flag, why: `no manifest claims ${image.file}; --platform ${flag} says it runs on ${platformTitle(flag)}`, evidence: { ...at, text: `--platform ${flag}` } };
  const readsPort = serverReadsPort || argv?.some((word) => /\$\{?PORT\b|\$\(PORT\)/.test(word)) === true;
  if (readsPort) {
    return { platform: 'cloudrun', why: `no manifest claims ${image.file} and its command serves on $PORT: assumed a Cloud Run source deploy with Cloud Run's defaults`, evidence: { ...at, text: '$PORT' } };
  }
  if (procfile !== undefined) {
    return {
      platform: 'cloudrun',
      why: `no manifest claims ${procfile.evidence.file ?? image.file}, a buildpacks Procfile: assumed a Cloud Run source deploy with Cloud Run's defaults`,
      evidence: { ...procfile.evidence, field: 'assumed platform', text: 'Procfile web:' },
    };
  }
  return undefined;
}

/** The Procfile's web process when it is what runs: a Dockerfile that sets the command is built instead of it. */
function servingProcfile(image: ImageFacts): ImageFacts['procfileWeb'] {
  return image.entrypoint === undefined && image.cmd === undefined ? image.procfileWeb : undefined;
}

function platformTitle(platform: Platform): string {
  return platform === 'cloudrun' ? 'Cloud Run' : platform === 'knative' ? 'Knative' : 'Kubernetes';
}

/**
 * The service name `gcloud run deploy --source DIR` proposes: the directory's name. A file at the top of a relative
 * path is in the working directory, named by `workingDirectory` (else a placeholder).
 */
export function serviceNameOf(file: string, workingDirectory?: string): string {
  const dir = posix.basename(posix.dirname(posix.normalize(file)));
  if (dir !== '.' && dir !== '' && dir !== '..') return dir;
  return dir === '.' && workingDirectory !== undefined && workingDirectory !== '' ? workingDirectory : 'service';
}

/**
 * A workload standing for the service that runs a source without a manifest, with the assumed platform's defaults.
 * `env` is the image's ENV; the platform's `PORT` is added. The caller detects its server.
 */
export function sourceDeployWorkload(image: ImageFacts, assumed: AssumedPlatform, workingDirectory?: string): Workload {
  const { platform } = assumed;
  const name = serviceNameOf(image.file, workingDirectory);
  const serving = platform !== 'kubernetes';
  const defaultOf = <T>(value: T, what: string): Setting<T> => byDefault(value, `${what}, assumed: no manifest`);
  const container: ContainerFacts = { name: serving ? 'user-container' : name, index: 0, env: new Map(), sources: [], dockerfile: image };
  if (platform === 'cloudrun') container.cpu = defaultOf(CLOUD_RUN.cpu, 'Cloud Run default CPU limit (1 vCPU)');
  if (serving) {
    const port = defaultOf(platform === 'cloudrun' ? CLOUD_RUN.port : KNATIVE.port, `${platformTitle(platform)} default container port ($PORT)`);
    container.port = port;
    const env = new Map<string, EnvVar>();
    for (const [key, entry] of image.env) env.set(key, { name: key, value: entry.value, fromRef: false, evidence: entry.evidence });
    if (!env.has('PORT')) env.set('PORT', { name: 'PORT', value: String(port.value), fromRef: false, evidence: { source: 'default', field: `PORT, set by ${platformTitle(platform)} to the container port` } });
    container.env = env;
  } else {
    for (const [key, entry] of image.env) container.env.set(key, { name: key, value: entry.value, fromRef: false, evidence: entry.evidence });
  }
  if (platform === 'cloudrun') {
    container.startupProbe = {
      handler: 'tcpSocket',
      port: CLOUD_RUN.port,
      periodSeconds: CLOUD_RUN.probePeriodSeconds,
      failureThreshold: 1,
      implicit: true,
      evidence: { source: 'default', field: 'Cloud Run default TCP startup probe (periodSeconds 240, failureThreshold 1), assumed: no manifest' },
    };
  }
  const workload: Workload = {
    ref: { apiVersion: serving ? 'serving.knative.dev/v1' : 'apps/v1', kind: serving ? 'Service' : 'Deployment', name, file: servingProcfile(image)?.evidence.file ?? image.file, docIndex: -1 },
    platform,
    templateAnnotations: {},
    annotations: {},
    labels: {},
    podSpecPointer: '/spec/template/spec',
    containers: [container],
    assumed,
  };
  if (serving) {
    workload.containerConcurrency = { value: undefined, evidence: { source: 'default', field: 'containerConcurrency, assumed: no manifest' }, isDefault: false };
    workload.timeoutSeconds = defaultOf(platform === 'cloudrun' ? CLOUD_RUN.timeoutSeconds : KNATIVE.timeoutSeconds, `${platformTitle(platform)} default request timeout (300 s)`);
  }
  return workload;
}

/** Why a Cloud Run service is modelled for a source: the `gcloud run deploy` command that deploys it. */
export function deployedPlatform(deploy: RunDeployCommand): AssumedPlatform {
  const where = `${deploy.file}${deploy.line === undefined ? '' : `:${deploy.line}`}`;
  const name = deploy.service === undefined ? '' : ` ${deploy.service}`;
  // An update is read as the deploy when no deploy command of its service was read.
  const command = deployCommandName(deploy);
  return {
    platform: 'cloudrun',
    why: `deployed by \`${command}${name}\` (${where}): its flags, and Cloud Run's defaults for what it leaves out`,
    evidence: deployEvidence(deploy, command, `${command}${name}`),
  };
}

/**
 * The `--command`/`--args` of the deploy and its updates (the last command that sets one wins), as a manifest's would
 * be: they replace the image's ENTRYPOINT and CMD.
 */
export function deployArgv(commands: readonly RunDeployCommand[]): { command?: ManifestArgv; args?: ManifestArgv } {
  const out: { command?: ManifestArgv; args?: ManifestArgv } = {};
  for (const deploy of commands) {
    const { command, args } = deploy.settings;
    if (command?.value !== undefined) out.command = { argv: command.value, evidence: deployEvidence(deploy, '--command', command.text) };
    if (args?.value !== undefined) out.args = { argv: args.value, evidence: deployEvidence(deploy, '--args', args.text) };
  }
  return out;
}

/**
 * applyDeployCommand puts what a `gcloud run deploy` command, then each `gcloud run services update` of its service,
 * sets on the service modelled for its source, replacing Cloud Run's defaults: a flag whose value holds a substitution
 * makes the setting unknown (`unresolved`), never a number.
 */
export function applyDeployCommand(workload: Workload, deploy: RunDeployCommand, updates: readonly RunDeployCommand[] = []): void {
  workload.deployedBy = deploy;
  if (updates.length > 0) workload.updatedBy = [...updates];
  if (deploy.service !== undefined) workload.ref.name = deploy.service;
  workload.ref.file = deploy.file;
  if (deploy.line !== undefined) workload.ref.line = deploy.line;
  for (const command of [deploy, ...updates]) applySettings(workload, command);
  // What the commands leave out is Cloud Run's default: say so rather than "no manifest".
  const container = workload.containers[0] as ContainerFacts;
  const unset = (evidence: Evidence | undefined) => {
    if (evidence?.source === 'default') evidence.field = evidence.field.replace(', assumed: no manifest', ', not set by the gcloud run deploy command');
  };
  for (const evidence of [workload.containerConcurrency?.evidence, workload.timeoutSeconds?.evidence, container.cpu?.evidence, container.port?.evidence, container.startupProbe?.evidence]) unset(evidence);
}

function applySettings(workload: Workload, deploy: RunDeployCommand): void {
  const { settings } = deploy;
  const container = workload.containers[0] as ContainerFacts;
  const setting = <T>(flag: DeployFlag<T>, field: string): Setting<T> => {
    const evidence = deployEvidence(deploy, field, flag.text);
    return flag.value === undefined ? { value: undefined, evidence, isDefault: false, unresolved: true } : explicit(flag.value, evidence);
  };
  if (settings.concurrency !== undefined) {
    // `--concurrency default` is Cloud Run's default (80): the same as leaving it unset.
    const { value, text } = settings.concurrency;
    workload.containerConcurrency = value === 'default' ? { value: undefined, evidence: deployEvidence(deploy, '--concurrency', text), isDefault: false } : setting({ value, text }, '--concurrency');
  }
  if (settings.timeoutSeconds !== undefined) workload.timeoutSeconds = setting(settings.timeoutSeconds, '--timeout');
  if (settings.cpu !== undefined) container.cpu = setting(settings.cpu, '--cpu');
  if (settings.serviceAccount !== undefined) workload.serviceAccountName = setting(settings.serviceAccount, '--service-account');
  if (settings.port !== undefined) {
    container.port = setting(settings.port, '--port');
    const value = settings.port.value;
    setEnv(container, 'PORT', value === undefined ? undefined : String(value), deployEvidence(deploy, '--port', settings.port.text));
  }
  // `--set-env-vars` replaces the service's env vars: those an earlier command set are gone (the image's ENV stays).
  if (settings.env.some((entry) => entry.text.startsWith('--set-env-vars'))) {
    for (const [name, entry] of container.env) if (entry.evidence.source === 'deploy-command' && name !== 'PORT') container.env.delete(name);
  }
  for (const entry of settings.env) setEnv(container, entry.name, entry.value, deployEvidence(deploy, entry.name, entry.text));
  const annotate = (key: string, flag: DeployFlag<unknown> | undefined) => {
    if (flag?.value !== undefined && flag.value !== 'default') workload.templateAnnotations[key] = String(flag.value);
  };
  annotate('run.googleapis.com/cpu-throttling', settings.cpuThrottling);
  annotate('run.googleapis.com/startup-cpu-boost', settings.cpuBoost);
  annotate('run.googleapis.com/execution-environment', settings.executionEnvironment);
  annotate('autoscaling.knative.dev/minScale', settings.minInstances);
  annotate('autoscaling.knative.dev/maxScale', settings.maxInstances);
}

/** An env var the command sets; `value` undefined: a substitution is left in it. */
function setEnv(container: ContainerFacts, name: string, value: string | undefined, evidence: Evidence): void {
  container.env.set(name, { name, fromRef: value === undefined, ...(value === undefined ? {} : { value }), evidence });
}

function deployEvidence(deploy: RunDeployCommand, field: string, text: string): Evidence {
  return { source: 'deploy-command', file: deploy.file, ...(deploy.line === undefined ? {} : { line: deploy.line }), field, text };
}
