/**
 * @module An Inventory from workloads, Kubernetes ServiceAccounts, IAM grants and Dockerfiles:
 * `inventory(api).serviceAccount('prod', 'api', 'api@my-project.iam.gserviceaccount.com').grant(member, role).build()`.
 */
import type { ImageFacts } from '../../src/model/image.ts';
import type { IamGrant, Inventory, ServiceAccountFacts, Workload } from '../../src/model/workload.ts';
import type { DockerfileBuilder } from './image.ts';
import type { WorkloadBuilder } from './workload.ts';

export class InventoryBuilder {
  #workloads: Workload[];
  #serviceAccounts: ServiceAccountFacts[] = [];
  #grants: IamGrant[] = [];
  #images: ImageFacts[] = [];

  constructor(workloads: Workload[]) {
    this.#workloads = workloads;
  }

  /** A Kubernetes ServiceAccount, with its `iam.gke.io/gcp-service-account` annotation when `gsa` is given. */
  serviceAccount(namespace: string, name: string, gsa?: string): this {
    const sa: ServiceAccountFacts = { ref: { apiVersion: 'v1', kind: 'ServiceAccount', namespace, name, file: 'serviceaccount.yaml', line: 1, docIndex: this.#serviceAccounts.length } };
    if (gsa !== undefined) sa.gcpServiceAccount = gsa;
    this.#serviceAccounts.push(sa);
    return this;
  }

  /** An IAMPolicyMember granting `role` to `member` on a project (by default `Project/my-project`). */
  grant(member: string, role: string, resource = 'Project/my-project'): this {
    const name = `grant-${this.#grants.length}`;
    this.#grants.push({ ref: { apiVersion: 'iam.cnrm.cloud.google.com/v1beta1', kind: 'IAMPolicyMember', namespace: 'config-connector', name, file: 'iam.yaml', line: 1, docIndex: this.#grants.length }, role, member, resource });
    return this;
  }

  /** A Dockerfile no workload claims. */
  standaloneImage(image: DockerfileBuilder | ImageFacts): this {
    this.#images.push('build' in image ? image.build() : image);
    return this;
  }

  build(): Inventory {
    return { workloads: [...this.#workloads], serviceAccounts: [...this.#serviceAccounts], iamGrants: [...this.#grants], standaloneImages: [...this.#images] };
  }
}

/** An inventory holding these workloads (built or still builders). */
export function inventory(...workloads: Array<Workload | WorkloadBuilder>): InventoryBuilder {
  return new InventoryBuilder(workloads.map((w) => ('build' in w ? w.build() : w)));
}
