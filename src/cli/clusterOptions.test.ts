import { describe, expect, it } from 'vitest';
import { clusterUsageError } from './clusterOptions.ts';

describe('clusterUsageError', () => {
  it.each([
    [{ cluster: true }, false, undefined],
    [{ cluster: true, namespace: ['shop'], selector: 'app=x' }, false, undefined],
    [{ cluster: true, allNamespaces: true }, false, undefined],
    [{}, true, undefined],
    [{ cluster: true }, true, 'error: give -f or --cluster, not both (join Dockerfiles to live workloads with --source IMAGE_OR_NAME=PATH)'],
    [{ cluster: true, allNamespaces: true, namespace: ['shop'] }, false, 'error: give -n/--namespace or -A/--all-namespaces, not both'],
    [{ kubeconfig: 'k' }, true, 'error: --kubeconfig needs --cluster'],
    [{ allNamespaces: true }, true, 'error: --all-namespaces needs --cluster'],
    [{ selector: 'app=x' }, true, 'error: --selector needs --cluster'],
  ] as const)('%j with files=%s: %s', (flags, hasFiles, expected) => {
    expect(clusterUsageError({ ...flags, namespace: 'namespace' in flags ? [...flags.namespace] : undefined }, hasFiles)).toBe(expected);
  });
});
