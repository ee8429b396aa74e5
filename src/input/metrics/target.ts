/**
 * @module A workload whose metrics are wanted, with what the manifest says that the metrics need to be read right.
 */
import type { ObservedTarget } from '../../model/observations.ts';
import type { Platform, Workload } from '../../model/workload.ts';

/** An ObservedTarget plus the manifest facts that select and scale its series. */
export interface MetricsTarget extends ObservedTarget {
  platform?: Platform;
  /** The container running the Python server: CPU is read for it alone (not sidecars). */
  container?: string;
  /** vCPU of one instance: Cloud Run reports CPU as a utilisation of it. */
  vcpu?: number;
  /** Cloud Run region (label `cloud.googleapis.com/location`): picks the series when one name exists in several regions. */
  location?: string;
}

/** The target of a workload read from manifests: its server container (the first with a detected server, else the first). */
export function targetOfWorkload(workload: Workload): MetricsTarget {
  const kind = workload.ref.kind === 'Deployment' ? 'Deployment' : 'Service';
  const container = workload.containers.find((c) => c.server !== undefined) ?? workload.containers[0];
  const target: MetricsTarget = { kind, name: workload.ref.name, platform: workload.platform };
  if (workload.ref.namespace !== undefined) target.namespace = workload.ref.namespace;
  // Unnamed containers already carry Knative's default name (`user-container`), the one cAdvisor reports.
  if (container !== undefined) target.container = container.name;
  const vcpu = container?.cpu?.value;
  if (vcpu !== undefined) target.vcpu = vcpu;
  const location = workload.labels['cloud.googleapis.com/location'];
  if (location !== undefined) target.location = location;
  return target;
}
