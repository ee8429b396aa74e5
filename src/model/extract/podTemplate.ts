/**
 * @module Containers of a pod template (Knative revision template or Deployment), reduced to ContainerFacts:
 * CPU, port, probes and manifest env, with the platform defaults Knative and Cloud Run apply.
 */
import type { Evidence, Setting } from '../evidence.ts';
import { byDefault, explicit } from '../evidence.ts';
import type { ContainerFacts, EnvVar, Platform, ProbeFacts } from '../workload.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import type { Container, PodSpec, Probe } from '../../parse/schemas.ts';
import type { PathSegment } from '../../parse/fieldPath.ts';
import { defaultEvidence, manifestEvidence } from './context.ts';
import { parseCpuQuantity } from '../../parse/quantity.ts';

/** JSON pointer of the pod spec in a Knative Service and in a Deployment alike. */
export const POD_SPEC_POINTER = '/spec/template/spec';
const POD_SPEC_PATH = ['spec', 'template', 'spec'] as const;

/** Knative and Cloud Run send requests to `$PORT`, 8080 unless the container declares a port. */
const KNATIVE_DEFAULT_PORT = 8080;

/** Cloud Run's CPU limit when none is set: 1 vCPU (https://cloud.google.com/run/docs/configuring/services/cpu). */
const CLOUD_RUN_DEFAULT_CPU = 1;

/**
 * Cloud Run adds this TCP startup probe to a service that declares none:
 * `{tcpSocket: {port}, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1}`
 * (https://cloud.google.com/run/docs/configuring/healthchecks).
 */
const CLOUD_RUN_STARTUP_PROBE = { periodSeconds: 240, failureThreshold: 1 };

/** The containers of a pod template, and which one serves requests. */
export interface ExtractedContainers {
  containers: ContainerFacts[];
  /** Index of the container that receives requests: the one with ports, else the first. */
  servingIndex: number;
}

/** extractContainers reads every container of `spec.template.spec`. Env holds the manifest's entries only, until sources are joined. */
export function extractContainers(doc: ParsedDocument, podSpec: PodSpec, platform: Platform): ExtractedContainers {
  const withPorts = podSpec.containers.findIndex((c) => (c.ports?.length ?? 0) > 0);
  const servingIndex = withPorts === -1 ? 0 : withPorts;
  const containers = podSpec.containers.map((container, index) => {
    const path: PathSegment[] = [...POD_SPEC_PATH, 'containers', index];
    return extractContainer(doc, container, index, path, platform, index === servingIndex, podSpec.containers.length);
  });
  return { containers, servingIndex };
}

function extractContainer(doc: ParsedDocument, c: Container, index: number, path: PathSegment[], platform: Platform, serving: boolean, count: number): ContainerFacts {
  const facts: ContainerFacts = { name: containerName(c, index, count), index, env: envByName(doc, c.env, path), sources: [] };
  if (c.image !== undefined) facts.image = c.image;
  if (c.command !== undefined) facts.command = c.command;
  if (c.args !== undefined) facts.args = c.args;
  if (Array.isArray(c.envFrom) && c.envFrom.length > 0) facts.envFrom = manifestEvidence(doc, [...path, 'envFrom']);
  const cpu = cpuSetting(doc, c, path, platform);
  if (cpu !== undefined) facts.cpu = cpu;
  const port = portSetting(doc, c, path, platform, serving);
  if (port !== undefined) facts.port = port;
  for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
    const probe = c[kind];
    if (probe !== undefined) facts[kind] = probeFacts(probe, manifestEvidence(doc, [...path, kind]));
  }
  if (serving && platform !== 'kubernetes') addImplicitProbes(facts, platform);
  return facts;
}

/**
 * containerName gives an unnamed container (allowed in Knative and Cloud Run YAML) the name Knative's defaulting
 * gives a single container, `user-container`; with several, Knative adds a random suffix, so `container-<index>` is used.
 */
function containerName(c: Container, index: number, count: number): string {
  if (c.name !== undefined && c.name !== '') return c.name;
  return count === 1 ? 'user-container' : `container-${index}`;
}

/** One env entry as both APIs write it; `ref` names the field that reads the value from elsewhere. */
export type EnvEntry = { name: string; value?: string | undefined } & Partial<Record<'valueFrom' | 'valueSource', object>>;

/**
 * Env by name; a later duplicate wins. An entry with neither value nor reference is the empty string. `ref` is the
 * field that points at a value pytuner cannot read: Kubernetes' `valueFrom`, Cloud Run v2's `valueSource` (a secret).
 */
