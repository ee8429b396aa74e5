import { describe, expect, it } from 'vitest';
import { field, fieldOwners, handBackOwnership, named, ownsPath, type ManagedFieldsEntry } from './managedFields.ts';

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

describe('handBackOwnership', () => {
  const CONTAINERS = ['spec', 'template', 'spec', 'containers'];
  const READDED = { apiVersion: 'serving.knative.dev/v1', time: '2026-12-07T05:00:00Z' };
  const podSpec = (fields: Record<string, unknown>) => ({ 'f:spec': { 'f:template': { 'f:spec': fields } } });
  const entry = (manager: string, operation: string, fieldsV1: unknown): ManagedFieldsEntry => ({ manager, operation, apiVersion: 'serving.knative.dev/v1', fieldsType: 'FieldsV1', fieldsV1 });

  it('moves the atomic list from pytuner back to the manager that owned it, keeping pytuner\'s other fields', () => {
    const before = entry('argocd-controller', 'Apply', podSpec({ 'f:containers': {}, 'f:timeoutSeconds': {} }));
    const after = [
      entry('argocd-controller', 'Apply', podSpec({ 'f:timeoutSeconds': {} })),
      entry('pytuner', 'Update', { 'f:metadata': { 'f:annotations': { 'f:serving.knative.dev/lastModifier': {} } }, ...podSpec({ 'f:containers': {} }) }),
      entry('pytuner', 'Apply', podSpec({ 'f:containerConcurrency': {} })),
    ];
    expect(handBackOwnership(after, [before], CONTAINERS, 'pytuner', READDED)).toEqual([
      entry('argocd-controller', 'Apply', podSpec({ 'f:timeoutSeconds': {}, 'f:containers': {} })),
      entry('pytuner', 'Update', { 'f:metadata': { 'f:annotations': { 'f:serving.knative.dev/lastModifier': {} } } }),
      entry('pytuner', 'Apply', podSpec({ 'f:containerConcurrency': {} })),
    ]);
  });

  it('drops a pytuner entry left owning nothing and re-adds an owner entry the server removed', () => {
    // As an informer cache keeps it: manager, operation and the pod spec branch only.
    const cached = { manager: 'kubectl-client-side-apply', operation: 'Update', fieldsV1: podSpec({ 'f:containers': {} }) };
    const after = [entry('pytuner', 'Update', podSpec({ 'f:containers': {} }))];
    expect(handBackOwnership(after, [cached], CONTAINERS, 'pytuner', READDED)).toEqual([{ ...entry('kubectl-client-side-apply', 'Update', podSpec({ 'f:containers': {} })), time: READDED.time }]);
  });
});
