/**
 * @module Typed facts about the workloads pytuner tunes: Knative/Cloud Run Services and Deployments,
 * with their containers, and the identity and IAM objects the profiler rule needs. Built by `model/extract/`
 * from validated objects; rules read only these types.
 */
import type { Evidence, Setting } from './evidence.ts';
import type { ServerConfig } from './server.ts';
import type { ImageFacts } from './image.ts';
import type { CloudRunService } from '../parse/cloudRunV2.ts';
import type { RunDeployCommand } from '../parse/gcloudRunDeploy.ts';

/** Where a workload runs: decides defaults (Cloud Run concurrency 80) and which rules apply. */
export type Platform = 'knative' | 'cloudrun' | 'kubernetes';

/**
 * Identifies an object in a report and in a patch: apiVersion, kind, namespace and name. `file`/`line` point at the
 * document that defined it when it came from a file; an object read from the API server has none.
 */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  file?: string;
  /** 1-based line where the YAML document starts. */
  line?: number;
  /** 0-based index of the document in the file (after `kind: List` expansion, the item's index in file order). */
  docIndex: number;
}

/** A probe, reduced to what the rules need. */
export interface ProbeFacts {
  handler: 'httpGet' | 'tcpSocket' | 'exec' | 'grpc' | 'none';
  path?: string;
  port?: number | string;
  periodSeconds?: number;
  failureThreshold?: number;
  /** True when the platform adds it (Knative/Cloud Run's default TCP startup/readiness probe), not the manifest. */
  implicit: boolean;
  evidence: Evidence;
}

/** An environment variable: a literal value, or a reference pytuner cannot resolve (valueFrom). */
export interface EnvVar {
  name: string;
  value?: string;
  fromRef: boolean;
  evidence: Evidence;
  /** Index in `containers[i].env` when it came from the manifest (for JSON patches). */
  index?: number;
}

/** One container of a workload. */
export interface ContainerFacts {
  name: string;
  index: number;
  image?: string;
  /** Manifest `command`/`args` as written (absent when not set). */
  command?: string[];
  args?: string[];
  /** Effective environment: image ENV overlaid by container env, by name. */
  env: Map<string, EnvVar>;
  /** The manifest's `envFrom`: variables from a ConfigMap or Secret pytuner does not read, so `env` may not be all of them. */
  envFrom?: Evidence;
  /** CPU limit in vCPU (or request when no limit), with evidence; absent when neither is set and the platform has no default. */
  cpu?: Setting<number>;
  /** The container port the server listens on (first declared port, or $PORT / 8080 on Knative/Cloud Run). */
  port?: Setting<number>;
  startupProbe?: ProbeFacts;
  readinessProbe?: ProbeFacts;
  livenessProbe?: ProbeFacts;
  /** The Python server this container runs, when one was detected. */
  server?: ServerConfig;
  /** The Dockerfile (with Procfile / gunicorn.conf.py) facts joined to this container, if any. */
  dockerfile?: ImageFacts;
  /** Source files joined to this container and how (for the report's "facts from" line). */
  sources: JoinedSource[];
}

/** How a source file (Dockerfile, Procfile, gunicorn.conf.py) was joined to a container. */
export interface JoinedSource {
  file: string;
  kind: 'Dockerfile' | 'Procfile' | 'gunicorn.conf.py';
  how: 'flag' | 'annotation' | 'build' | 'directory' | 'name';
}

/** A Knative/Cloud Run Service or a Deployment, reduced to the facts pytuner's rules use. */
export interface Workload {
  ref: ObjectRef;
  platform: Platform;
  /** Annotations on the pod/revision template (`spec.template.metadata.annotations`). */
  templateAnnotations: Record<string, string>;
  /** Annotations on the object itself. */
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** Knative/Cloud Run `containerConcurrency`: undefined value = unset. Absent on Deployments. */
  containerConcurrency?: Setting<number>;
  /** Knative/Cloud Run `timeoutSeconds`. */
  timeoutSeconds?: Setting<number>;
  /** `serviceAccountName` (a KSA name on Kubernetes/Knative, a GSA email on Cloud Run). */
  serviceAccountName?: Setting<string>;
  /** JSON pointer to the pod spec within the object (`/spec/template/spec`), for patches. */
  podSpecPointer: string;
  containers: ContainerFacts[];
  /**
   * Set when no manifest describes the workload: a Dockerfile or Procfile deployed from source (`gcloud run deploy
   * --source`), with the platform pytuner assumed and why. Its `ref` names the service it stands for and the source file.
   */
  assumed?: { platform: Platform; why: string; evidence: Evidence };
  /** The `gcloud run deploy` command that deploys this source (with `assumed`): its flags are the service's settings, and where its fixes go. */
  deployedBy?: RunDeployCommand;
  /** The `gcloud run services update` commands of that service, in the order they run after it: their flags win. */
  updatedBy?: RunDeployCommand[];
  /**
   * Set on a service read from the Cloud Run Admin API v2 (`report --cloudrun`): where it lives and the resource as
   * read, which its fixes (`gcloud run services update`, a v2 field patch) are rendered against.
   */
  cloudRun?: { project: string; location: string; service: CloudRunService };
}

/** A Kubernetes ServiceAccount: its Workload Identity annotation is what links a pod to a Google service account. */
export interface ServiceAccountFacts {
  ref: ObjectRef;
  /** `iam.gke.io/gcp-service-account`. */
  gcpServiceAccount?: string;
}

/** One IAM grant found among the inputs (Config Connector IAMPolicyMember, or a binding of an IAMPartialPolicy). */
export interface IamGrant {
  ref: ObjectRef;
  role: string;
  /** `serviceAccount:x@p.iam.gserviceaccount.com`, `principal://...`, `principalSet://...`; a memberFrom ref is resolved to `serviceAccount:<name>` where possible. */
  member: string;
  /** The resource the grant is on: `Project/<id>` or the external ref text. */
  resource: string;
}

/** Everything read from the inputs, after parsing and joining. The rules' whole world. */
export interface Inventory {
  workloads: Workload[];
  serviceAccounts: ServiceAccountFacts[];
  iamGrants: IamGrant[];
  /** Dockerfiles that no workload claimed: still checked on their own (image and server rules). */
  standaloneImages: ImageFacts[];
}
