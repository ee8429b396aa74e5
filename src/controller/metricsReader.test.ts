import { describe, expect, it } from 'vitest';
import { PrometheusError } from '../input/metrics/client.ts';
import { accessCovers, classifiedFailure } from './metricsReader.ts';

const URL = 'http://10.0.0.7:8080';

describe('classifiedFailure', () => {
  it('keeps the kind, HTTP status and endpoint, never the answer (read-back SSRF through status)', () => {
    const http = classifiedFailure(new PrometheusError('http', '/api/v1/query_range', 'Prometheus answered HTTP 403 to /api/v1/query_range: {"secret":"s3cr3t"}', 403), URL);
    expect(http).toMatchObject({ kind: 'http', status: 403, endpoint: '/api/v1/query_range', message: 'Prometheus answered HTTP 403 to /api/v1/query_range' });
    const errorJson = classifiedFailure(new PrometheusError('http', '/api/v1/query', 'Prometheus answered /api/v1/query with an error: internal token abc', 200), URL);
    expect(errorJson.message).toBe('Prometheus answered /api/v1/query with an error');
    const bad = classifiedFailure(new PrometheusError('bad-response', '/api/v1/label/__name__/values', 'Prometheus sent an answer to /api/v1/label/__name__/values that pytuner cannot read: the body is not JSON (x): "<html>a login page</html>"'), URL);
    expect(bad.message).toBe('Prometheus sent an answer to /api/v1/label/__name__/values that pytuner cannot read');
    const timeout = classifiedFailure(new PrometheusError('timeout', '/api/v1/query', 'Prometheus did not answer /api/v1/query within 0.5 s'), URL);
    expect(timeout.message).toBe('Prometheus did not answer /api/v1/query in time');
  });

  it('names a transport error by its code only, not by the hosts and ports in its text', () => {
    const refused = classifiedFailure(new PrometheusError('unreachable', '/api/v1/query', `Prometheus at ${URL} is unreachable: connect ECONNREFUSED 10.0.0.7:8080`), URL);
    expect(refused.message).toBe(`Prometheus at ${URL} is unreachable (ECONNREFUSED)`);
    const tls = classifiedFailure(new PrometheusError('unreachable', '/api/v1/query', `Prometheus at ${URL} is unreachable: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`), URL);
    expect(tls.message).toBe(`Prometheus at ${URL} is unreachable (DEPTH_ZERO_SELF_SIGNED_CERT)`);
    const other = classifiedFailure(new PrometheusError('unreachable', '/api/v1/query', `Prometheus at ${URL} is unreachable: getaddrinfo failed for internal-db.corp`), URL);
    expect(other.message).toBe(`Prometheus at ${URL} is unreachable`);
  });
});

describe('accessCovers', () => {
  const GMP = 'https://monitoring.googleapis.com/v1/projects/shop/location/global/prometheus';
  it('sends the credentials to the URL they were given for and to paths under it', () => {
    expect(accessCovers(GMP, GMP)).toBe(true);
    expect(accessCovers(GMP, `${GMP}/`)).toBe(true);
    expect(accessCovers(`${GMP}/`, GMP)).toBe(true);
    expect(accessCovers('https://prometheus.monitoring:9090', 'https://prometheus.monitoring:9090/prom')).toBe(true);
  });
  it('never to another host, port, scheme or sibling path, nor to a URL carrying its own user info', () => {
    expect(accessCovers(GMP, GMP.replace('/shop/', '/other/'))).toBe(false);
    expect(accessCovers(GMP, `${GMP}-evil`)).toBe(false);
    expect(accessCovers(GMP, GMP.replace('https:', 'http:'))).toBe(false);
    expect(accessCovers('https://prometheus.monitoring:9090', 'https://prometheus.monitoring:9091')).toBe(false);
    expect(accessCovers('https://prometheus.monitoring:9090', 'https://prometheus.monitoring.evil.example:9090')).toBe(false);
    expect(accessCovers('https://prometheus.monitoring:9090', 'https://x@prometheus.monitoring:9090')).toBe(false);
  });
});
