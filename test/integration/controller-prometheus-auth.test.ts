// The controller's own credentials for an authenticated Prometheus (--prometheus-url, --prometheus-bearer-token-file,
// --prometheus-ca-file): a real Prometheus behind an authenticating HTTPS proxy on loopback (as kube-rbac-proxy or
// Google Managed Prometheus' frontend stand in front of one), with a private CA. The token is read again when the file
// is rotated; a refused token gives MetricsAvailable=False reason PrometheusUnauthorized and none of the answer; a
// policy naming another Prometheus never receives the token; without the CA bundle the certificate is refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.ts';
import { uniqueNamespace } from './harness/kube.ts';
import { knativeSeries, type SeriesOptions, type WorkloadLoad } from '../support/series.ts';
import { faultInjector, type Injector } from '../support/seriesProxy.ts';
import { SIM_BOUNDS, simulatedSteps } from '../support/seriesFromSim.ts';
import { condition, create, recommendation, startTestController, tuningPolicy } from './controller.support.ts';

const STEP = 300;
const DURATION = 7200;
const END = Math.floor((Date.now() / 1000 - 3600) / STEP) * STEP;
const SHIFT_MS = Date.now() - (END * 1000 + 30_000);
const shiftedNow = () => new Date(Date.now() - SHIFT_MS);
const OPTIONS: SeriesOptions = { start: END - DURATION, stepSeconds: STEP, bounds: SIM_BOUNDS };
const poll = { timeout: 30_000, interval: 100 };
/** Said by the proxy when it refuses a token: it must never reach a status. */
const REFUSAL_BODY = '{"status":"error","error":"token rejected by the auth proxy for tenant secret-tenant-42"}';

function service(namespace: string, name: string): KubernetesObject {
  const container = { name: 'app', image: 'europe-docker.pkg.dev/demo/app:1.0.0', args: ['gunicorn', '--bind', ':8080', '--workers', '2', '--threads', '4', 'app:app'], resources: { limits: { cpu: '2', memory: '1Gi' } } };
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name, namespace, labels: { app: name } }, spec: { template: { spec: { containers: [container] } } } } as KubernetesObject;
}

function load(namespace: string, name: string, seed: number): WorkloadLoad {
  const steps = simulatedSteps({ seed, fromRate: 5, toRate: 40, cpuMs: 12, ioMs: 50, workers: 2, threads: 4, vcpus: 2, containerConcurrency: 0, durationSeconds: DURATION, stepSeconds: STEP });
  return { namespace, name, container: 'app', vcpus: 2, steps };
}

