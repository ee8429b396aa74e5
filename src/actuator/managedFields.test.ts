import { describe, expect, it } from 'vitest';
import { field, fieldOwners, named, ownsPath, type ManagedFieldsEntry } from './managedFields.ts';

const containers = [field('spec'), field('template'), field('spec'), field('containers')];
const threadsValue = [...containers, named('app'), field('env'), named('THREADS'), field('value')];

describe('ownsPath', () => {
  it('owns a present leaf and a present subtree', () => {
    const trie = { 'f:spec': { 'f:template': { 'f:spec': { 'f:containerConcurrency': {}, 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:startupProbe': { 'f:tcpSocket': { 'f:port': {} } } } } } } } };
    expect(ownsPath(trie, [field('spec'), field('template'), field('spec'), field('containerConcurrency')])).toBe(true);
    expect(ownsPath(trie, [...containers, named('app'), field('startupProbe')])).toBe(true);
    expect(ownsPath(trie, [...containers, named('app'), field('image')])).toBe(false);
    expect(ownsPath(trie, threadsValue)).toBe(false);
  });

  it('owns everything under an atomic ancestor (a leaf on the way)', () => {
    expect(ownsPath({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': {} } } } }, threadsValue)).toBe(true);
  });

  it('compares element keys as JSON, whatever the spacing or key order', () => {
    expect(ownsPath({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{ "name": "app" }': { 'f:image': {} } } } } } }, [...containers, named('app'), field('image')])).toBe(true);
    expect(ownsPath({ 'f:ports': { 'k:{"protocol":"TCP","containerPort":8080}': {} } }, [field('ports'), { key: { containerPort: '8080', protocol: 'TCP' } }])).toBe(false); // 8080 is a number in the key
    expect(ownsPath({ 'f:x': { 'k:{broken': {} } }, [field('x'), named('a')])).toBe(false);
  });

  it('owns nothing for an empty or missing trie', () => {
    expect(ownsPath({}, [field('spec')])).toBe(false);
    expect(ownsPath(undefined, [field('spec')])).toBe(false);
  });
});

describe('fieldOwners', () => {
  const entry = (manager: string, fieldsV1: unknown, extra: Partial<ManagedFieldsEntry> = {}): ManagedFieldsEntry => ({ manager, operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1, ...extra });
  const atomic = { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': {} } } } };

  it('lists other managers once, in order, skipping self and the status subresource', () => {
    expect(
      fieldOwners(
        [entry('pytuner', atomic), entry('deploy-tool', atomic), entry('kubectl-edit', atomic, { operation: 'Update' }), entry('deploy-tool', atomic, { operation: 'Update' }), entry('knative', atomic, { subresource: 'status' })],
        threadsValue,
        'pytuner',
      ),
    ).toEqual(['deploy-tool', 'kubectl-edit']);
    expect(fieldOwners(undefined, threadsValue, 'pytuner')).toEqual([]);
  });
});
