import { describe, expect, it } from 'vitest';
import { isKustomization, kustomizationPatchFiles } from './kustomization.ts';

describe('kustomizationPatchFiles', () => {
  it('names the patch files of patchesStrategicMerge, patches and patchesJson6902, relative to the kustomization', () => {
    const text = [
      'resources: [../../base]',
      'patchesStrategicMerge:',
      '  - replicas.yaml',
      '  - |-',
      '    apiVersion: apps/v1',
      '    kind: Deployment',
      'patches:',
      '  - path: patches/cpu.yaml',
      '  - patch: |-',
      '      - op: remove',
      'patchesJson6902:',
      '  - target: {kind: Deployment, name: web}',
      '    path: ../common/json-patch.yaml',
      '',
    ].join('\n');
    expect(kustomizationPatchFiles('k8s/overlays/prod/kustomization.yaml', text)).toEqual(['k8s/overlays/prod/replicas.yaml', 'k8s/overlays/prod/patches/cpu.yaml', 'k8s/overlays/common/json-patch.yaml']);
  });

  it('names nothing for a kustomization that does not parse or has no patches', () => {
    expect(kustomizationPatchFiles('kustomization.yaml', 'resources: [\n')).toEqual([]);
    expect(kustomizationPatchFiles('kustomization.yaml', 'resources: [a.yaml]\n')).toEqual([]);
  });

  it('knows a kustomization by its file name', () => {
    expect(['kustomization.yaml', 'x/kustomization.yml', 'x/Kustomization', 'x/kustomize.yaml'].map(isKustomization)).toEqual([true, true, true, false]);
  });
});
