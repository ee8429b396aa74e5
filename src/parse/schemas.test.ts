import { describe, expect, it } from 'vitest';
import { parseManifests } from './manifests.ts';
import { NOT_KUBERNETES, describeKind, describeObject, validateDocument } from './schemas.ts';
import type { Validation } from './schemas.ts';

function validate(file: string, ...lines: string[]): Validation {
  const { documents, errors } = parseManifests(file, `${lines.join('\n')}\n`);
  expect(errors).toEqual([]);
  return validateDocument(documents[0] as (typeof documents)[number]);
}

const SERVICE_HEAD = ['apiVersion: serving.knative.dev/v1', 'kind: Service', 'metadata:', '  name: api', '  namespace: default', 'spec:', '  template:', '    spec:'];

describe('validateDocument', () => {
  it('accepts a Knative Service and keeps fields it does not read', () => {
    const result = validate('svc.yaml', ...SERVICE_HEAD, '      containerConcurrency: 80', '      containers:', '        - image: gcr.io/p/api', '          volumeMounts: [{name: v, mountPath: /v}]', '          resources: {limits: {cpu: 500m, memory: 1Gi}}');
    expect(result.status).toBe('valid');
    if (result.status !== 'valid' || result.known.type !== 'KnativeService') throw new Error('expected a Service');
    const container = result.known.object.spec.template.spec.containers[0];
    expect(result.known.object.spec.template.spec.containerConcurrency).toBe(80);
    expect(container?.resources?.limits?.cpu).toBe('500m');
    expect((container as Record<string, unknown>)['volumeMounts']).toEqual([{ name: 'v', mountPath: '/v' }]);
  });

  it('names file, line, object and field in plain words', () => {
    const result = validate('svc.yaml', ...SERVICE_HEAD, '      containerConcurrency: eighty', '      containers:', '        - image: gcr.io/p/api');
    expect(result).toEqual({
      status: 'invalid',
      errors: [{ file: 'svc.yaml', line: 9, object: 'Service default/api', field: 'spec.template.spec.containerConcurrency', message: 'expected an integer 0..1000, got "eighty"' }],
    });
  });

  it.each([
    ['containerConcurrency: 1001', 'spec.template.spec.containerConcurrency', 'expected an integer 0..1000, got 1001'],
    ['containerConcurrency: 2.5', 'spec.template.spec.containerConcurrency', 'expected an integer 0..1000, got 2.5'],
    ['timeoutSeconds: -1', 'spec.template.spec.timeoutSeconds', 'expected an integer >= 0, got -1'],
    ['serviceAccountName: 42', 'spec.template.spec.serviceAccountName', 'expected a string (quote numbers and booleans in YAML), got 42'],
  ])('rejects %s', (line, field, message) => {
    const result = validate('svc.yaml', ...SERVICE_HEAD, `      ${line}`, '      containers: [{image: x}]');
    expect(result.status === 'invalid' && result.errors.map((e) => [e.field, e.message, e.line])).toEqual([[field, message, 9]]);
  });

  it('reports each bad field of an object, with its line', () => {
    const result = validate(
      'svc.yaml',
      ...SERVICE_HEAD,
      '      containers:',
      '        - image: x',
      '          env:',
      '            - name: THREADS',
      '              value: 8',
      '          args: ["--workers", 2]',
      '          ports: [{containerPort: 70000}]',
      '          resources: {requests: {cpu: two}}',
      '          startupProbe: {httpGet: {port: true}}',
    );
    expect(result.status === 'invalid' && result.errors.map((e) => [e.line, e.field, e.message])).toEqual([
      [13, 'spec.template.spec.containers[0].env[0].value', 'expected a string (quote numbers and booleans in YAML), got 8'],
      [14, 'spec.template.spec.containers[0].args[1]', 'expected a string (quote numbers and booleans in YAML), got 2'],
      [15, 'spec.template.spec.containers[0].ports[0].containerPort', 'expected an integer 1..65535, got 70000'],
      [16, 'spec.template.spec.containers[0].resources.requests.cpu', 'expected a CPU quantity like "500m" or 2, got "two"'],
      [17, 'spec.template.spec.containers[0].startupProbe.httpGet.port', 'expected a port number or name, got true'],
    ]);
  });

  it('reports a template whose every rejected value is a shell placeholder once, as a template to render', () => {
    const template = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: epp', 'spec:', '  template:', '    spec:', '      containers:', '        - image: x', '          ports:'];
    const placeholders = validate('pool.yaml', ...template, '            - containerPort: ${GRPC_PORT:-9002}', '            - containerPort: $METRICS_PORT');
    expect(placeholders.status === 'invalid' && placeholders.errors.map((e) => [e.line, e.field, e.message])).toEqual([
      [11, 'spec.template.spec.containers[0].ports[0].containerPort', 'a template, not a manifest: expected an integer 1..65535, got "${GRPC_PORT:-9002}" and 1 more (shell placeholders); render it first, e.g. envsubst < pool.yaml | pytuner report -f -'],
    ]);
    // One real mistake beside a placeholder: each is reported as it is.
    const mixed = validate('pool.yaml', ...template, '            - containerPort: ${GRPC_PORT}', '            - containerPort: 70000');
    expect(mixed.status === 'invalid' && mixed.errors.map((e) => e.message)).toEqual(['expected an integer 1..65535, got "${GRPC_PORT}"', 'expected an integer 1..65535, got 70000']);
  });

  it('reports a missing field at the line of its parent', () => {
    const result = validate('svc.yaml', 'apiVersion: serving.knative.dev/v1', 'kind: Service', 'metadata:', '  name: api', 'spec:', '  template:', '    metadata: {}');
    expect(result.status === 'invalid' && result.errors).toEqual([
      { file: 'svc.yaml', line: 6, object: 'Service api', field: 'spec.template.spec', message: 'required field is missing (expected a mapping)' },
    ]);
  });

  it('rejects an annotation value that is not a string, as the API server does', () => {
    const result = validate('svc.yaml', 'apiVersion: serving.knative.dev/v1', 'kind: Service', 'metadata:', '  name: api', 'spec:', '  template:', '    metadata:', '      annotations:', '        run.googleapis.com/cpu-throttling: false', '    spec:', '      containers: [{image: x}]');
    expect(result.status === 'invalid' && result.errors.map((e) => [e.line, e.field, e.message])).toEqual([
      [9, 'spec.template.metadata.annotations["run.googleapis.com/cpu-throttling"]', 'expected a string (quote numbers and booleans in YAML), got false'],
    ]);
  });

  it('requires at least one container', () => {
    const result = validate('d.yaml', 'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web}', 'spec:', '  template:', '    spec:', '      containers: []');
    expect(result.status === 'invalid' && result.errors.map((e) => [e.object, e.field, e.message])).toEqual([['Deployment web', 'spec.template.spec.containers', 'expected at least one container']]);
  });

  it('treats null fields as absent, as Kubernetes decodes them', () => {
    const result = validate('svc.yaml', ...SERVICE_HEAD, '      containerConcurrency:', '      containers: [{image: x, args: null}]');
    expect(result.status).toBe('valid');
  });

  it('drops null fields at any depth, in mappings and lists, keeps the rest in order, and leaves the document as read', () => {
    const { documents } = parseManifests('svc.yaml', `${[...SERVICE_HEAD, '      containerConcurrency:', '      containers:', '        - image: x', '          args: null', '          env: [{name: A, value: "1"}, {name: B, value: null}]', '        - image: y', '          ports: [{containerPort: 8080}]'].join('\n')}\n`);
    const doc = documents[0] as (typeof documents)[number];
    const before = structuredClone(doc.object);
    const result = validateDocument(doc);
    if (result.status !== 'valid' || result.known.type !== 'KnativeService') throw new Error('expected a Service');
    const spec = result.known.object.spec.template.spec as Record<string, unknown>;
    expect(Object.keys(spec)).toEqual(['containers']);
    expect(result.known.object.spec.template.spec.containers).toEqual([
      { image: 'x', env: [{ name: 'A', value: '1' }, { name: 'B' }] },
      { image: 'y', ports: [{ containerPort: 8080 }] },
    ]);
    expect(doc.object).toEqual(before);
  });

  it.each([
    [['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: c}'], 'v1/ConfigMap'],
    [['apiVersion: serving.knative.dev/v1beta1', 'kind: Service', 'metadata: {name: c}'], 'serving.knative.dev/v1beta1/Service'],
    [['apiVersion: v1', 'kind: Service', 'metadata: {name: c}'], 'v1/Service'],
    [['name: my-app', 'version: 1.0.0'], NOT_KUBERNETES],
    [['apiVersion: v2', 'name: chart', 'version: 0.1.0'], NOT_KUBERNETES],
  ])('skips kinds it does not read: %j', (lines, key) => {
    expect(validate('x.yaml', ...lines)).toEqual({ status: 'skipped', kindKey: key });
  });

  it('reports an object with a kind but no apiVersion', () => {
    expect(validate('x.yaml', 'kind: Service', 'metadata: {name: a}')).toEqual({
      status: 'invalid',
      errors: [{ file: 'x.yaml', line: 1, object: 'Service a', field: 'apiVersion', message: 'required field is missing (expected an apiVersion)' }],
    });
  });

  it('accepts an IAMPolicyMember with member or memberFrom, and rejects both or neither', () => {
    const head = ['apiVersion: iam.cnrm.cloud.google.com/v1beta1', 'kind: IAMPolicyMember', 'metadata: {name: prof, namespace: ns}', 'spec:', '  role: roles/cloudprofiler.agent', '  resourceRef: {kind: Project, external: projects/p}'];
    expect(validate('m.yaml', ...head, '  member: serviceAccount:a@p.iam.gserviceaccount.com').status).toBe('valid');
    expect(validate('m.yaml', ...head, '  memberFrom: {serviceAccountRef: {name: a}}').status).toBe('valid');
    const both = validate('m.yaml', ...head, '  member: user:x@example.com', '  memberFrom: {serviceAccountRef: {name: a}}');
    expect(both.status === 'invalid' && both.errors.map((e) => [e.object, e.field, e.message, e.line])).toEqual([['IAMPolicyMember ns/prof', 'spec', 'expected exactly one of member or memberFrom', 4]]);
    const twoRefs = validate('m.yaml', ...head, '  memberFrom: {serviceAccountRef: {name: a}, logSinkRef: {name: b}}');
    expect(twoRefs.status === 'invalid' && twoRefs.errors.map((e) => e.field)).toEqual(['spec.memberFrom']);
  });

  it('accepts an IAMPartialPolicy and checks each binding member', () => {
    const lines = [
      'apiVersion: iam.cnrm.cloud.google.com/v1beta1',
      'kind: IAMPartialPolicy',
      'metadata: {name: pp}',
      'spec:',
      '  resourceRef: {kind: Project, name: proj}',
      '  bindings:',
      '    - role: roles/cloudprofiler.agent',
      '      members:',
      '        - member: serviceAccount:a@p.iam.gserviceaccount.com',
      '        - {}',
    ];
    const result = validate('pp.yaml', ...lines);
    expect(result.status === 'invalid' && result.errors.map((e) => [e.line, e.field, e.message])).toEqual([[10, 'spec.bindings[0].members[1]', 'expected exactly one of member or memberFrom']]);
  });

  it('accepts a ServiceAccount and a Config Connector IAMServiceAccount', () => {
    expect(validate('sa.yaml', 'apiVersion: v1', 'kind: ServiceAccount', 'metadata:', '  name: api', '  annotations: {iam.gke.io/gcp-service-account: a@p.iam.gserviceaccount.com}').status).toBe('valid');
    expect(validate('gsa.yaml', 'apiVersion: iam.cnrm.cloud.google.com/v1beta1', 'kind: IAMServiceAccount', 'metadata: {name: api}', 'spec: {displayName: API}').status).toBe('valid');
  });
});

describe('describeKind and describeObject', () => {
  it('name a type and an object', () => {
    expect(describeKind({ apiVersion: 'apps/v1', kind: 'Deployment' })).toBe('apps/v1/Deployment');
    expect(describeObject({ kind: 'Service', metadata: { name: 'api', namespace: '123' } })).toBe('Service 123/api');
    expect(describeObject({ kind: 'Service', metadata: {} })).toBe('Service (no name)');
  });

  it('never checks a field pytuner does not read: replicas from envsubst, probe delays, port names', () => {
    const result = validate(
      'deploy.yaml',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web}',
      'spec:',
      '  replicas: ${REPLICAS}',
      '  template:',
      '    metadata: {labels: {version: 1.0}}',
      '    spec:',
      '      containers:',
      '      - image: web',
      '        ports: [{containerPort: 8080, name: 8080}]',
      '        readinessProbe: {httpGet: {path: /, port: 8080}, initialDelaySeconds: "${DELAY}", timeoutSeconds: -1}',
      '        livenessProbe: {exec: {command: "not a list"}}',
    );
    expect(result.status).toBe('valid');
  });
});
