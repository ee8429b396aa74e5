/**
 * @module A Cloud Run Admin API v2 `Service` (`pytuner report --cloudrun`) → Workload, the same model a
 * `serving.knative.dev/v1` manifest gives, so every rule and the recommender run on it unchanged.
 *
 * The target is the v2 object itself: apiVersion `run.googleapis.com/v2`, kind `Service`, namespace
 * `projects/P/locations/L` (the v2 parent), name the service id; no file. Evidence names v2 fields
 * (`template.maxInstanceRequestConcurrency`). v2 fields that the v1 (Knative-shaped) API carries as annotations are
 * given to the rules under those annotation names, which are the model's vocabulary for them:
 * `containers[].resources.cpuIdle` → `run.googleapis.com/cpu-throttling`, `startupCpuBoost` →
 * `run.googleapis.com/startup-cpu-boost`, `template.scaling` → `autoscaling.knative.dev/minScale`/`maxScale`
 * (https://cloud.google.com/run/docs/reference/yaml/v1), and the location as the label
 * `cloud.googleapis.com/location`, which the v1 API sets and the metrics read.
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault, explicit } from '../evidence.ts';
import type { ContainerFacts, EnvVar, ProbeFacts, Workload } from '../workload.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import type { CloudRunContainer, CloudRunProbe, CloudRunServiceInput } from '../../parse/cloudRunV2.ts';
import { durationSeconds } from '../../parse/cloudRunV2.ts';
import { parseCpuQuantity } from '../../parse/quantity.ts';
import type { PathSegment } from '../../parse/fieldPath.ts';
import { defaultEvidence, manifestEvidence } from './context.ts';
import { envByName } from './podTemplate.ts';
import type { WorkloadDraft } from './draft.ts';
import { withSourceAnnotation } from './sourceAnnotation.ts';

export const CLOUD_RUN_V2_API_VERSION = 'run.googleapis.com/v2';
/** Where the containers sit in a v2 Service; also the prefix of its JSON pointers (`/template/containers/0/env`). */
export const CLOUD_RUN_V2_CONTAINERS_PATH: readonly PathSegment[] = ['template', 'containers'];
const TEMPLATE_POINTER = '/template';

/** Cloud Run's defaults when a field is absent (https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services). */
const DEFAULT_TIMEOUT_SECONDS = 300;
const DEFAULT_CPU = 1;
const DEFAULT_PORT = 8080;
/** The TCP startup probe Cloud Run adds when none is declared (https://cloud.google.com/run/docs/configuring/healthchecks). */
const DEFAULT_STARTUP_PROBE = { periodSeconds: 240, failureThreshold: 1 };

/** The namespace a v2 service's target carries: its parent, `projects/P/locations/L`. */
export function cloudRunNamespace(project: string, location: string): string {
  return `projects/${project}/locations/${location}`;
}

/** The document a v2 service stands in: no file, no line; its identity is the object. */
export function cloudRunDocument(input: CloudRunServiceInput, docIndex: number): ParsedDocument {
  return { docIndex, object: input.service };
}

/** extractCloudRunService reads one v2 service. */
export function extractCloudRunService(input: CloudRunServiceInput, docIndex: number): WorkloadDraft {
  const doc = cloudRunDocument(input, docIndex);
  const { service, project, location, id } = input;
  const template = service.template;
  const withPorts = template.containers.findIndex((c) => (c.ports?.length ?? 0) > 0);
  const servingIndex = withPorts === -1 ? 0 : withPorts;
  const containers = template.containers.map((c, index) => containerFacts(doc, c, index, index === servingIndex, template.containers.length));
  const concurrencyPath = ['template', 'maxInstanceRequestConcurrency'];
  const concurrency = template.maxInstanceRequestConcurrency;
  const workload: Workload = {
    ref: { apiVersion: CLOUD_RUN_V2_API_VERSION, kind: 'Service', namespace: cloudRunNamespace(project, location), name: id, docIndex },
    platform: 'cloudrun',
    templateAnnotations: { ...template.annotations, ...derivedAnnotations(template.containers[servingIndex] as CloudRunContainer, template.scaling) },
    annotations: service.annotations ?? {},
    labels: { ...service.labels, 'cloud.googleapis.com/location': location },
    containerConcurrency:
      concurrency === undefined ? { value: undefined, evidence: manifestEvidence(doc, concurrencyPath), isDefault: false } : explicit(concurrency, manifestEvidence(doc, concurrencyPath, String(concurrency))),
    timeoutSeconds: template.timeout === undefined ? byDefault(DEFAULT_TIMEOUT_SECONDS, 'Cloud Run default request timeout (300 s)') : explicit(durationSeconds(template.timeout), manifestEvidence(doc, ['template', 'timeout'], template.timeout)),
    podSpecPointer: TEMPLATE_POINTER,
    containers,
    cloudRun: { project, location, service },
  };
  if (template.serviceAccount !== undefined) workload.serviceAccountName = explicit(template.serviceAccount, manifestEvidence(doc, ['template', 'serviceAccount'], template.serviceAccount));
  const draft: WorkloadDraft = { workload, doc, servingIndex, containersPath: CLOUD_RUN_V2_CONTAINERS_PATH };
  return withSourceAnnotation(draft, doc, service.annotations, template.annotations);
}

