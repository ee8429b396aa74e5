// Knative Services are checked by the real Knative Serving CRD's OpenAPI schema (knative.dev/serving's config/core/300-resources, from the Go module cache)
// and admitted by the real Knative webhook (harness/knative.ts), in the order a cluster runs them: the API server
// decodes and prunes, Knative's mutating webhook decodes into its Go types and defaults, the schema validates.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { adminClients, apiFailure, uniqueNamespace } from './harness/kube.ts';

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

describe('Knative Service against the Knative Serving CRD schema and webhook', () => {
  const { objects, custom } = adminClients();

  it('accepts a valid Service and stores it with the schema defaults', async () => {
    const namespace = await uniqueNamespace('ksvc');
    await objects.create(knativeService(namespace, 'api', { containerConcurrency: 80, timeoutSeconds: 300 }));

    const live = await objects.read<KnativeService>({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'api', namespace } });
    expect(live.spec.template.spec.containerConcurrency).toBe(80);
    expect(live.spec.template.spec.timeoutSeconds).toBe(300);
    // The CRD's schema defaults a container port's protocol: proof the schema, not a pass-through, stored it.
    expect(live.spec.template.spec.containers[0]).toMatchObject({ ports: [{ containerPort: 8080, protocol: 'TCP' }] });
  });

  it('rejects containerConcurrency that is not an integer with 400 naming the field', async () => {
    const namespace = await uniqueNamespace('ksvc');
    const status = await apiFailure(objects.create(knativeService(namespace, 'api', { containerConcurrency: 'eighty' })));

    // Knative's mutating webhook runs before the CRD schema's validation and cannot decode the string into its int64
    // field: a 400 from the webhook, not the schema's 422.
    expect(status.httpStatus).toBe(400);
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toContain('admission webhook "webhook.serving.knative.dev" denied the request');
    expect(status.message).toContain('containerConcurrency of type int64');
  });

  it('drops an unknown field silently by default, and rejects it under strict field validation', async () => {
    const namespace = await uniqueNamespace('ksvc');
    const withTypo = (name: string) => knativeService(namespace, name, { containerConcurency: 80 }); // sic: one "r"

    await objects.create(withTypo('pruned'));
    const live = await objects.read<KnativeService>({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'pruned', namespace } });
    expect(live.spec.template.spec).not.toHaveProperty('containerConcurency');
    // The webhook saw the pruned object and defaulted the field the typo meant: 0, unlimited.
    expect(live.spec.template.spec.containerConcurrency).toBe(0);

    const status = await apiFailure(
      custom.createNamespacedCustomObject({ group: 'serving.knative.dev', version: 'v1', plural: 'services', namespace, body: withTypo('strict'), fieldValidation: 'Strict' }),
    );
    expect(status.httpStatus).toBe(400);
    expect(status.message).toContain('unknown field "spec.template.spec.containerConcurency"');
  });
});
