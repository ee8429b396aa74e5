/**
 * @module A hand-built report that exercises every part of every format: findings of each severity, several
 * findings on one object (merged patches), each kind of fix, a finding without a fix, text that needs Markdown
 * escaping, input errors with and without object/field, and skipped kinds.
 */
import type { Finding } from '../../src/model/finding.ts';
import type { Report } from '../../src/report.ts';

const SERVICE_FILE = 'examples/cloudrun/service.yaml';
const DOCKERFILE = 'examples/cloudrun/Dockerfile';

const service = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  namespace: '123456789',
  name: 'api',
  container: 'app',
  file: SERVICE_FILE,
  line: 1,
};

const serviceFragment = (spec: Record<string, unknown>) => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 'api', namespace: '123456789' },
  spec: { template: { spec } },
});

const concurrency: Finding = {
  rule: 'concurrency-exceeds-capacity',
  severity: 'critical',
  target: service,
  message: 'containerConcurrency 80 exceeds the 8 requests gunicorn serves at once (2 workers × 4 threads): the other 72 wait in the socket backlog, not at the Cloud Run load balancer',
  current: { containerConcurrency: 80, workers: 2, threads: 4 },
  recommended: { containerConcurrency: 8 },
  evidence: [
    { source: 'manifest', file: SERVICE_FILE, line: 14, field: 'spec.template.spec.containerConcurrency', text: '80' },
    { source: 'Dockerfile', file: DOCKERFILE, line: 12, field: 'CMD', text: 'CMD exec gunicorn -w 2 --threads 4 app:app' },
  ],
  fix: {
    jsonPatch: [
      { op: 'test', path: '/spec/template/spec/containerConcurrency', value: 80 },
      { op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 8 },
    ],
    applyFragment: serviceFragment({ containerConcurrency: 8 }),
  },
};

const startupProbe = {
  tcpSocket: { port: 8080 },
  periodSeconds: 1,
  failureThreshold: 30,
};

const probe: Finding = {
  rule: 'startup-probe-timeout',
  severity: 'warning',
  target: service,
  message: 'the default startup probe gives the app 240 s, but importing the app takes longer when --preload is off',
  current: { 'startupProbe.failureThreshold': null },
  recommended: { 'startupProbe.failureThreshold': 30, 'startupProbe.periodSeconds': 1 },
  evidence: [{ source: 'default', field: 'startupProbe' }],
  fix: {
    jsonPatch: [
      { op: 'add', path: '/spec/template/spec/containers/0/startupProbe', value: startupProbe },
      { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'GUNICORN_CMD_ARGS', value: '--preload' } },
    ],
    applyFragment: serviceFragment({ containers: [{ name: 'app', startupProbe, env: [{ name: 'GUNICORN_CMD_ARGS', value: '--preload' }] }] }),
    notes: ['--preload imports the app once in the master: sockets or clients opened at import are shared by every worker'],
  },
};

const threads: Finding = {
  rule: 'threads-below-cpu',
  severity: 'warning',
  target: service,
  message: 'THREADS is 4 on 2 vCPU; gthread workers can take 8 without queueing',
  current: { THREADS: '4' },
  recommended: { THREADS: '8' },
  evidence: [{ source: 'manifest', file: SERVICE_FILE, line: 22, field: 'spec.template.spec.containers[0].env[1].value', text: '"4"' }],
  fix: {
    jsonPatch: [
      { op: 'test', path: '/spec/template/spec/containers/0/env/1/name', value: 'THREADS' },
      { op: 'replace', path: '/spec/template/spec/containers/0/env/1/value', value: '8' },
    ],
    applyFragment: serviceFragment({ containers: [{ name: 'app', env: [{ name: 'THREADS', value: '8' }] }] }),
  },
};

