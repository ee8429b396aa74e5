/**
 * @module Workloads as the extractor would build them, described as sentences:
 * `knativeService('api').cloudRun().concurrency(80).container((c) => c.gunicorn({ workers: 1, threads: 8 })).build()`.
 * Platform defaults follow the extractor: Cloud Run adds 1 vCPU and a TCP startup probe, Knative a TCP readiness
 * probe, both port 8080; `timeoutSeconds` defaults to 300.
 */
import type { Evidence, Setting } from '../../src/model/evidence.ts';
import { byDefault, explicit } from '../../src/model/evidence.ts';
import type { ContainerFacts, EnvVar, Platform, ProbeFacts, Workload } from '../../src/model/workload.ts';
import type { DockerfileBuilder } from './image.ts';
import { dockerfile } from './image.ts';
import type { GunicornOptions, ServerDraft, UvicornOptions, UwsgiOptions, WaitressOptions } from './server.ts';
import { gunicorn, uvicorn, uwsgi, waitress } from './server.ts';

/** Where the container sits, given by the workload when it builds. */
interface Place {
  file: string;
  index: number;
  platform: Platform;
  podSpecField: string;
}

type ProbeHandler = ProbeFacts['handler'];

/** One container under construction. */
export class ContainerBuilder {
  #name = 'app';
  #image?: string;
  #cpu?: number;
  #port?: number;
  #env: Array<{ name: string; value?: string }> = [];
  #command?: string[];
  #args?: string[];
  #probes: Partial<Record<'startupProbe' | 'readinessProbe' | 'livenessProbe', { handler: ProbeHandler; path?: string; port?: number; periodSeconds?: number; failureThreshold?: number }>> = {};
  #server?: ServerDraft;
  #dockerfile?: DockerfileBuilder;

  named(name: string): this {
    this.#name = name;
    return this;
  }

  image(ref: string): this {
    this.#image = ref;
    return this;
  }

  /** `resources.limits.cpu`, in vCPU. */
  cpu(vcpu: number): this {
    this.#cpu = vcpu;
    return this;
  }

  /** `ports[0].containerPort`. */
  port(port: number): this {
    this.#port = port;
    return this;
  }

  /** A literal env entry in the manifest. */
  env(name: string, value: string): this {
    this.#env.push({ name, value });
    return this;
  }

  /** An env entry read from a Secret (`valueFrom`): its value is unknown. */
  envFromSecret(name: string): this {
    this.#env.push({ name });
    return this;
  }

  command(...argv: string[]): this {
    this.#command = argv;
    return this;
  }

  args(...argv: string[]): this {
    this.#args = argv;
    return this;
  }

  probe(kind: 'startupProbe' | 'readinessProbe' | 'livenessProbe', handler: ProbeHandler, target: { path?: string; port?: number; periodSeconds?: number; failureThreshold?: number } = {}): this {
    this.#probes[kind] = { handler, ...target };
    return this;
  }

  /** The Dockerfile joined to this container (`--source`), built by `configure`. */
  dockerfile(configure: (d: DockerfileBuilder) => DockerfileBuilder, file = 'Dockerfile'): this {
    this.#dockerfile = configure(dockerfile(file));
    return this;
  }

  gunicorn(options?: GunicornOptions): this {
    this.#server = gunicorn(options);
    return this;
  }

  uwsgi(options?: UwsgiOptions): this {
    this.#server = uwsgi(options);
    return this;
  }

  uvicorn(options?: UvicornOptions): this {
    this.#server = uvicorn(options);
    return this;
  }

  waitress(options?: WaitressOptions): this {
    this.#server = waitress(options);
    return this;
  }

