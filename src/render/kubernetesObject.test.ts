import { describe, expect, it } from 'vitest';
import { buildInventory } from '../model/extract/inventory.ts';
import type { Workload } from '../model/workload.ts';
import { apiObjectDocument } from '../parse/apiObject.ts';
import { renderObjectPatch } from './kubernetesObject.ts';

/** A Deployment `web` with the given containers, read as the report reads an API object. */
function deployment(containers: Record<string, unknown>[]): Workload {
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } },
  };
  const workload = buildInventory({ documents: [apiObjectDocument(object, 0)], sources: [], errors: [], files: 1 }, []).inventory.workloads[0];
  if (workload === undefined) throw new Error('the test object does not read as a workload');
  return workload;
}

const ARGS = ['gunicorn', '--bind', ':8080', 'app:app'];

describe('renderObjectPatch', () => {
  it('renders each value where the object holds it, tests first, in the order of the values', () => {
    const workload = deployment([
      { name: 'side', image: 'busybox' },
      { name: 'app', image: 'python:3.13-slim', args: ARGS, env: [{ name: 'PORT', value: '8080' }, { name: 'WEB_CONCURRENCY', value: '1' }] },
    ]);
    const probe = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2, failureThreshold: 60 };
    expect(
      renderObjectPatch(workload, [
        { setting: 'env', container: 'app', name: 'THREADS', to: '4' },
        { setting: 'env', container: 'app', name: 'WEB_CONCURRENCY', to: '2' },
        { setting: 'startupProbe', container: 'app', probe },
      ]),
    ).toEqual({
      ok: true,
      ops: [
        { op: 'test', path: '/spec/template/spec/containers/1/env/1/name', value: 'WEB_CONCURRENCY' },
        { op: 'add', path: '/spec/template/spec/containers/1/env/-', value: { name: 'THREADS', value: '4' } },
        { op: 'replace', path: '/spec/template/spec/containers/1/env/1/value', value: '2' },
        { op: 'add', path: '/spec/template/spec/containers/1/startupProbe', value: probe },
      ],
    });
  });

  it('adds a missing env list once, holding every entry, where it comes first', () => {
    const workload = deployment([{ name: 'app', image: 'python:3.13-slim', args: ARGS }]);
    expect(
      renderObjectPatch(workload, [
        { setting: 'env', container: 'app', name: 'THREADS', to: '4' },
        { setting: 'startupProbe', container: 'app', probe: { tcpSocket: { port: 8080 } } },
        { setting: 'env', container: 'app', name: 'WEB_CONCURRENCY', to: '2' },
      ]),
    ).toEqual({
      ok: true,
      ops: [
        { op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'THREADS', value: '4' }, { name: 'WEB_CONCURRENCY', value: '2' }] },
        { op: 'add', path: '/spec/template/spec/containers/0/startupProbe', value: { tcpSocket: { port: 8080 } } },
      ],
    });
    // One entry: the single add the rules render.
    expect(renderObjectPatch(workload, [{ setting: 'env', container: 'app', name: 'THREADS', to: '4' }])).toEqual({
      ok: true,
      ops: [{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'THREADS', value: '4' }] }],
    });
  });

  it('names a container the workload does not have instead of rendering a patch for it', () => {
    const workload = deployment([{ name: 'app', image: 'python:3.13-slim', args: ARGS }]);
    expect(renderObjectPatch(workload, [{ setting: 'env', container: 'api', name: 'THREADS', to: '4' }])).toEqual({ ok: false, reason: 'Deployment web has no container api' });
  });
});
