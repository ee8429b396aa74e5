import { describe, expect, it } from 'vitest';
import { labObjective } from './objective.ts';

/** Knative 1.23's whole-request histogram bounds (seconds) around typical latencies. */
const WHOLE_REQUEST = { metric: 'http_server_request_duration_seconds', boundsSeconds: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] };

describe('labObjective', () => {
  it('without a histogram (emulated and Cloud Run paths): 1.5 × the one-request p95, exactly', () => {
    expect(labObjective(0.045)).toEqual({ seconds: 0.0675, why: '1.5 × the one-request p95 45 ms = 68 ms' });
  });

  it("on the Knative path: rounded up to the next bound of the whole-request histogram, saying which and why", () => {
    const objective = labObjective(0.045, WHOLE_REQUEST);
    expect(objective.seconds).toBe(0.075);
    expect(objective.why).toBe(
      '1.5 × the one-request p95 45 ms = 68 ms, rounded up to the bound 75 ms of http_server_request_duration_seconds (inside its 50 ms–75 ms bucket a p95 is interpolated and cannot be checked; http_server_request_duration_seconds bounds 5 ms, 10 ms, 25 ms, 50 ms, 75 ms, 100 ms, 250 ms, 500 ms, 750 ms, 1 s, 2.5 s, 5 s, 7.5 s, 10 s)',
    );
    expect(labObjective(0.034, WHOLE_REQUEST).seconds).toBe(0.075); // 51 ms → 75 ms
    expect(labObjective(0.054, WHOLE_REQUEST).seconds).toBe(0.1); // 81 ms → 100 ms
  });

  it('reads the bounds in any order and keeps an objective already on a bound', () => {
    const objective = labObjective(0.05, { metric: 'h', boundsSeconds: [0.1, 0.075, 0.05] });
    expect(objective).toEqual({ seconds: 0.075, why: '1.5 × the one-request p95 50 ms = 75 ms, a bucket bound of h' });
  });

  it('below the first bound rounds up to it; above the last finite bound keeps 1.5 × and says so', () => {
    expect(labObjective(0.002, WHOLE_REQUEST).seconds).toBe(0.005);
    const above = labObjective(8, WHOLE_REQUEST);
    expect(above.seconds).toBe(12);
    expect(above.why).toMatch(/^1\.5 × the one-request p95 8 s = 12 s, above the last finite bound of http_server_request_duration_seconds bounds .*: kept$/);
  });
});
