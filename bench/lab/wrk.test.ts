import { describe, expect, it } from 'vitest';
import { WRK_REPORT_LUA, parseWrkReport } from './wrk.ts';

const OUTPUT = `Running 2s test @ http://127.0.0.1:8080/work?cpu=30&io=0
  1 threads and 2 connections
  63 requests in 2.00s, 9.97KB read
Requests/sec:     31.45
LAB requests 63
LAB duration_us 2004278
LAB errors 0 1 0 2 3
LAB latency 31099 2
LAB latency 30715 60
LAB latency 36040 1
`;

describe('parseWrkReport', () => {
  it('reads the summary, the errors and the latency record in seconds, ascending', () => {
    expect(parseWrkReport(OUTPUT)).toEqual({
      requests: 63,
      durationSeconds: 2.004278,
      errors: { connect: 0, read: 1, write: 0, status: 2, timeout: 3 },
      latencies: [
        { seconds: 0.030715, count: 60 },
        { seconds: 0.031099, count: 2 },
        { seconds: 0.03604, count: 1 },
      ],
    });
  });

  it('fails when wrk printed no LAB summary', () => {
    expect(() => parseWrkReport('unable to connect to 127.0.0.1:1 Connection refused\n')).toThrow('wrk printed no LAB summary');
  });

  it('fails on a value that is not a number', () => {
    expect(() => parseWrkReport('LAB requests 1\nLAB duration_us 5\nLAB errors 0 0 0 0 0\nLAB latency x 1\n')).toThrow('not a number');
  });
});

describe('WRK_REPORT_LUA', () => {
  it('prints every LAB line the parser reads, from done()', () => {
    expect(WRK_REPORT_LUA).toContain('done = function(summary, latency, requests)');
    for (const key of ['requests', 'duration_us', 'errors', 'latency']) expect(WRK_REPORT_LUA).toContain(`"LAB ${key} `);
  });
});