export function envByName(doc: ParsedDocument, entries: readonly EnvEntry[] | undefined, path: PathSegment[], ref: 'valueFrom' | 'valueSource' = 'valueFrom'): Map<string, EnvVar> {
  const env = new Map<string, EnvVar>();
  (entries ?? []).forEach((entry, index) => {
    const fromRef = entry[ref] !== undefined;
    const value = fromRef ? undefined : (entry.value ?? '');
    const text = fromRef ? `${entry.name} (${ref})` : `${entry.name}=${value}`;
    const envVar: EnvVar = { name: entry.name, fromRef, evidence: manifestEvidence(doc, [...path, 'env', index], text), index };
    if (value !== undefined) envVar.value = value;
    env.set(entry.name, envVar);
  });
  return env;
}

/** CPU from `resources.limits.cpu`, else `requests.cpu`; on Cloud Run, 1 vCPU when neither is set. */
function cpuSetting(doc: ParsedDocument, c: Container, path: PathSegment[], platform: Platform): Setting<number> | undefined {
  for (const kind of ['limits', 'requests'] as const) {
    const quantity = c.resources?.[kind]?.cpu;
    if (quantity === undefined) continue;
    const vcpu = parseCpuQuantity(quantity) as number;
    return explicit(vcpu, manifestEvidence(doc, [...path, 'resources', kind, 'cpu'], String(quantity)));
  }
  return platform === 'cloudrun' ? byDefault(CLOUD_RUN_DEFAULT_CPU, 'Cloud Run default CPU limit (1 vCPU)') : undefined;
}

function portSetting(doc: ParsedDocument, c: Container, path: PathSegment[], platform: Platform, serving: boolean): Setting<number> | undefined {
  const first = c.ports?.[0];
  if (first !== undefined) return explicit(first.containerPort, manifestEvidence(doc, [...path, 'ports', 0, 'containerPort'], String(first.containerPort)));
  if (serving && platform !== 'kubernetes') return byDefault(KNATIVE_DEFAULT_PORT, 'Knative/Cloud Run default container port ($PORT)');
  return undefined;
}

/** probeFacts reduces a probe to its handler, target and timing. */
function probeFacts(probe: Probe, evidence: Evidence): ProbeFacts {
  const facts: ProbeFacts = { handler: probeHandler(probe), implicit: false, evidence };
  const path = probe.httpGet?.path;
  if (path !== undefined) facts.path = path;
  const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
  if (port !== undefined) facts.port = port;
  if (probe.periodSeconds !== undefined) facts.periodSeconds = probe.periodSeconds;
  if (probe.failureThreshold !== undefined) facts.failureThreshold = probe.failureThreshold;
  return facts;
}

function probeHandler(probe: Probe): ProbeFacts['handler'] {
  if (probe.httpGet !== undefined) return 'httpGet';
  if (probe.tcpSocket !== undefined) return 'tcpSocket';
  if (probe.exec !== undefined) return 'exec';
  if (probe.grpc !== undefined) return 'grpc';
  return 'none';
}

/**
 * addImplicitProbes records the probes the platform adds to the serving container: Cloud Run's TCP startup probe
 * when no startupProbe is declared, and Knative's TCP readiness probe on the serving port when no readinessProbe is
 * (knative/serving pkg/apis/serving/v1/revision_defaults.go).
 */
function addImplicitProbes(facts: ContainerFacts, platform: Platform): void {
  const port = facts.port?.value ?? KNATIVE_DEFAULT_PORT;
  if (platform === 'cloudrun' && facts.startupProbe === undefined) {
    facts.startupProbe = { handler: 'tcpSocket', port, ...CLOUD_RUN_STARTUP_PROBE, implicit: true, evidence: defaultEvidence('Cloud Run default TCP startup probe (periodSeconds 240, failureThreshold 1)') };
  }
  if (platform === 'knative' && facts.readinessProbe === undefined) {
    facts.readinessProbe = { handler: 'tcpSocket', port, implicit: true, evidence: defaultEvidence('Knative default TCP readiness probe on the serving port') };
  }
}

/** platformPortEnv is the `PORT` variable Knative and Cloud Run set in the serving container, equal to its port. */
export function platformPortEnv(port: Setting<number>): EnvVar {
  return { name: 'PORT', value: String(port.value), fromRef: false, evidence: defaultEvidence('PORT, set by Knative/Cloud Run to the container port') };
}
