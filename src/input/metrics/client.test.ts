import { describe, expect, it } from 'vitest';
import { PrometheusError, decodeBody, sampleValue } from './client.ts';

describe('sampleValue', () => {
  it.each([
    ['1.5', 1.5],
    ['0', 0],
    ['-2', -2],
    ['1e3', 1000],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
  ])('reads %j as %d', (text, value) => {
    expect(sampleValue('/api/v1/query', text)).toBe(value);
  });

  it('reads NaN as NaN', () => {
    expect(sampleValue('/api/v1/query', 'NaN')).toBeNaN();
  });

  it.each(['', 'abc', ' '])('rejects %j as a bad response', (text) => {
    expect(() => sampleValue('/api/v1/query', text)).toThrow(PrometheusError);
    try {
      sampleValue('/api/v1/query', text);
    } catch (error) {
      expect((error as PrometheusError).kind).toBe('bad-response');
    }
  });
});

describe('decodeBody', () => {
  const failure = (status: number, text: string): PrometheusError => {
    try {
      decodeBody('/api/v1/query_range', status, text);
    } catch (error) {
      if (error instanceof PrometheusError) return error;
    }
    throw new Error('no PrometheusError');
  };

  it('returns the JSON of a 2xx answer', () => {
    expect(decodeBody('/api/v1/query', 200, '{"status":"success","data":{}}')).toEqual({ status: 'success', data: {} });
  });

  it("names the status and Prometheus' own error text on an HTTP error", () => {
    const error = failure(422, '{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}');
    expect(error.kind).toBe('http');
    expect(error.status).toBe(422);
    expect(error.message).toBe('Prometheus answered HTTP 422 to /api/v1/query_range: many-to-many matching not allowed (execution)');
  });

  it('quotes the start of a non-JSON error body', () => {
    const error = failure(502, '<html><body>Bad gateway</body></html>');
    expect(error.message).toBe('Prometheus answered HTTP 502 to /api/v1/query_range: "<html><body>Bad gateway</body></html>"');
  });

  it('reports a 200 that is not JSON as a bad response', () => {
    const error = failure(200, '{"status":"succ');
    expect(error.kind).toBe('bad-response');
    expect(error.message).toMatch(/^Prometheus sent an answer to \/api\/v1\/query_range that pytuner cannot read: the body is not JSON \(.+\): "\{\\"status\\":\\"succ"$/);
  });
});
