/**
 * @module An `apps/v1` Deployment → Workload (platform `kubernetes`).
 */
import { explicit } from '../evidence.ts';
import type { Workload } from '../workload.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import type { Deployment } from '../../parse/schemas.ts';
import { manifestEvidence, objectRef } from './context.ts';
import { extractContainers, POD_SPEC_POINTER } from './podTemplate.ts';
import type { WorkloadDraft } from './draft.ts';
import { withSourceAnnotation } from './sourceAnnotation.ts';

/** extractDeployment reads a Deployment's pod template. */
export function extractDeployment(doc: ParsedDocument, deployment: Deployment): WorkloadDraft {
  const spec = deployment.spec.template.spec;
  const { containers, servingIndex } = extractContainers(doc, spec, 'kubernetes');
  const workload: Workload = {
    ref: objectRef(doc, deployment),
    platform: 'kubernetes',
    templateAnnotations: deployment.spec.template.metadata?.annotations ?? {},
    annotations: deployment.metadata.annotations ?? {},
    labels: deployment.metadata.labels ?? {},
    podSpecPointer: POD_SPEC_POINTER,
    containers,
  };
  if (spec.serviceAccountName !== undefined) {
    workload.serviceAccountName = explicit(spec.serviceAccountName, manifestEvidence(doc, ['spec', 'template', 'spec', 'serviceAccountName'], spec.serviceAccountName));
  }
  return withSourceAnnotation({ workload, doc, servingIndex }, doc, deployment.metadata.annotations, deployment.spec.template.metadata?.annotations);
}