const profiler: Finding = {
  rule: 'profiler-role-missing',
  severity: 'info',
  target: service,
  message: 'the service account api@my-project.iam.gserviceaccount.com has no roles/cloudprofiler.agent, so the profiler agent cannot upload',
  current: { 'roles/cloudprofiler.agent': false },
  recommended: { 'roles/cloudprofiler.agent': true },
  evidence: [{ source: 'manifest', file: SERVICE_FILE, line: 9, field: 'spec.template.spec.serviceAccountName', text: 'api@my-project.iam.gserviceaccount.com' }],
  fix: {
    create: [
      {
        apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
        kind: 'IAMPolicyMember',
        metadata: { name: 'api-cloudprofiler-agent', namespace: 'config-connector' },
        spec: {
          member: 'serviceAccount:api@my-project.iam.gserviceaccount.com',
          role: 'roles/cloudprofiler.agent',
          resourceRef: { kind: 'Project', external: 'projects/my-project' },
        },
      },
    ],
    commands: [
      'gcloud projects add-iam-policy-binding my-project --member=serviceAccount:api@my-project.iam.gserviceaccount.com --role=roles/cloudprofiler.agent',
    ],
  },
};

const timeout: Finding = {
  rule: 'gunicorn-timeout-below-request-timeout',
  severity: 'warning',
  target: { kind: 'Dockerfile', name: DOCKERFILE, file: DOCKERFILE, line: 12 },
  message: 'CMD runs `gunicorn` with --timeout 30 | Cloud Run allows 300 s, so workers are killed mid-request',
  current: { timeout: 30 },
  recommended: { timeout: 300 },
  evidence: [{ source: 'Dockerfile', file: DOCKERFILE, line: 12, field: '--timeout', text: 'CMD exec gunicorn -w 2 --threads 4 --timeout 30 app:app' }],
  fix: {
    edits: [
      {
        file: DOCKERFILE,
        line: 12,
        before: 'CMD exec gunicorn -w 2 --threads 4 --timeout 30 app:app',
        after: 'CMD exec gunicorn -w 2 --threads 4 --timeout 0 app:app',
      },
    ],
  },
};

const worker: Finding = {
  rule: 'sync-worker-no-threads',
  severity: 'critical',
  target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'checkout', container: 'web', file: 'examples/gke/deployment.yaml', line: 1 },
  message: 'gunicorn sync workers serve one request each and the CPU limit is unknown',
  current: { worker_class: 'sync', cpu: null },
  recommended: {},
  evidence: [{ source: 'manifest', file: 'examples/gke/deployment.yaml', line: 20, field: 'spec.template.spec.containers[0].args', text: '["gunicorn", "app:app"]' }],
};

/** The fixed report the golden files are rendered from. */
export const FIXTURE_REPORT: Report = {
  version: 1,
  findings: [timeout, concurrency, profiler, probe, threads, worker],
  errors: [
    { file: 'examples/broken.yaml', line: 7, message: 'bad indentation of a mapping entry' },
    {
      file: 'examples/gke/deployment.yaml',
      line: 31,
      object: 'Deployment shop/cart',
      field: 'spec.template.spec.containers[0].resources.limits.cpu',
      message: 'not a Kubernetes quantity: "two"',
    },
  ],
  summary: {
    files: 6,
    objects: 7,
    workloads: 2,
    images: 0,
    procfiles: 0,
    skipped: { 'v1/ConfigMap': 2, 'apps/v1/StatefulSet': 1 },
    skippedFiles: { 'not-kubernetes': 2, empty: 1 },
    findings: { info: 1, warning: 3, critical: 2 },
    errors: 2,
  },
};

/** The same inputs with nothing to report. */
export const EMPTY_REPORT: Report = {
  version: 1,
  findings: [],
  errors: [],
  summary: { files: 1, objects: 1, workloads: 1, images: 0, procfiles: 0, skipped: {}, skippedFiles: {}, findings: { info: 0, warning: 0, critical: 0 }, errors: 0 },
};

/** The rule metadata SARIF lists for the fixture: invented ids, as in its findings, so these golden files change when a format does, not when a rule does. */
export const FIXTURE_RULES = [
  { id: 'concurrency-exceeds-capacity', severity: 'critical', summary: 'containerConcurrency above what the Python server can serve at once' },
  { id: 'gunicorn-timeout-below-request-timeout', severity: 'warning', summary: 'gunicorn --timeout kills workers before the platform request timeout' },
  { id: 'profiler-role-missing', severity: 'info', summary: 'Cloud Profiler enabled without roles/cloudprofiler.agent' },
  { id: 'startup-probe-timeout', severity: 'warning', summary: 'startup probe shorter than the app import time' },
  { id: 'sync-worker-no-threads', severity: 'critical', summary: 'sync workers with no threads' },
  { id: 'threads-below-cpu', severity: 'warning', summary: 'fewer threads than the CPU allows' },
] as const;
