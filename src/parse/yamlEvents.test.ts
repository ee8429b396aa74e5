import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseYamlEvents } from './yamlEvents.ts';

const SERVICE = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: cart
  annotations: { "run.googleapis.com/cpu-throttling": "false" }
spec:
  template:
    spec:
      containerConcurrency: 0o17
      containers:
      - image: cart:3
        args:
        - |
          exec gunicorn app:app
        - >-

          folded
        - 'single'
        env: [{ name: A, value: "1" }]
        resources: { limits: { cpu: 1.5, memory: ~ } }
`;

describe('parseYamlEvents', () => {
  it('gives the values the yaml library gives', () => {
    const [document] = parseYamlEvents(SERVICE, 1) ?? [];
    expect(document?.value).toStrictEqual(parse(SERVICE));
  });

  it('gives every field the line of its key, a list item its own line, a block scalar the line of its header', () => {
    const [document] = parseYamlEvents(SERVICE, 10) ?? [];
    const lines = Object.fromEntries((document?.entries ?? []).map((entry) => entry.split('\t')));
    expect(document?.line).toBe(10);
    expect(lines).toMatchObject({
      metadata: '12',
      'metadata.annotations["run.googleapis.com/cpu-throttling"]': '14',
      'spec.template.spec.containerConcurrency': '18',
      'spec.template.spec.containers[0]': '20',
      'spec.template.spec.containers[0].image': '20',
      'spec.template.spec.containers[0].args[0]': '22',
      'spec.template.spec.containers[0].args[1]': '24',
      'spec.template.spec.containers[0].args[2]': '27',
      'spec.template.spec.containers[0].env[0].value': '28',
      'spec.template.spec.containers[0].resources.limits.memory': '29',
    });
    expect(document?.entries[0]).toBe('apiVersion\t10');
  });

  it.each([
    ['an anchor and an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 5\n'],
    ['a merge key', '<<: { a: 1 }\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a key that is not a string', '1: one\n'],
    ['a %YAML directive', '%YAML 1.1\n---\na: yes\n'],
    ['a syntax error', 'a: [1, 2\n'],
    ['an empty list item', 'a:\n-\n- b\n'],
    ['a carriage return alone', 'a: 1\r'],
  ])('leaves %s to the yaml library', (_, text) => {
    expect(parseYamlEvents(text, 1)).toBeUndefined();
  });
});
