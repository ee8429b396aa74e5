/**
 * @module A Cloud Run service read from Terraform, after the Knative extractor: its identity becomes the resource
 * address (`google_cloud_run_v2_service.api`, the file and line are evidence), and the values written as expressions
 * pytuner does not evaluate (`var.x`) become unknown settings whose evidence says so, never a default.
 */
import type { Evidence } from '../evidence.ts';
import type { Workload } from '../workload.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import type { UnresolvedValue } from '../../parse/terraform.ts';

/** apiVersion of a Terraform resource's ObjectRef and finding target; `kind` is the resource type, `name` its local name. */
export const TERRAFORM_API_VERSION = 'terraform';

/** Rewrites a workload extracted from a Terraform resource's document (no-op for other documents). */
export function withTerraformOrigin(workload: Workload, doc: ParsedDocument): void {
  const origin = doc.terraform;
  if (origin === undefined) return;
  workload.ref = { ...workload.ref, apiVersion: TERRAFORM_API_VERSION, kind: origin.type, name: origin.name };
  delete workload.ref.namespace;
  // A module's resource exists once per call: its Terraform address starts with the call (`module.svc`), kept as the namespace.
  if (origin.module !== undefined) workload.ref.namespace = `module.${origin.module.call}`;
  for (const value of origin.unresolved) applyUnresolved(workload, doc, value);
}

const CONTAINER = /^spec\.template\.spec\.containers\[(\d+)\]\.resources\.(limits|requests)\.cpu$/;

function applyUnresolved(workload: Workload, doc: ParsedDocument, value: UnresolvedValue): void {
  const why = value.why ?? 'pytuner does not resolve Terraform variables, locals or module outputs';
  const evidence: Evidence = { source: 'manifest', field: value.attribute, line: value.line, text: `${value.text} (not evaluated: ${why})` };
  if (doc.file !== undefined) evidence.file = doc.file;
  if (value.path === 'spec.template.spec.containerConcurrency') workload.containerConcurrency = { value: undefined, evidence, isDefault: false, unresolved: true };
  else if (value.path === 'spec.template.spec.timeoutSeconds') workload.timeoutSeconds = { value: undefined, evidence, isDefault: false, unresolved: true };
  const cpu = CONTAINER.exec(value.path);
  const container = cpu === null ? undefined : workload.containers[Number(cpu[1])];
  if (container !== undefined && (cpu?.[2] === 'limits' || container.cpu === undefined || container.cpu.isDefault)) container.cpu = { value: undefined, evidence, isDefault: false, unresolved: true };
}
