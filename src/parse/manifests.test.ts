import { describe, expect, it } from 'vitest';
import { fieldLine } from './fieldPath.ts';
import { parseManifests, sniffManifest } from './manifests.ts';
import type { FieldLines } from './types.ts';

/** The line of a field of a parsed document, or undefined when the document has no lines. */
const lineOf = (lines: FieldLines | undefined, path: string): number | undefined => (lines === undefined ? undefined : fieldLine(lines, path));

const doc = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('parseManifests', () => {
  it('reads every document of a stream with its start line and index', () => {
    const text = doc(
      '# a comment before the first document',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: a}',
      '---',
      'apiVersion: v1',
      'kind: ServiceAccount',
      'metadata:',
      '  name: b',
    );
    const { documents, errors } = parseManifests('all.yaml', text);
    expect(errors).toEqual([]);
    expect(documents.map((d) => [d.file, d.line, d.docIndex, (d.object as { kind: string }).kind])).toEqual([
      ['all.yaml', 2, 0, 'ConfigMap'],
      ['all.yaml', 6, 1, 'ServiceAccount'],
    ]);
  });

  it('maps every field to its line, with non-identifier keys bracketed', () => {
    const text = doc(
      'apiVersion: serving.knative.dev/v1',
      'kind: Service',
      'metadata:',
      '  name: api',
      '  annotations:',
      '    run.googleapis.com/ingress: all',
      'spec:',
      '  template:',
      '    spec:',
      '      containerConcurrency: 80',
      '      containers:',
      '        - image: gcr.io/p/api',
      '          args:',
      '            - --threads',
      '            - "8"',
    );
    const [only] = parseManifests('svc.yaml', text).documents;
    const lines = only?.fieldLines;
    const at = (path: string) => lineOf(lines, path);
    expect(at('metadata.annotations["run.googleapis.com/ingress"]')).toBe(6);
    expect(at('spec.template.spec.containerConcurrency')).toBe(10);
    expect(at('spec.template.spec.containers[0]')).toBe(12);
    expect(at('spec.template.spec.containers[0].image')).toBe(12);
    expect(at('spec.template.spec.containers[0].args')).toBe(13);
    expect(at('spec.template.spec.containers[0].args[1]')).toBe(15);
  });

  it('keeps the other documents of a file when one has a syntax error, and names its line', () => {
    const text = doc('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: a}', '---', 'apiVersion: v1', 'kind: [oops', '---', 'apiVersion: v1', 'kind: Secret', 'metadata: {name: c}');
    const { documents, errors } = parseManifests('mixed.yaml', text);
    expect(documents.map((d) => [(d.object as { kind: string }).kind, d.line, d.docIndex])).toEqual([
      ['ConfigMap', 1, 0],
      ['Secret', 8, 2],
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.file).toBe('mixed.yaml');
    expect(errors[0]?.line).toBe(6);
    expect(errors[0]?.message).toMatch(/^YAML syntax error: /);
  });

  it('reports a syntax error in a single-document file at the line the parser marks', () => {
    const { documents, errors } = parseManifests('bad.yaml', doc('a: 1', 'b:', '  - x', ' c: 2'));
    expect(documents).toEqual([]);
    expect(errors).toEqual([{ file: 'bad.yaml', line: 4, message: expect.stringMatching(/^YAML syntax error: /) as string }]);
  });

  it('reports a duplicate key at the line of the duplicate', () => {
    const { errors } = parseManifests('dup.yaml', doc('apiVersion: v1', 'kind: ConfigMap', 'kind: Secret'));
    expect(errors).toEqual([{ file: 'dup.yaml', line: 3, message: 'YAML syntax error: Map keys must be unique' }]);
  });

  it('expands kind: List into its items, each with its own index and line', () => {
    const text = doc(
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: v1',
      '  kind: ServiceAccount',
      '  metadata: {name: a}',
      '- apiVersion: apps/v1',
      '  kind: Deployment',
      '  metadata:',
      '    name: b',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: c}',
    );
    const { documents, errors } = parseManifests('list.yaml', text);
    expect(errors).toEqual([]);
    expect(documents.map((d) => [(d.object as { kind: string }).kind, d.line, d.docIndex])).toEqual([
      ['ServiceAccount', 4, 0],
      ['Deployment', 7, 1],
      ['ConfigMap', 12, 2],
    ]);
    expect(lineOf(documents[1]?.fieldLines, 'metadata.name')).toBe(10);
  });

  it('expands typed lists such as ServiceList, and reports items that are not mappings', () => {
    const text = doc('apiVersion: serving.knative.dev/v1', 'kind: ServiceList', 'items:', '- kind: Service', '- 42');
    const { documents, errors } = parseManifests('svcs.yaml', text);
    expect(documents.map((d) => [d.object, d.line, d.docIndex])).toEqual([[{ kind: 'Service' }, 4, 0]]);
    expect(errors).toEqual([{ file: 'svcs.yaml', line: 5, field: 'items[1]', message: 'List item is not a mapping (got the number 42)' }]);
  });

  it('does not expand a kind ending in List that has no items list', () => {
    const { documents } = parseManifests('allow.yaml', doc('apiVersion: x.io/v1', 'kind: AllowList', 'spec: {}'));
    expect(documents.map((d) => (d.object as { kind: string }).kind)).toEqual(['AllowList']);
  });

  it('skips null documents silently', () => {
    const { documents, errors } = parseManifests('nulls.yaml', doc('---', '---', 'apiVersion: v1', 'kind: ConfigMap', '---', '# only a comment', '---', '~'));
    expect(errors).toEqual([]);
    expect(documents.map((d) => [d.line, d.docIndex])).toEqual([[3, 0]]);
  });

  it('reports a document that is not a mapping with its line', () => {
    const { documents, errors } = parseManifests('odd.yaml', doc('apiVersion: v1', 'kind: ConfigMap', '---', '- a', '- b', '---', 'just text'));
    expect(documents).toHaveLength(1);
    expect(errors).toEqual([
      { file: 'odd.yaml', line: 4, message: 'document is not a mapping (got a list)' },
      { file: 'odd.yaml', line: 7, message: 'document is not a mapping (got the string "just text")' },
    ]);
  });

  it('puts a document that is only an empty tagged node on its own line, never line 0 (found by test/unit/property)', () => {
    expect(parseManifests('tag.yaml', '!').errors).toEqual([{ file: 'tag.yaml', line: 1, message: 'document is not a mapping (got the string "")' }]);
    expect(parseManifests('tag.yaml', doc('apiVersion: v1', 'kind: ConfigMap', '---', '!!str')).errors).toEqual([{ file: 'tag.yaml', line: 4, message: 'document is not a mapping (got the string "")' }]);
  });

  it('reports a file with no documents', () => {
    expect(parseManifests('empty.yaml', '').errors).toEqual([{ file: 'empty.yaml', message: 'empty file: no documents' }]);
    expect(parseManifests('comments.yaml', '# nothing here\n\n').errors).toEqual([{ file: 'comments.yaml', message: 'empty file: no documents' }]);
    expect(parseManifests('dashes.yaml', '---\n---\n').errors).toEqual([{ file: 'dashes.yaml', message: 'empty file: no documents' }]);
  });

  it('does not call an empty List an empty file', () => {
    expect(parseManifests('l.yaml', 'apiVersion: v1\nkind: List\nitems: []\n')).toEqual({ documents: [], errors: [] });
  });

  it('reads JSON as YAML, with lines', () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "ServiceAccount",\n  "metadata": {"name": "sa"}\n}\n';
    const { documents, errors } = parseManifests('sa.json', text);
    expect(errors).toEqual([]);
    expect(documents[0]?.object).toEqual({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } });
    expect(lineOf(documents[0]?.fieldLines, 'kind')).toBe(3);
  });

  it('keeps %YAML directives with the document they introduce', () => {
    const text = doc('a: 1', '...', '%YAML 1.2', '---', 'b: 2');
    const { documents, errors } = parseManifests('d.yaml', text);
    expect(errors).toEqual([]);
    expect(documents.map((d) => [d.object, d.line])).toEqual([
      [{ a: 1 }, 1],
      [{ b: 2 }, 5],
    ]);
  });

  it('resolves merge keys as kubectl does', () => {
    const text = doc('base: &base {cpu: "1"}', 'limits:', '  <<: *base', '  memory: 1Gi');
    expect(parseManifests('m.yaml', text).documents[0]?.object).toEqual({ base: { cpu: '1' }, limits: { cpu: '1', memory: '1Gi' } });
  });

  it('rejects a document that aliases expand past a million nodes, and keeps the others', () => {
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 7; i++) levels.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const { documents, errors } = parseManifests('bomb.yaml', doc('apiVersion: v1', 'kind: ConfigMap', '---', ...levels));
    expect(documents).toHaveLength(1);
    expect(errors).toEqual([{ file: 'bomb.yaml', line: 3, message: 'YAML error: document expands to more than 1000000 nodes through YAML aliases' }]);
  });

  it('reads a document that starts on the --- line', () => {
    const { documents } = parseManifests('inline.yaml', doc('--- {apiVersion: v1, kind: ConfigMap}', '--- {apiVersion: v1, kind: Secret}'));
    expect(documents.map((d) => [(d.object as { kind: string }).kind, d.line])).toEqual([
      ['ConfigMap', 1],
      ['Secret', 2],
    ]);
  });

  it('accepts a flow sequence whose closing ] sits at its key\'s indentation, as go-yaml and kubectl do', () => {
    const text = doc(
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web}',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '      - name: web',
      '        command: [',
      '          "gunicorn", "--bind", ":8080", "app:app"',
      '        ]',
    );
    const { documents, errors } = parseManifests('flow.yaml', text);
    expect(errors).toEqual([]);
    expect(documents[0]?.object).toMatchObject({ spec: { template: { spec: { containers: [{ command: ['gunicorn', '--bind', ':8080', 'app:app'] }] } } } });
    expect(lineOf(documents[0]?.fieldLines, 'spec.template.spec.containers[0].command[3]')).toBe(10);
  });

  it('loads unknown tags as their untagged value and resolves standard tags', () => {
    const { documents, errors } = parseManifests('tags.yaml', doc('a: !Ref Bucket', 'b: !reset []', 'c: !!python/name:material.emoji.twemoji', 'd: !!binary aGk=', 'e: !!str 8', 'f: !GetAtt [X, Arn]'));
    expect(errors).toEqual([]);
    const value = documents[0]?.object as Record<string, unknown>;
    expect(value).toMatchObject({ a: 'Bucket', b: [], c: '', e: '8', f: ['X', 'Arn'] });
    expect(Array.from(value['d'] as Uint8Array)).toEqual([0x68, 0x69]);
  });

  it.each([
    ['empty.yaml', '', 'empty'],
    ['comments.yaml', '# nothing\n---\n# here\n', 'empty'],
    ['data.json', '[{"id": 1}, {"id": 2}]', 'not-an-object'],
    ['list.yaml', '# rows\n- a\n- b\n', 'not-an-object'],
    ['scalar.yaml', 'just text\n', 'not-kubernetes'],
    ['patch.json', '[\n  {"op": "replace", "path": "/spec/replicas", "value": 2}\n]\n', 'json-patch'],
    ['patch.yaml', '- op: remove\n  path: /spec/template/spec/containers/0/args\n', 'json-patch'],
    ['smp.yaml', 'spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:2\n', 'not-kubernetes'],
    ['tsconfig.json', '{\n  // strict mode\n  "compilerOptions": {"strict": true,},\n}\n', 'not-kubernetes'],
    ['events.json', '{"kind": "Event", "apiVersion": "v1"}\n{"kind": "Event", "apiVersion": "v1"}\n', 'not-yaml'],
    ['cfn.yaml', 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !Ref Name}\n', 'not-kubernetes'],
    ['records.json', '{"records": [{"apiVersion": 1, "kind": "row"}]}', 'not-kubernetes'],
    ['Chart.yaml', 'apiVersion: v2\nname: web\nversion: 0.1.0\n', 'not-kubernetes'],
    ['deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n', 'template'],
    ['helpers.tpl.yaml', '{{- define "web.name" -}}\nweb\n{{- end }}\n', 'template'],
    ['schema.yaml', '"apiVersion": 1\n---\n- kind: x\n', 'not-kubernetes'],
  ])('skips %s found by a walk as %s', (file, text, reason) => {
    expect(parseManifests(file, text, { walked: true })).toEqual({ documents: [], errors: [], skipped: reason });
  });

  it('reads a walked file that holds a Kubernetes object, and reports it when it cannot be parsed', () => {
    const fine = parseManifests('sa.yaml', doc('apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: a}'), { walked: true });
    expect(fine.skipped).toBeUndefined();
    expect(fine.documents).toHaveLength(1);
    const broken = parseManifests('sa.yaml', doc('apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: a'), { walked: true });
    expect(broken).toEqual({ documents: [], errors: [{ file: 'sa.yaml', line: 3, message: expect.stringMatching(/^YAML syntax error: /) as string }] });
    const quotedTemplate = parseManifests('alert.yaml', doc('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: a}', 'data: {summary: "{{ $labels.pod }} is down"}'), { walked: true });
    expect(quotedTemplate.documents).toHaveLength(1);
  });

  it('leaves a walked file whose first document is a list to the parser when another document follows, and reads its object', () => {
    const text = doc('# data first', '- a', '- b', '---', 'apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: after-a-list}');
    expect(sniffManifest(text, true)).toBeUndefined();
    const read = parseManifests('mixed.yaml', text, { walked: true });
    expect(read.skipped).toBeUndefined();
    expect(read.documents.map((d) => [d.line, (d.object as { metadata: { name: string } }).metadata.name])).toEqual([[5, 'after-a-list']]);
    expect(read.errors).toEqual([{ file: 'mixed.yaml', line: 2, message: 'document is not a mapping (got a list)' }]);
  });

  it('reads a walked pretty-printed JSON List, item by item with their lines', () => {
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'one' } }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'two' } }] }, null, 2);
    const read = parseManifests('list.json', `${list}\n`, { walked: true });
    expect(read.skipped).toBeUndefined();
    expect(read.documents.map((d) => [d.line, (d.object as { metadata: { name: string } }).metadata.name])).toEqual([
      [5, 'one'],
      [12, 'two'],
    ]);
  });

  it('reads rendered Helm output whose comments hold template actions, and still skips a template', () => {
    const rendered = doc('# Source: web/templates/sa.yaml', '# name: {{ include "web.fullname" . }}', 'apiVersion: v1', 'kind: ServiceAccount', 'metadata:', '  name: web  # was {{ .Release.Name }}');
    expect(sniffManifest(rendered, true)).toBeUndefined();
    expect(parseManifests('sa.yaml', rendered, { walked: true }).documents.map((d) => d.line)).toEqual([3]);
    expect(sniffManifest(doc('# Source: web/templates/sa.yaml', 'apiVersion: v1', 'kind: ServiceAccount', 'metadata:', '  name: {{ .Release.Name }}'), true)).toBe('template');
    expect(sniffManifest(doc('# Source: web/templates/sa.yaml', '{{- if .Values.sa }}', 'apiVersion: v1'), true)).toBe('template');
  });

  it('says a named file that does not parse is a Helm template, at its first action, and how to read it', () => {
    const chart = doc('# a chart template', 'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: {{ include "web.fullname" . }}', 'spec:', '  template:', '    spec:', '      containers:', '        - name: web', '          {{- with .Values.resources }}', '          resources: {{- toYaml . | nindent 12 }}', '          {{- end }}');
    expect(parseManifests('templates/deployment.yaml', chart)).toEqual({
      documents: [],
      errors: [{ file: 'templates/deployment.yaml', line: 5, message: 'a Helm or Go template ({{ … }}), not a manifest: render it first (helm template CHART | pytuner report -f -)' }],
    });
    // Without template actions a syntax error stays the parser's.
    expect(parseManifests('sa.yaml', doc('apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: a')).errors[0]?.message).toMatch(/^YAML syntax error: /);
  });

  it('decides from the first bytes alone when they show a list, and waits for more otherwise', () => {
    expect(sniffManifest('[{"id": 1}, {"id"', false)).toBe('not-an-object');
    expect(sniffManifest('\uFEFF  \n[', false)).toBe('not-an-object');
    expect(sniffManifest('{"data": [1, 2', false)).toBeUndefined();
    expect(sniffManifest('# only a comment so far\n', false)).toBeUndefined();
  });
});