function derivedAnnotations(serving: CloudRunContainer, scaling: { minInstanceCount?: number | undefined; maxInstanceCount?: number | undefined } | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const resources = serving.resources;
  // cpuIdle true = CPU only during requests (request-based billing) = cpu-throttling true.
  if (resources?.cpuIdle !== undefined) out['run.googleapis.com/cpu-throttling'] = String(resources.cpuIdle);
  if (resources?.startupCpuBoost !== undefined) out['run.googleapis.com/startup-cpu-boost'] = String(resources.startupCpuBoost);
  if (scaling?.minInstanceCount !== undefined) out['autoscaling.knative.dev/minScale'] = String(scaling.minInstanceCount);
  if (scaling?.maxInstanceCount !== undefined) out['autoscaling.knative.dev/maxScale'] = String(scaling.maxInstanceCount);
  return out;
}

function containerFacts(doc: ParsedDocument, c: CloudRunContainer, index: number, serving: boolean, count: number): ContainerFacts {
  const path: PathSegment[] = [...CLOUD_RUN_V2_CONTAINERS_PATH, index];
  // Cloud Run names an unnamed container itself; the name is only needed to tell containers apart.
  const name = c.name !== undefined && c.name !== '' ? c.name : count === 1 ? 'user-container' : `container-${index}`;
  const facts: ContainerFacts = { name, index, env: envByName(doc, c.env, path, 'valueSource'), sources: [] };
  if (c.image !== undefined) facts.image = c.image;
  if (c.command !== undefined) facts.command = c.command;
  if (c.args !== undefined) facts.args = c.args;
  const cpu = c.resources?.limits?.cpu;
  facts.cpu = cpu === undefined ? byDefault(DEFAULT_CPU, 'Cloud Run default CPU limit (1 vCPU)') : explicit(parseCpuQuantity(cpu) as number, manifestEvidence(doc, [...path, 'resources', 'limits', 'cpu'], cpu));
  const port = portSetting(doc, c, path, serving);
  if (port !== undefined) facts.port = port;
  for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
    const probe = c[kind];
    if (probe !== undefined) facts[kind] = probeFacts(probe, manifestEvidence(doc, [...path, kind]));
  }
  if (serving && facts.startupProbe === undefined) {
    facts.startupProbe = { handler: 'tcpSocket', port: facts.port?.value ?? DEFAULT_PORT, ...DEFAULT_STARTUP_PROBE, implicit: true, evidence: defaultEvidence('Cloud Run default TCP startup probe (periodSeconds 240, failureThreshold 1)') };
  }
  return facts;
}

function portSetting(doc: ParsedDocument, c: CloudRunContainer, path: PathSegment[], serving: boolean): Setting<number> | undefined {
  const declared = c.ports?.[0]?.containerPort;
  if (declared !== undefined) return explicit(declared, manifestEvidence(doc, [...path, 'ports', 0, 'containerPort'], String(declared)));
  return serving ? byDefault(DEFAULT_PORT, 'Cloud Run default container port ($PORT)') : undefined;
}

function probeFacts(probe: CloudRunProbe, evidence: Evidence): ProbeFacts {
  const handler: ProbeFacts['handler'] = probe.httpGet !== undefined ? 'httpGet' : probe.tcpSocket !== undefined ? 'tcpSocket' : probe.grpc !== undefined ? 'grpc' : 'none';
  const facts: ProbeFacts = { handler, implicit: false, evidence };
  if (probe.httpGet?.path !== undefined) facts.path = probe.httpGet.path;
  const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
  if (port !== undefined) facts.port = port;
  if (probe.periodSeconds !== undefined) facts.periodSeconds = probe.periodSeconds;
  if (probe.failureThreshold !== undefined) facts.failureThreshold = probe.failureThreshold;
  return facts;
}
