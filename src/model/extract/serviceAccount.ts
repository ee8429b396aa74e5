/**
 * @module A Kubernetes ServiceAccount → ServiceAccountFacts (its Workload Identity annotation).
 */
import type { ServiceAccountFacts } from '../workload.ts';
import type { ParsedDocument } from '../../parse/types.ts';
import type { ServiceAccount } from '../../parse/schemas.ts';
import { objectRef } from './context.ts';

/** Links a KSA to a Google service account (https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity). */
export const GCP_SERVICE_ACCOUNT_ANNOTATION = 'iam.gke.io/gcp-service-account';

/** extractServiceAccount reads a ServiceAccount. */
export function extractServiceAccount(doc: ParsedDocument, sa: ServiceAccount): ServiceAccountFacts {
  const facts: ServiceAccountFacts = { ref: objectRef(doc, sa) };
  const gsa = sa.metadata.annotations?.[GCP_SERVICE_ACCOUNT_ANNOTATION];
  if (gsa !== undefined) facts.gcpServiceAccount = gsa;
  return facts;
}
