/**
 * @module `profiler.service-name`: the service name handed to `googlecloudprofiler.start(service=...)` must match
 * `^[a-z0-9]([-a-z0-9_.]{0,253}[a-z0-9])?$`; the agent raises ValueError at start otherwise.
 * @see docs/rules/profiler.service-name.md
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding, Fix } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { targetOf, workloadAnnotation } from './facts.ts';
import { fixFromChange, setAnnotation, setEnv } from './fixes.ts';

const ID = 'profiler.service-name';

/** The agent's rule for service names (https://cloud.google.com/profiler/docs/profiling-python, "Service name and version arguments"). */
export const SERVICE_NAME = /^[a-z0-9]([-a-z0-9_.]{0,253}[a-z0-9])?$/;

/** Env vars an app conventionally passes to `start(service=...)`, in the order pytuner reads them. */
const SERVICE_ENV = ['GOOGLE_CLOUD_PROFILER_SERVICE', 'PROFILER_SERVICE'];

/** Annotation that states the service name when the code takes it from elsewhere. */
export const SERVICE_ANNOTATION = 'pytuner.dev/profiler-service';

/** `profiler.service-name`: a profiler service name the agent rejects. */
export const serviceName: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'the Cloud Profiler service name does not match ^[a-z0-9]([-a-z0-9_.]{0,253}[a-z0-9])?$',
  check: (inventory) =>
    inventory.workloads.flatMap((workload) => [
      ...workload.containers.flatMap((container) => checkEnv(workload, container)),
      ...checkAnnotation(workload),
    ]),
};

function checkEnv(workload: Workload, container: ContainerFacts): Finding[] {
  for (const name of SERVICE_ENV) {
    const env = container.env.get(name);
    if (env === undefined || env.fromRef || env.value === undefined || env.value === '') continue;
    if (SERVICE_NAME.test(env.value) || isKubernetesReference(env.value)) return [];
    const fixed = validServiceName(env.value, workload.ref.name);
    return [finding(workload, container, name, env.value, fixed, env.evidence, fixFromChange(setEnv(workload, container, name, fixed)))];
  }
  return [];
}

function checkAnnotation(workload: Workload): Finding[] {
  const annotation = workloadAnnotation(workload, SERVICE_ANNOTATION);
  if (annotation === undefined || SERVICE_NAME.test(annotation.value)) return [];
  const fixed = validServiceName(annotation.value, workload.ref.name);
  return [finding(workload, undefined, SERVICE_ANNOTATION, annotation.value, fixed, annotation.evidence, annotationFix(workload, annotation.evidence, fixed))];
}

/** `$(VAR)` is expanded by the kubelet from another env var: its value is not known here. */
function isKubernetesReference(value: string): boolean {
  return /\$\([A-Za-z_][A-Za-z0-9_]*\)/.test(value);
}

function finding(workload: Workload, container: ContainerFacts | undefined, key: string, value: string, fixed: string, evidence: Evidence, fix: Fix): Finding {
  return {
    rule: ID,
    severity: 'warning',
    target: targetOf(workload, container),
    message: `profiler service name ${JSON.stringify(value)} (${key}) does not match ${SERVICE_NAME.source}: googlecloudprofiler.start raises ValueError and no profiles are sent; use ${JSON.stringify(fixed)}`,
    current: { [key]: value },
    recommended: { [key]: fixed },
    evidence: [evidence],
    fix,
  };
}

/** Patches the annotation where it was found: the object's own annotations or the template's. */
function annotationFix(workload: Workload, evidence: Evidence, value: string): Fix {
  const scope = evidence.field.startsWith('spec.template.') ? 'template' : 'object';
  return fixFromChange(setAnnotation(workload, scope, SERVICE_ANNOTATION, value));
}

/**
 * The nearest valid name: lower case, other characters to `-`, trimmed to start and end with a letter or digit, at most
 * 255 characters; the workload's name when nothing is left.
 */
export function validServiceName(value: string, fallback: string): string {
  const cleaned = value
    .toLowerCase()
    .replace(/[^-a-z0-9_.]/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 255)
    .replace(/[^a-z0-9]+$/, '');
  return cleaned === '' ? validServiceName(fallback, 'service') : cleaned;
}
