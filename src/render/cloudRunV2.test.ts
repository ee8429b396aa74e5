import { describe, expect, it } from 'vitest';
import { validateCloudRunService } from '../parse/cloudRunV2.ts';
import type { LoadedInputs } from '../parse/types.ts';
import { buildInventory } from '../model/extract/inventory.ts';
import type { Workload } from '../model/workload.ts';
import { changeTarget, propose } from '../rules/changes.ts';
import { renderCloudRunChanges } from './cloudRunV2.ts';
import { analyse } from '../report.ts';

function workloadOf(item: unknown): Workload {
  const checked = validateCloudRunService(item);
  if (!('service' in checked)) throw new Error(JSON.stringify(checked.errors));
  const loaded: LoadedInputs = { documents: [], sources: [], errors: [], files: 0, cloudRunServices: [checked.service] };
  return buildInventory(loaded, []).inventory.workloads[0] as Workload;
}

const single = {
  name: 'projects/p1/locations/europe-west1/services/api',
  etag: '"e1"',
  template: {
    maxInstanceRequestConcurrency: 80,
    containers: [{ image: 'img:1', command: ['gunicorn', '--threads', '8', 'main:app'], env: [{ name: 'WEB_CONCURRENCY', value: '1' }], resources: { limits: { cpu: '1', memory: '512Mi' } } }],
  },
};

const sidecar = {
  name: 'projects/p1/locations/europe-west1/services/shop',
  template: {
    containers: [
      { name: 'web', image: 'web:1', command: ['gunicorn', 'main:app'], ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '2' }, cpuIdle: true } },
      { name: 'otel', image: 'collector:1', resources: { limits: { cpu: '1' }, cpuIdle: true } },
    ],
  },
};

/**
 * The findings on a v2 service of gunicorn 4 × 8 on 1 vCPU with `GUNICORN_CMD_ARGS=--timeout 30`: gunicorn.timeout
 * rewrites the flag inside the var, startup.heavy-init and startup.probe-missing append --preload, gunicorn.workers-vs-cpu
 * rewrites the command.
 */
function gunicornTimeoutServiceFindings() {
  const checked = validateCloudRunService({
    name: 'projects/p1/locations/europe-west1/services/api',
    template: { maxInstanceRequestConcurrency: 80, containers: [{ image: 'img:1', command: ['gunicorn', '--workers', '4', '--threads', '8', 'main:app'], env: [{ name: 'GUNICORN_CMD_ARGS', value: '--timeout 30' }], resources: { limits: { cpu: '1' }, cpuIdle: true } }] },
  });
  if (!('service' in checked)) throw new Error(JSON.stringify(checked.errors));
  return analyse({ documents: [], sources: [], errors: [], files: 0, cloudRunServices: [checked.service] }).findings;
}