/** An HTTPS reverse proxy in front of `upstream` that passes a request only with `Bearer <accepted()>`. */
async function authenticatingProxy(upstream: string, key: string, cert: string, accepted: () => string, seen: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer({ key, cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const authorization = request.headers.authorization ?? '(none)';
      seen.push(authorization);
      if (authorization !== `Bearer ${accepted()}`) {
        response.writeHead(401, { 'content-type': 'application/json' }).end(REFUSAL_BODY);
        return;
      }
      const init: RequestInit = { method: request.method ?? 'GET' };
      if (request.method === 'POST') Object.assign(init, { body: Buffer.concat(chunks).toString('utf8'), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      // Served under /prometheus, as GMP's API is under a path: the upstream Prometheus has it at its root.
      void fetch(`${upstream}${(request.url ?? '/').replace(/^\/prometheus/, '')}`, init).then(
        async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()),
        (error: Error) => response.writeHead(502).end(error.message),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/prometheus`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('controller reading an authenticated Prometheus', () => {
  let work: string;
  let namespace: string;
  let prometheus: RunningPrometheus;
  let proxy: { url: string; close(): Promise<void> };
  let plain: Injector;
  let accepted = 'token-one';
  const seen: string[] = [];
  const plainSeen: string[] = [];
  let tokenFile: string;
  let caFile: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pytuner-prom-auth-'));
    const keyFile = join(work, 'tls.key');
    caFile = join(work, 'tls.crt');
    // A self-signed certificate for 127.0.0.1: the private CA the controller is given with --prometheus-ca-file.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', caFile], { stdio: 'pipe' });
    tokenFile = join(work, 'token');
    writeFileSync(tokenFile, 'token-one\n');
    namespace = await uniqueNamespace('ctl-prom-auth');
    prometheus = await startPrometheus({ openMetrics: knativeSeries([load(namespace, 'orders', 21), load(namespace, 'cart', 22)], OPTIONS, 'pod-labels') });
    proxy = await authenticatingProxy(prometheus.url, readFileSync(keyFile, 'utf8'), readFileSync(caFile, 'utf8'), () => accepted, seen);
    // Another Prometheus URL (the same data, no authentication) that records what it is sent.
    plain = await faultInjector(prometheus.url, (_path, _body, headers) => {
      plainSeen.push(headers.authorization ?? '(none)');
      return { pass: true };
    });
  });
  afterAll(async () => {
    await plain?.close();
    await proxy?.close();
    await prometheus?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function metricsCondition(name: string) {
    return condition((await recommendation(namespace, `service-${name}`))?.status, 'MetricsAvailable');
  }

  it('sends the token from the file with the CA bundle, reads it again when rotated, classifies a refusal, and keeps the token from other URLs', async () => {
    await create(service(namespace, 'orders'));
    await create(service(namespace, 'cart'));
    const metrics = (url: string) => ({ prometheusUrl: url, profile: 'knative', window: '2h' });
    await create(tuningPolicy(namespace, 'authenticated', { mode: 'Recommend', selector: { kinds: ['Service'], matchLabels: { app: 'orders' } }, metrics: metrics(proxy.url) }));
    await create(tuningPolicy(namespace, 'elsewhere', { mode: 'Recommend', selector: { kinds: ['Service'], matchLabels: { app: 'cart' } }, metrics: metrics(plain.url) }));
    await startTestController(namespace, { now: shiftedNow, metricsIntervalMs: 1_000, prometheusAccess: { url: proxy.url, bearerTokenFile: tokenFile, caFile } });

    await vi.waitFor(async () => expect(await metricsCondition('orders')).toMatchObject({ status: 'True', reason: 'Observed' }), poll);
    expect(new Set(seen)).toEqual(new Set(['Bearer token-one']));
    // The other policy's Prometheus is read too, and never sent the controller's token.
    await vi.waitFor(async () => expect(await metricsCondition('cart')).toMatchObject({ status: 'True', reason: 'Observed' }), poll);
    expect(plainSeen.length).toBeGreaterThan(0);
    expect(new Set(plainSeen)).toEqual(new Set(['(none)']));

    // Rotation: the proxy accepts only the new token, and the file now holds it.
    accepted = 'token-two';
    writeFileSync(tokenFile, 'token-two\n');
    await vi.waitFor(() => expect(seen).toContain('Bearer token-two'), poll);
    const rotatedAt = seen.lastIndexOf('Bearer token-two');
    await vi.waitFor(async () => {
      expect(seen.length).toBeGreaterThan(rotatedAt + 1);
      expect(await metricsCondition('orders')).toMatchObject({ status: 'True', reason: 'Observed' });
    }, poll);

    // A token the proxy refuses: a classified reason, the HTTP status, none of the answer.
    accepted = 'token-three';
    const refused = await vi.waitFor(async () => {
      const r = await recommendation(namespace, 'service-orders');
      expect(condition(r?.status, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'PrometheusUnauthorized' });
      return r!;
    }, poll);
    // Which query is refused first depends on what the reader had cached: the detection query, or a signal's range query
    // (then named, with the others counted).
    expect(condition(refused.status, 'MetricsAvailable')?.message).toMatch(
      /^(\w+: )?Prometheus answered HTTP 401 to \/api\/v1\/[a-z_/]+( \(and \d+ more failed quer(y|ies)\))? \(profile knative, window 2h, https:\/\/127\.0\.0\.1:\d+\/prometheus\)$/,
    );
    expect(JSON.stringify(refused.status)).not.toContain('secret-tenant-42');
    expect(JSON.stringify(refused.status)).not.toContain('token-');
  });

  it('refuses the private certificate without the CA bundle, and says so by its code', async () => {
    const other = await uniqueNamespace('ctl-prom-noca');
    await create(service(other, 'orders'));
    await create(tuningPolicy(other, 'authenticated', { mode: 'Recommend', metrics: { prometheusUrl: proxy.url, profile: 'knative', window: '2h' } }));
    accepted = 'token-two';
    writeFileSync(tokenFile, 'token-two\n');
    await startTestController(other, { now: shiftedNow, metricsIntervalMs: 1_000, prometheusAccess: { url: proxy.url, bearerTokenFile: tokenFile } });
    await vi.waitFor(async () => {
      const c = condition((await recommendation(other, 'service-orders'))?.status, 'MetricsAvailable');
      expect(c).toMatchObject({ status: 'False', reason: 'PrometheusUnreachable' });
      expect(c?.message).toMatch(/is unreachable \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
    }, poll);
  });

  it('an unreadable token file: MetricsAvailable False with reason PrometheusCredentialsUnreadable, the path in the log only', async () => {
    const other = await uniqueNamespace('ctl-prom-notoken');
    await create(service(other, 'orders'));
    await create(tuningPolicy(other, 'authenticated', { mode: 'Recommend', metrics: { prometheusUrl: proxy.url, profile: 'knative', window: '2h' } }));
    const missing = join(work, 'no-such-token');
    await startTestController(other, { now: shiftedNow, metricsIntervalMs: 1_000, prometheusAccess: { url: proxy.url, bearerTokenFile: missing, caFile } });
    const r = await vi.waitFor(async () => {
      const rec = await recommendation(other, 'service-orders');
      expect(condition(rec?.status, 'MetricsAvailable')).toMatchObject({ status: 'False', reason: 'PrometheusCredentialsUnreadable' });
      return rec!;
    }, poll);
    expect(condition(r.status, 'MetricsAvailable')?.message).toContain(`the controller's credentials for ${proxy.url} could not be read`);
    expect(JSON.stringify(r.status)).not.toContain(missing);
  });
});
