// Cloud Run Admin API v2 services for the loopback server, written in proto3 JSON as the API returns them (output-only
// fields included: uid, generation, createTime, etag, uri). The loopback server checks each against the v2 protos.
export const PROJECT = 'shop-prod';

function service(region: string, id: string, template: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `projects/${PROJECT}/locations/${region}/services/${id}`,
    uid: `0b7f5b3e-${id.length}c1d-4c6a-9d61-5a0e0c${region.length}f2a11`,
    generation: '4',
    createTime: '2026-11-02T09:14:05.123456Z',
    updateTime: '2026-11-30T16:40:11.654321Z',
    creator: 'deploy@shop-prod.iam.gserviceaccount.com',
    lastModifier: 'deploy@shop-prod.iam.gserviceaccount.com',
    ingress: 'INGRESS_TRAFFIC_ALL',
    launchStage: 'GA',
    template,
    traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    uri: `https://${id}-abc123-ew.a.run.app`,
    etag: `"CNf3rLoGEJi3r8AC/${id}"`,
    ...extra,
  };
}

/** gunicorn 1 worker × 8 threads behind Cloud Run's 80: `concurrency.threads-mismatch`. */
export const checkout = service(
  'europe-west1',
  'checkout',
  {
    scaling: { maxInstanceCount: 20 },
    timeout: '300s',
    serviceAccount: 'checkout@shop-prod.iam.gserviceaccount.com',
    maxInstanceRequestConcurrency: 80,
    containers: [
      {
        name: 'web',
        image: 'europe-docker.pkg.dev/shop-prod/apps/checkout:1.4.2',
        command: ['gunicorn'],
        args: ['--bind', ':8080', '--workers', '1', '--threads', '8', '--timeout', '0', '--preload', 'main:app'],
        env: [{ name: 'DB_PASSWORD', valueSource: { secretKeyRef: { secret: 'db-password', version: 'latest' } } }],
        resources: { limits: { cpu: '1', memory: '512Mi' }, cpuIdle: true, startupCpuBoost: true },
        ports: [{ name: 'http1', containerPort: 8080 }],
        startupProbe: { timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1, tcpSocket: { port: 8080 } },
      },
    ],
  },
  { labels: { team: 'payments' } },
);

/** The threads come from env (THREADS); 1 worker on 2 vCPU; no cpuIdle in the answer. */
export const orders = service('europe-west1', 'orders', {
  timeout: '60s',
  serviceAccount: 'orders@shop-prod.iam.gserviceaccount.com',
  maxInstanceRequestConcurrency: 80,
  containers: [
    {
      image: 'europe-docker.pkg.dev/shop-prod/apps/orders:2.0.0',
      command: ['gunicorn', '--bind', ':8080', '--timeout', '0', '--preload', 'orders.wsgi:application'],
      env: [
        { name: 'GUNICORN_CMD_ARGS', value: '--workers 1' },
        { name: 'THREADS', value: '4' },
        { name: 'GUNICORN_THREADS_FROM_ENV', value: 'yes' },
      ],
      args: ['--threads', '4'],
      resources: { limits: { cpu: '2', memory: '1Gi' } },
      ports: [{ name: 'http1', containerPort: 8080 }],
    },
  ],
});

/** Sized consistently: 1 worker × 8 threads, concurrency 8, no gunicorn timeout, an HTTP startup probe. */
export const catalog = service('europe-west1', 'catalog', {
  timeout: '300s',
  serviceAccount: 'catalog@shop-prod.iam.gserviceaccount.com',
  maxInstanceRequestConcurrency: 8,
  containers: [
    {
      image: 'europe-docker.pkg.dev/shop-prod/apps/catalog:3.1.0',
      command: ['gunicorn'],
      args: ['--bind', ':8080', '--workers', '1', '--threads', '8', '--timeout', '0', '--preload', 'app:app'],
      resources: { limits: { cpu: '1', memory: '512Mi' }, cpuIdle: true },
      ports: [{ name: 'http1', containerPort: 8080 }],
      startupProbe: { periodSeconds: 10, failureThreshold: 12, timeoutSeconds: 1, httpGet: { path: '/healthz', port: 8080 } },
    },
  ],
});

/** FastAPI under uvicorn with 4 worker processes: `uvicorn.workers`. */
export const search = service('asia-east1', 'search', {
  timeout: '300s',
  maxInstanceRequestConcurrency: 4,
  containers: [
    {
      image: 'asia-docker.pkg.dev/shop-prod/apps/search:0.9.0',
      command: ['uvicorn', 'search.main:app', '--host', '0.0.0.0', '--port', '8080', '--workers', '4'],
      resources: { limits: { cpu: '4', memory: '2Gi' }, cpuIdle: false },
      ports: [{ name: 'http1', containerPort: 8080 }],
    },
  ],
});