describe('Cloud Run v2 fixes', () => {
  it('renders containerConcurrency as maxInstanceRequestConcurrency and --concurrency, guarded by the etag', () => {
    const workload = workloadOf(single);
    const change = propose('containerConcurrency', 80, 8, { target: changeTarget(workload), rule: 'r', location: { kind: 'field', pointer: '/template/containerConcurrency' } });
    const rendering = renderCloudRunChanges(workload, [change], []);
    expect(rendering.gcloud).toBe('gcloud run services update api --region europe-west1 --project p1 --concurrency 8');
    expect(rendering.patch).toEqual({ name: single.name, updateMask: ['template.maxInstanceRequestConcurrency'], service: { template: { maxInstanceRequestConcurrency: 8 }, etag: '"e1"' } });
    expect(rendering.notes).toEqual([]);
  });

  it('writes every container complete when one changes, with cpuIdle stated where the service had none', () => {
    const workload = workloadOf(single);
    const container = workload.containers[0];
    const change = propose('workers', 1, 2, { target: changeTarget(workload, container), rule: 'r', location: { kind: 'env', container: 'user-container', name: 'WEB_CONCURRENCY' } });
    const ops = [
      { op: 'test' as const, path: '/template/containers/0/env/0/name', value: 'WEB_CONCURRENCY' },
      { op: 'replace' as const, path: '/template/containers/0/env/0/value', value: '2' },
    ];
    const rendering = renderCloudRunChanges(workload, [change], ops);
    expect(rendering.gcloud).toBe('gcloud run services update api --region europe-west1 --project p1 --update-env-vars WEB_CONCURRENCY=2');
    expect(rendering.patch?.updateMask).toEqual(['template.containers']);
    expect(rendering.patch?.service).toEqual({
      template: { containers: [{ image: 'img:1', command: ['gunicorn', '--threads', '8', 'main:app'], env: [{ name: 'WEB_CONCURRENCY', value: '2' }], resources: { limits: { cpu: '1', memory: '512Mi' }, cpuIdle: true } }] },
      etag: '"e1"',
    });
    expect(rendering.notes.join(' ')).toContain('cpuIdle true');
  });

  it('turns the cpu-throttling annotation into cpuIdle on every container and --no-cpu-throttling', () => {
    const workload = workloadOf(sidecar);
    const change = propose('templateAnnotation', undefined, 'false', { target: changeTarget(workload), rule: 'r', location: { kind: 'field', pointer: '/template/metadata/annotations/run.googleapis.com~1cpu-throttling' } });
    const rendering = renderCloudRunChanges(workload, [change], []);
    expect(rendering.gcloud).toBe('gcloud run services update shop --region europe-west1 --project p1 --no-cpu-throttling');
    const containers = (rendering.patch?.service['template'] as { containers: Array<{ resources: { cpuIdle: boolean } }> }).containers;
    expect(containers.map((c) => c.resources.cpuIdle)).toEqual([false, false]);
    expect(rendering.notes).toEqual([]);
  });

  it('names the container in gcloud when the service has several, and leaves probes to the v2 patch', () => {
    const workload = workloadOf(sidecar);
    const web = workload.containers[0];
    const threads = propose('threads', 1, 4, { target: changeTarget(workload, web), rule: 'r', location: { kind: 'env', container: 'web', name: 'GUNICORN_CMD_ARGS' } });
    const probe = { handler: 'httpGet' as const, path: '/healthz', port: 8080, periodSeconds: 10, failureThreshold: 12 };
    const startup = propose('startupProbe', undefined, probe, { target: changeTarget(workload, web), rule: 'r', location: { kind: 'container', container: 'web', field: 'startupProbe' } });
    const ops = [
      { op: 'add' as const, path: '/template/containers/0/env', value: [{ name: 'GUNICORN_CMD_ARGS', value: '--threads 4' }] },
      { op: 'add' as const, path: '/template/containers/0/startupProbe', value: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 12 } },
    ];
    const rendering = renderCloudRunChanges(workload, [threads, startup], ops);
    expect(rendering.gcloud).toBe("gcloud run services update shop --region europe-west1 --project p1 --container web --update-env-vars 'GUNICORN_CMD_ARGS=--threads 4'");
    expect(rendering.notes).toEqual(['the startupProbe is written by the v2 patch only (the gcloud command leaves it out)']);
    const containers = (rendering.patch?.service['template'] as { containers: Array<Record<string, unknown>> }).containers;
    expect(containers[0]?.['startupProbe']).toEqual({ httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 12 });
    expect(containers[1]).toEqual(sidecar.template.containers[1]);
  });

  it('says so, and writes no containers, when the rule ops do not apply to the service as read', () => {
    const workload = workloadOf(single);
    const change = propose('workers', 1, 2, { target: changeTarget(workload, workload.containers[0]), rule: 'r', location: { kind: 'env', container: 'user-container', name: 'WEB_CONCURRENCY' } });
    const ops = [{ op: 'test' as const, path: '/template/containers/0/env/0/name', value: 'SOMETHING_ELSE' }];
    const rendering = renderCloudRunChanges(workload, [change], ops);
    expect(rendering.patch).toBeUndefined();
    expect(rendering.notes.join(' ')).toContain('does not apply');
  });

  it('gives a service one --update-env-vars for GUNICORN_CMD_ARGS holding every finding’s part (a flag rewritten in it, words appended)', () => {
    const findings = gunicornTimeoutServiceFindings();
    const envCommands = findings.flatMap((f) => f.fix?.commands ?? []).filter((c) => c.startsWith('gcloud') && c.includes('GUNICORN_CMD_ARGS'));
    // gunicorn.timeout: --timeout 30 → 0; startup.heavy-init and startup.probe-missing: --preload.
    expect(envCommands).toEqual(["gcloud run services update api --region europe-west1 --project p1 --update-env-vars 'GUNICORN_CMD_ARGS=--timeout 0 --preload'"]);
  });

  it('writes, in every finding’s v2 patch, the container changes of all findings on the service: applied one after another, none undoes another', () => {
    const findings = gunicornTimeoutServiceFindings();
    const patches = findings.flatMap((f) => (f.fix?.commands ?? []).filter((c) => c.startsWith('curl') && c.includes('template.containers')).map((c) => ({ rule: f.rule, body: JSON.parse(c.slice(c.indexOf(" -d '") + 5, -1)) as { template: { containers: unknown[] } } })));
    // gunicorn.workers-vs-cpu rewrites the command (workers 4 → 1), gunicorn.timeout the env: apart, each patch wrote the other's field back as read.
    expect(patches.map((p) => p.rule)).toEqual(['gunicorn.timeout', 'gunicorn.workers-vs-cpu']);
    for (const { body } of patches) {
      expect(body.template.containers).toEqual([{ image: 'img:1', command: ['gunicorn', '--workers', '1', '--threads', '8', 'main:app'], env: [{ name: 'GUNICORN_CMD_ARGS', value: '--timeout 0 --preload' }], resources: { limits: { cpu: '1' }, cpuIdle: true } }]);
    }
  });
});

