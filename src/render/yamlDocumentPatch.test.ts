import { describe, expect, it } from 'vitest';
import type { JsonPatchOp } from '../model/finding.ts';
import { patchYamlObject, yamlObjects } from './yamlDocumentPatch.ts';

function patched(text: string, ops: JsonPatchOp[], location = { document: 0 }): string {
  const outcome = patchYamlObject(text, location, ops);
  if (!outcome.ok) throw new Error(outcome.reason);
  return outcome.value;
}

function refusal(text: string, ops: JsonPatchOp[], location = { document: 0 }): string {
  const outcome = patchYamlObject(text, location, ops);
  if (outcome.ok) throw new Error(`expected a refusal, got:\n${outcome.value}`);
  return outcome.reason;
}

describe('patchYamlObject', () => {
  it('replaces a scalar where it stands, keeping its comment and quoting', () => {
    expect(patched("a: 80   # per instance\nb: '4'\n", [
      { op: 'test', path: '/a', value: 80 },
      { op: 'replace', path: '/a', value: 8 },
      { op: 'replace', path: '/b', value: '8' },
    ])).toBe("a: 8   # per instance\nb: '8'\n");
  });

  it('keeps the quotes of a string it replaces in a flow list, and leaves a plain one plain', () => {
    const text = 'args: ["sh", "-c", "exec gunicorn --workers 2 app"]  # note\nb: [x, y]\n';
    expect(patched(text, [{ op: 'replace', path: '/args/2', value: 'exec gunicorn --workers 1 app' }, { op: 'replace', path: '/b/1', value: 'z' }])).toBe(
      'args: ["sh", "-c", "exec gunicorn --workers 1 app"]  # note\nb: [x, z]\n',
    );
  });

  it('quotes a new string that would read as another type, in the quotes the document prefers', () => {
    expect(patched("x: 'a'\ny: 1\n", [{ op: 'replace', path: '/y', value: 'true' }])).toBe("x: 'a'\ny: 'true'\n");
    expect(patched('y: 1\n', [{ op: 'replace', path: '/y', value: 'true' }])).toBe('y: "true"\n');
  });

  it('adds a key at the end of a block map, in the indentation and the list style of the document', () => {
    const text = 'spec:\n  a: 1\n  env:\n  - name: A\n  # about other\nother: x\n';
    expect(patched(text, [{ op: 'add', path: '/spec/probe', value: { httpGet: { path: '/', port: 8080 }, ports: [1] } }])).toBe(
      'spec:\n  a: 1\n  env:\n  - name: A\n  # about other\n  probe:\n    httpGet:\n      path: /\n      port: 8080\n    ports:\n    - 1\nother: x\n',
    );
    expect(patched('spec:\n    a: 1\n    l:\n        - 1\n', [{ op: 'add', path: '/spec/b', value: { c: [2] } }])).toBe('spec:\n    a: 1\n    l:\n        - 1\n    b:\n        c:\n            - 2\n');
  });

  it('creates missing maps, and a map where the value is null', () => {
    expect(patched('a: null\nb: 1\n', [{ op: 'add', path: '/a/x', value: 1 }, { op: 'add', path: '/c/d/e', value: 'v' }])).toBe('a:\n  x: 1\nb: 1\nc:\n  d:\n    e: v\n');
  });

  it('appends to a block list and inserts by index', () => {
    expect(patched('env:\n- name: A\n  value: x\nnext: 1\n', [
      { op: 'add', path: '/env/-', value: { name: 'B', value: '2' } },
      { op: 'add', path: '/env/0', value: { name: 'Z' } },
    ])).toBe('env:\n- name: Z\n- name: A\n  value: x\n- name: B\n  value: "2"\nnext: 1\n');
  });

  it('edits flow collections in flow style', () => {
    expect(patched('a: {b: 1, c: 2}\nl: [1, 2, 3]\ne: []\n', [
      { op: 'remove', path: '/a/b' },
      { op: 'add', path: '/a/d', value: [1, 'x, y'] },
      { op: 'remove', path: '/l/1' },
      { op: 'add', path: '/e/-', value: { name: 'A' } },
    ])).toBe('a: {c: 2, d: [1, "x, y"]}\nl: [1, 3]\ne: [{name: A}]\n');
  });

  it('replaces a scalar by a map, and a block scalar by a plain one', () => {
    expect(patched('x: 1 # old\ny: |\n  line\nz: 0\n', [
      { op: 'replace', path: '/x', value: { a: [1] } },
      { op: 'replace', path: '/y', value: 'one' },
    ])).toBe('x:\n  a:\n    - 1\ny: one\nz: 0\n');
    expect(patched('m:\n  "q/k": 1\n', [{ op: 'replace', path: '/m/q~1k', value: { a: 1 } }])).toBe('m:\n  "q/k":\n    a: 1\n');
  });

  it('removes keys and list items with their lines', () => {
    expect(patched('a:\n  b: 1 # gone\n  c: 2\nl:\n- 1\n- 2\nd: 3\n', [
      { op: 'remove', path: '/a/b' },
      { op: 'remove', path: '/l/1' },
    ])).toBe('a:\n  c: 2\nl:\n- 1\nd: 3\n');
    expect(patched('l:\n- a: 1\n  b: 2\n', [{ op: 'remove', path: '/l/0/a' }])).toBe('l:\n- b: 2\n');
  });

  it('keeps a missing final newline missing', () => {
    expect(patched('a: 1', [{ op: 'add', path: '/b', value: 2 }])).toBe('a: 1\nb: 2');
  });

  it('edits only its document: markers, directives and other documents stay as written', () => {
    const text = '# one\na: 1\n...\n%YAML 1.2\n---\nb: 1\n...\n--- # three\nc: 1\n';
    expect(patched(text, [{ op: 'add', path: '/d', value: 2 }], { document: 1 })).toBe('# one\na: 1\n...\n%YAML 1.2\n---\nb: 1\nd: 2\n...\n--- # three\nc: 1\n');
  });

  it('addresses a kind: List item as the input layer does', () => {
    const text = 'kind: List\nitems:\n- kind: A\n  spec: {}\n- kind: B\n  spec:\n    x: 1\nmetadata: {}\n';
    expect(yamlObjects(text).map((o) => [o.location, o.line, o.value['kind']])).toEqual([
      [{ document: 0, item: 0 }, 3, 'A'],
      [{ document: 0, item: 1 }, 5, 'B'],
    ]);
    expect(patched(text, [{ op: 'add', path: '/spec/y', value: 2 }], { document: 0, item: 1 } as never)).toBe(
      'kind: List\nitems:\n- kind: A\n  spec: {}\n- kind: B\n  spec:\n    x: 1\n    y: 2\nmetadata: {}\n',
    );
  });

  it('leaves anchors and aliases alone, and refuses to edit through them', () => {
    const text = 'base: &b {p: 1}\nuse: *b\nmerged:\n  <<: *b\n  q: 2\nfree: &f {p: 1}\n';
    expect(patched(text, [{ op: 'replace', path: '/merged/q', value: 3 }, { op: 'add', path: '/free/r', value: 1 }])).toBe(
      'base: &b {p: 1}\nuse: *b\nmerged:\n  <<: *b\n  q: 3\nfree: &f {p: 1, r: 1}\n',
    );
    expect(refusal(text, [{ op: 'add', path: '/base/z', value: 1 }])).toContain('anchored &b');
    expect(refusal(text, [{ op: 'add', path: '/use/z', value: 1 }])).toContain('alias *b');
    expect(refusal(text, [{ op: 'remove', path: '/merged/p' }])).toContain('merge key');
  });

  it('refuses the whole patch when a test fails or a target is missing, and changes nothing', () => {
    expect(refusal('a: 1\nb: 2\n', [{ op: 'test', path: '/a', value: 2 }, { op: 'replace', path: '/b', value: 3 }])).toBe('test /a: expected 2, found 1');
    expect(refusal('a: 1\n', [{ op: 'replace', path: '/x', value: 3 }])).toContain('nothing there');
    expect(refusal('a: [1]\n', [{ op: 'add', path: '/a/5', value: 3 }])).toContain('no index 5');
  });

  it('refuses a document with YAML errors', () => {
    expect(refusal('a: [1\nb: 2\n', [{ op: 'replace', path: '/b', value: 3 }])).toContain('no longer where it was read');
  });
});

describe('yamlObjects', () => {
  it('skips a document that expands through aliases beyond the limit, keeping the others', () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    expect(yamlObjects(`kind: A\n---\n${bomb}`).map((o) => o.value['kind'])).toEqual(['A']);
  });
});
