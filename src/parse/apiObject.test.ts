import { describe, expect, it } from 'vitest';
import { apiObjectDocument } from './apiObject.ts';

describe('apiObjectDocument', () => {
  const listed = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'reports',
      namespace: 'analytics',
      labels: { app: 'reports' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"copy"}', 'pytuner.dev/ignore': 'image.slim-base' },
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
    },
    spec: { replicas: 2 },
    status: { readyReplicas: 2 },
  };

  it('keeps the object without file or line, and drops managedFields, last-applied and status', () => {
    const doc = apiObjectDocument(listed, 3);
    expect(doc).toEqual({
      docIndex: 3,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'reports', namespace: 'analytics', labels: { app: 'reports' }, annotations: { 'pytuner.dev/ignore': 'image.slim-base' } },
        spec: { replicas: 2 },
      },
    });
    expect('file' in doc).toBe(false);
    expect('line' in doc).toBe(false);
  });

  it('leaves out annotations that held only the last-applied copy', () => {
    const doc = apiObjectDocument({ kind: 'ServiceAccount', metadata: { name: 'x', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } }, 0);
    expect(doc.object).toEqual({ kind: 'ServiceAccount', metadata: { name: 'x' } });
  });
});