  build(place: Place): ContainerFacts {
    const field = `${place.podSpecField}.containers[${place.index}]`;
    const manifest = (path: string, text?: string): Evidence => (text === undefined ? { source: 'manifest', file: place.file, field: `${field}.${path}` } : { source: 'manifest', file: place.file, field: `${field}.${path}`, text });
    const server = this.#server;
    if (server !== undefined && server.from === 'args' && this.#args === undefined && this.#command === undefined) this.#args = server.argv;
    if (server !== undefined && server.from === 'Dockerfile') {
      this.#dockerfile ??= dockerfile().from('python:3.12-slim');
      this.#dockerfile.cmd(server.argv);
    }
    const facts: ContainerFacts = { name: this.#name, index: place.index, env: new Map(), sources: [] };
    if (this.#image !== undefined) facts.image = this.#image;
    if (this.#command !== undefined) facts.command = this.#command;
    if (this.#args !== undefined) facts.args = this.#args;
    // The manifest env list as written, then the env vars the server's command reads, appended to it.
    const manifestEnv = [...this.#env];
    const image = this.#dockerfile?.build();
    const envVar = (name: string, value: string): Evidence => {
      const existing = manifestEnv.findIndex((e) => e.name === name);
      if (existing === -1 && image?.env.has(name) !== true) manifestEnv.push({ name, value });
      const i = manifestEnv.findIndex((e) => e.name === name);
      return i === -1 ? image!.env.get(name)!.evidence : manifest(`env[${i}]`, `${name}=${value}`);
    };
    const commandEvidence: Evidence =
      server?.from === 'Dockerfile' ? image!.cmd!.evidence : manifest(this.#command !== undefined ? 'command' : 'args', (this.#command ?? this.#args ?? []).join(' '));
    let confLine = 0;
    if (server !== undefined) {
      facts.server = server.build({
        evidence: commandEvidence,
        envVar,
        confLine: (text) => ({ source: 'gunicorn.conf.py', file: 'gunicorn.conf.py', line: ++confLine, field: text.split(' ')[0]!, text }),
      });
    }
    if (image !== undefined) {
      facts.dockerfile = image;
      facts.sources.push({ file: image.file, kind: 'Dockerfile', how: 'flag' });
      for (const [name, { value, evidence }] of image.env) facts.env.set(name, { name, value, fromRef: false, evidence });
    }
    manifestEnv.forEach((entry, index) => {
      const evidence = manifest(`env[${index}]`, entry.value === undefined ? `${entry.name} (valueFrom)` : `${entry.name}=${entry.value}`);
      const env: EnvVar = { name: entry.name, fromRef: entry.value === undefined, evidence, index };
      if (entry.value !== undefined) env.value = entry.value;
      facts.env.set(entry.name, env);
    });
    if (this.#cpu !== undefined) facts.cpu = explicit(this.#cpu, manifest('resources.limits.cpu', String(this.#cpu)));
    else if (place.platform === 'cloudrun') facts.cpu = byDefault(1, 'Cloud Run default CPU limit (1 vCPU)');
    if (this.#port !== undefined) facts.port = explicit(this.#port, manifest('ports[0].containerPort', String(this.#port)));
    else if (place.platform !== 'kubernetes') facts.port = byDefault(8080, 'Knative/Cloud Run default container port ($PORT)');
    for (const [kind, probe] of Object.entries(this.#probes)) {
      const p: ProbeFacts = { handler: probe.handler, implicit: false, evidence: manifest(kind) };
      if (probe.path !== undefined) p.path = probe.path;
      if (probe.port !== undefined) p.port = probe.port;
      if (probe.periodSeconds !== undefined) p.periodSeconds = probe.periodSeconds;
      if (probe.failureThreshold !== undefined) p.failureThreshold = probe.failureThreshold;
      facts[kind as 'startupProbe'] = p;
    }
    const port = facts.port?.value ?? 8080;
    if (place.platform === 'cloudrun' && facts.startupProbe === undefined) {
      facts.startupProbe = { handler: 'tcpSocket', port, periodSeconds: 240, failureThreshold: 1, implicit: true, evidence: { source: 'default', field: 'Cloud Run default TCP startup probe' } };
    }
    if (place.platform === 'knative' && facts.readinessProbe === undefined) {
      facts.readinessProbe = { handler: 'tcpSocket', port, implicit: true, evidence: { source: 'default', field: 'Knative default TCP readiness probe' } };
    }
    return facts;
  }
}

/** A Knative Service, a Cloud Run service or a Deployment under construction. */
export class WorkloadBuilder {
  #apiVersion: string;
  #kind: string;
  #name: string;
  #namespace = 'default';
  #platform: Platform;
  #file: string;
  #line = 1;
  #annotations: Record<string, string> = {};
  #templateAnnotations: Record<string, string> = {};
  #labels: Record<string, string> = {};
  #concurrency?: number;
  #timeoutSeconds?: number;
  #serviceAccount?: string;
  #containers: ContainerBuilder[] = [];

  constructor(apiVersion: string, kind: string, name: string, platform: Platform) {
    this.#apiVersion = apiVersion;
    this.#kind = kind;
    this.#name = name;
    this.#platform = platform;
    this.#file = `${name}.yaml`;
  }

  /** Cloud Run's flavour of a Knative Service: namespace = project number, location label. */
  cloudRun(): this {
    this.#platform = 'cloudrun';
    this.#namespace = '123456789012';
    this.#labels['cloud.googleapis.com/location'] = 'europe-west1';
    return this;
  }

  inNamespace(namespace: string): this {
    this.#namespace = namespace;
    return this;
  }

  inFile(file: string, line = 1): this {
    this.#file = file;
    this.#line = line;
    return this;
  }

  annotation(key: string, value: string): this {
    this.#annotations[key] = value;
    return this;
  }

  templateAnnotation(key: string, value: string): this {
    this.#templateAnnotations[key] = value;
    return this;
  }

  /** `spec.template.spec.containerConcurrency`. */
  concurrency(value: number): this {
    this.#concurrency = value;
    return this;
  }

  timeoutSeconds(value: number): this {
    this.#timeoutSeconds = value;
    return this;
  }

  serviceAccount(name: string): this {
    this.#serviceAccount = name;
    return this;
  }

  container(configure: (c: ContainerBuilder) => ContainerBuilder): this {
    this.#containers.push(configure(new ContainerBuilder()));
    return this;
  }

  build(): Workload {
    const spec = 'spec.template.spec';
    const manifest = (field: string, text: string): Evidence => ({ source: 'manifest', file: this.#file, field, text });
    const workload: Workload = {
      ref: { apiVersion: this.#apiVersion, kind: this.#kind, namespace: this.#namespace, name: this.#name, file: this.#file, line: this.#line, docIndex: 0 },
      platform: this.#platform,
      templateAnnotations: { ...this.#templateAnnotations },
      annotations: { ...this.#annotations },
      labels: { ...this.#labels },
      podSpecPointer: '/spec/template/spec',
      containers: this.#containers.map((c, index) => c.build({ file: this.#file, index, platform: this.#platform, podSpecField: spec })),
    };
    if (this.#platform !== 'kubernetes') {
      workload.containerConcurrency =
        this.#concurrency === undefined
          ? ({ value: undefined, evidence: { source: 'manifest', file: this.#file, field: `${spec}.containerConcurrency` }, isDefault: false } satisfies Setting<number>)
          : explicit(this.#concurrency, manifest(`${spec}.containerConcurrency`, String(this.#concurrency)));
      workload.timeoutSeconds =
        this.#timeoutSeconds === undefined ? byDefault(300, 'default request timeout (300 s)') : explicit(this.#timeoutSeconds, manifest(`${spec}.timeoutSeconds`, String(this.#timeoutSeconds)));
    }
    if (this.#serviceAccount !== undefined) workload.serviceAccountName = explicit(this.#serviceAccount, manifest(`${spec}.serviceAccountName`, this.#serviceAccount));
    return workload;
  }
}

/** A Knative Service (`serving.knative.dev/v1`); `.cloudRun()` makes it a Cloud Run service. */
export function knativeService(name: string): WorkloadBuilder {
  return new WorkloadBuilder('serving.knative.dev/v1', 'Service', name, 'knative');
}

/** An `apps/v1` Deployment on GKE or any Kubernetes. */
export function deployment(name: string): WorkloadBuilder {
  return new WorkloadBuilder('apps/v1', 'Deployment', name, 'kubernetes');
}
