// Knative Services are checked by the real Knative Serving CRD's OpenAPI schema (knative.dev/serving's config/core/300-resources, from the Go module cache).
// Only the schema: Knative's webhook, which also checks ranges such as containerConcurrency <= 1000, is absent.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';
import { KNATIVE_WEBHOOK_EXCLUDE_LABEL } from './harness/knative.ts';

// These cases are about the CRD's OpenAPI schema alone, so Knative's webhook (which answers first, with 400) is left out.
const CRD_SCHEMA_ONLY = { [KNATIVE_WEBHOOK_EXCLUDE_LABEL]: 'crd-schema-only' };

interface KnativeService extends KubernetesObject {
  spec: { template: { spec: Record<string, unknown> & { containerConcurrency?: unknown; containers: Record<string, unknown>[] } } };
}

function knativeService(namespace: string, name: string, podSpec: Record<string, unknown>): KnativeService {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      template: {
        spec: {
          containers: [{ image: 'europe-docker.pkg.dev/demo/api:1.0.0', ports: [{ containerPort: 8080 }], env: [{ name: 'WEB_CONCURRENCY', value: '4' }] }],
          ...podSpec,
        },
      },
    },
  };
}

describe('Knative Service against the Knative Serving CRD schema', () => {
  const { objects, custom } = adminClients();

  it('accepts a valid Service and stores it with the schema defaults', async () => {
    const namespace = await uniqueNamespace('ksvc', CRD_SCHEMA_ONLY);
    await objects.create(knativeService(namespace, 'api', { containerConcurrency: 80, timeoutSeconds: 300 }));

    const live = await objects.read<KnativeService>({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'api', namespace } });
    expect(live.spec.template.spec.containerConcurrency).toBe(80);
    expect(live.spec.template.spec.timeoutSeconds).toBe(300);
    // The CRD's schema defaults a container port's protocol: proof the schema, not a pass-through, stored it.
    expect(live.spec.template.spec.containers[0]).toMatchObject({ ports: [{ containerPort: 8080, protocol: 'TCP' }] });
  });

  it('rejects containerConcurrency that is not an integer with 422 naming the field', async () => {
    const namespace = await uniqueNamespace('ksvc', CRD_SCHEMA_ONLY);
    const status = await apiFailure(objects.create(knativeService(namespace, 'api', { containerConcurrency: 'eighty' })));

    expect(status.httpStatus).toBe(422);
    expect(status.reason).toBe('Invalid');
    expect(status.details?.causes).toContainEqual({
      reason: 'FieldValueTypeInvalid',
      field: 'spec.template.spec.containerConcurrency',
      message: expect.stringContaining('must be of type integer'),
    });
  });

  it('drops an unknown field silently by default, and rejects it under strict field validation', async () => {
    const namespace = await uniqueNamespace('ksvc', CRD_SCHEMA_ONLY);
    const withTypo = (name: string) => knativeService(namespace, name, { containerConcurency: 80 }); // sic: one "r"

    await objects.create(withTypo('pruned'));
    const live = await objects.read<KnativeService>({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'pruned', namespace } });
    expect(live.spec.template.spec).not.toHaveProperty('containerConcurency');
    expect(live.spec.template.spec).not.toHaveProperty('containerConcurrency');

    const status = await apiFailure(
      custom.createNamespacedCustomObject({ group: 'serving.knative.dev', version: 'v1', plural: 'services', namespace, body: withTypo('strict'), fieldValidation: 'Strict' }),
    );
    expect(status.httpStatus).toBe(400);
    expect(status.message).toContain('unknown field "spec.template.spec.containerConcurency"');
  });
});
