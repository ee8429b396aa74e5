import { describe, expect, it } from 'vitest';
import type { CloudRunServiceInput } from '../../parse/cloudRunV2.ts';
import { validateCloudRunService } from '../../parse/cloudRunV2.ts';
import type { LoadedInputs } from '../../parse/types.ts';
import type { ContainerFacts } from '../workload.ts';
import { buildInventory } from './inventory.ts';

function v2(item: unknown): CloudRunServiceInput {
  const checked = validateCloudRunService(item);
  if (!('service' in checked)) throw new Error(JSON.stringify(checked.errors));
  return checked.service;
}

function inputs(...services: unknown[]): LoadedInputs {
  return { documents: [], sources: [], errors: [], files: 0, cloudRunServices: services.map(v2) };
}

const base = {
  name: 'projects/p1/locations/europe-west1/services/api',
  labels: { team: 'web' },
  template: {
    maxInstanceRequestConcurrency: 40,
    timeout: '120s',
    serviceAccount: 'api@p1.iam.gserviceaccount.com',
    scaling: { minInstanceCount: 1, maxInstanceCount: 10 },
    annotations: { 'pytuner.dev/health-path': '/healthz' },
    containers: [
      {
        name: 'app',
        image: 'europe-docker.pkg.dev/p1/apps/api:1',
        command: ['gunicorn'],
        args: ['--workers', '2', 'main:app'],
        env: [
          { name: 'GUNICORN_CMD_ARGS', value: '--threads 4' },
          { name: 'API_KEY', valueSource: { secretKeyRef: { secret: 'k', version: '1' } } },
        ],
        resources: { limits: { cpu: '2', memory: '1Gi' }, cpuIdle: false, startupCpuBoost: true },
        ports: [{ name: 'http1', containerPort: 9000 }],
        livenessProbe: { httpGet: { path: '/live', port: 9000 }, periodSeconds: 5 },
      },
    ],
  },
};

describe('Cloud Run Admin API v2 Service → Workload', () => {
  it('maps the v2 fields to the same facts a Knative manifest gives, with v2 field names as evidence', () => {
    const { inventory, errors, objects } = buildInventory(inputs(base), []);
    expect(errors).toEqual([]);
    expect(objects).toBe(1);
    const [workload] = inventory.workloads;
    expect(workload?.ref).toEqual({ apiVersion: 'run.googleapis.com/v2', kind: 'Service', namespace: 'projects/p1/locations/europe-west1', name: 'api', docIndex: 0 });
    expect(workload?.platform).toBe('cloudrun');
    expect(workload?.containerConcurrency).toMatchObject({ value: 40, isDefault: false, evidence: { field: 'template.maxInstanceRequestConcurrency', text: '40' } });
    expect(workload?.timeoutSeconds).toMatchObject({ value: 120, evidence: { field: 'template.timeout' } });
    expect(workload?.serviceAccountName?.value).toBe('api@p1.iam.gserviceaccount.com');
    expect(workload?.labels).toEqual({ team: 'web', 'cloud.googleapis.com/location': 'europe-west1' });
    expect(workload?.templateAnnotations).toEqual({
      'pytuner.dev/health-path': '/healthz',
      'run.googleapis.com/cpu-throttling': 'false',
      'run.googleapis.com/startup-cpu-boost': 'true',
      'autoscaling.knative.dev/minScale': '1',
      'autoscaling.knative.dev/maxScale': '10',
    });
    const container = workload?.containers[0] as ContainerFacts;
    expect(container.name).toBe('app');
    expect(container.cpu).toMatchObject({ value: 2, evidence: { field: 'template.containers[0].resources.limits.cpu' } });
    expect(container.port?.value).toBe(9000);
    expect(container.env.get('API_KEY')).toMatchObject({ fromRef: true });
    expect(container.env.get('PORT')?.value).toBe('9000');
    expect(container.livenessProbe).toMatchObject({ handler: 'httpGet', path: '/live', port: 9000, implicit: false });
    // No startupProbe in the answer: Cloud Run's default TCP probe on the serving port.
    expect(container.startupProbe).toMatchObject({ handler: 'tcpSocket', port: 9000, implicit: true });
  });

  it('detects the server from command, args and env (GUNICORN_CMD_ARGS), with v2 evidence', () => {
    const { inventory } = buildInventory(inputs(base), []);
    const server = inventory.workloads[0]?.containers[0]?.server;
    expect(server?.kind).toBe('gunicorn');
    expect(server?.workers?.value).toBe(2);
    expect(server?.threads?.value).toBe(4);
    expect(server?.workers?.evidence.field).toBe('--workers');
  });

  it("uses Cloud Run's defaults for what the answer leaves out", () => {
    const bare = { name: 'projects/p1/locations/us-east1/services/bare', template: { containers: [{ image: 'x', command: ['waitress-serve', 'app:app'] }] } };
    const { inventory } = buildInventory(inputs(bare), []);
    const workload = inventory.workloads[0];
    expect(workload?.containerConcurrency?.value).toBeUndefined();
    expect(workload?.timeoutSeconds).toMatchObject({ value: 300, isDefault: true });
    expect(workload?.containers[0]?.cpu).toMatchObject({ value: 1, isDefault: true });
    expect(workload?.containers[0]?.name).toBe('user-container');
    expect(workload?.templateAnnotations).toEqual({});
  });

  it('refuses a service whose fields have the wrong shape, naming the service and the v2 field', () => {
    const bad = { ...base, template: { ...base.template, timeout: 120, containers: [{ image: 'x', resources: { limits: { cpu: 'lots' } } }] } };
    const checked = validateCloudRunService(bad);
    expect('errors' in checked).toBe(true);
    if (!('errors' in checked)) return;
    expect(checked.errors.map((e) => [e.object, e.field])).toEqual([
      ['Cloud Run service projects/p1/locations/europe-west1/services/api', 'template.timeout'],
      ['Cloud Run service projects/p1/locations/europe-west1/services/api', 'template.containers[0].resources.limits.cpu'],
    ]);
  });
});
