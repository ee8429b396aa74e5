/**
 * @module A `serving.knative.dev/v1` Service (Knative Serving or Cloud Run) → Workload.
 */
import type { Setting } from '../evidence.ts';
import { byDefault, explicit } from '../evidence.ts';
import type { Platform, Workload } from '../workload.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import type { KnativeService } from '../../parse/schemas.ts';
import { manifestEvidence, objectRef } from './context.ts';
import { extractContainers, POD_SPEC_POINTER } from './podTemplate.ts';
import type { WorkloadDraft } from './draft.ts';
import { withSourceAnnotation } from './sourceAnnotation.ts';

const CLOUD_RUN_LOCATION_LABEL = 'cloud.googleapis.com/location';
const CLOUD_RUN_ANNOTATION_PREFIX = 'run.googleapis.com/';

/**
 * Request timeout when `timeoutSeconds` is unset (or 0 on Knative): 300 s on Cloud Run
 * (https://cloud.google.com/run/docs/reference/rest/v1/RevisionSpec) and Knative's config-defaults
 * `revision-timeout-seconds: "300"` (a cluster may change it).
 */
const DEFAULT_TIMEOUT_SECONDS = 300;

/**
 * knativePlatform tells Cloud Run from Knative: Cloud Run YAML carries the `cloud.googleapis.com/location` label
 * or `run.googleapis.com/*` annotations (https://cloud.google.com/run/docs/reference/yaml/v1).
 */
function knativePlatform(svc: KnativeService): Platform {
  if (svc.metadata.labels?.[CLOUD_RUN_LOCATION_LABEL] !== undefined) return 'cloudrun';
  const keys = [...Object.keys(svc.metadata.annotations ?? {}), ...Object.keys(svc.spec.template.metadata?.annotations ?? {})];
  return keys.some((key) => key.startsWith(CLOUD_RUN_ANNOTATION_PREFIX)) ? 'cloudrun' : 'knative';
}

/** extractKnativeService reads a Knative/Cloud Run Service. */
export function extractKnativeService(doc: ParsedDocument, svc: KnativeService): WorkloadDraft {
  const platform = knativePlatform(svc);
  const spec = svc.spec.template.spec;
  const specPath = ['spec', 'template', 'spec'];
  const { containers, servingIndex } = extractContainers(doc, spec, platform);
  const ccPath = [...specPath, 'containerConcurrency'];
  const containerConcurrency: Setting<number> =
    spec.containerConcurrency === undefined
      ? { value: undefined, evidence: manifestEvidence(doc, ccPath), isDefault: false }
      : explicit(spec.containerConcurrency, manifestEvidence(doc, ccPath, String(spec.containerConcurrency)));
  const workload: Workload = {
    ref: objectRef(doc, svc),
    platform,
    templateAnnotations: svc.spec.template.metadata?.annotations ?? {},
    annotations: svc.metadata.annotations ?? {},
    labels: svc.metadata.labels ?? {},
    containerConcurrency,
    timeoutSeconds: timeoutSetting(doc, spec.timeoutSeconds, [...specPath, 'timeoutSeconds'], platform),
    podSpecPointer: POD_SPEC_POINTER,
    containers,
  };
  if (spec.serviceAccountName !== undefined) {
    workload.serviceAccountName = explicit(spec.serviceAccountName, manifestEvidence(doc, [...specPath, 'serviceAccountName'], spec.serviceAccountName));
  }
  return withSourceAnnotation({ workload, doc, servingIndex }, doc, svc.metadata.annotations, svc.spec.template.metadata?.annotations);
}

function timeoutSetting(doc: ParsedDocument, timeout: number | undefined, path: string[], platform: Platform): Setting<number> {
  const what = platform === 'cloudrun' ? 'Cloud Run default request timeout (300 s)' : 'Knative config-defaults revision-timeout-seconds (300 s unless the cluster changed it)';
  if (timeout === undefined) return byDefault(DEFAULT_TIMEOUT_SECONDS, what);
  // Knative's defaulting replaces 0 with the configured default (revision_defaults.go: `TimeoutSeconds == nil || == 0`).
  if (timeout === 0 && platform === 'knative') return { value: DEFAULT_TIMEOUT_SECONDS, evidence: manifestEvidence(doc, path, '0'), isDefault: true };
  return explicit(timeout, manifestEvidence(doc, path, String(timeout)));
}
