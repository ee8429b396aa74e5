import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EMPTY_REPORT, FIXTURE_REPORT } from '../../test/golden/report-fixture.ts';
import { formatTable } from './table.ts';
import { analyse } from '../report.ts';
import { sourcesOnly } from '../../test/support/inputs.ts';

describe('table format', () => {
  it('says plainly when there is nothing to report', () => {
    expect(formatTable(EMPTY_REPORT)).toBe('No findings.\n\nRead 1 file: 1 object, 1 workload.\n0 findings (0 critical, 0 warning, 0 info), 0 input errors.\n');
  });

  it('keeps every line within the width, for wide and narrow terminals', () => {
    for (const width of [200, 120, 80]) {
      const long = formatTable(FIXTURE_REPORT, { width })
        .split('\n')
        .filter((line) => line.length > width);
      expect(long).toEqual([]);
    }
  });

  it('puts the message in a fourth column when the first three leave it 40 columns', () => {
    const lines = formatTable(FIXTURE_REPORT, { width: 200 }).split('\n');
    expect(lines[0]).toBe(`SEVERITY  ${'RULE'.padEnd(38)}  ${'TARGET'.padEnd(39)}  MESSAGE`);
    expect(lines.find((line) => line.startsWith('critical'))?.startsWith('critical  concurrency-exceeds-capacity            Service 123456789/api[app]               containerConcurrency 80')).toBe(true);
  });

  it('groups findings under the file of their target, critical first within a file', () => {
    const rows = formatTable(FIXTURE_REPORT)
      .split('\n')
      .filter((line) => /^(critical|warning|info) |^examples\//.test(line))
      .map((line) => line.split(/\s+/).slice(0, 2).join(' '));
    expect(rows).toEqual([
      'examples/cloudrun/Dockerfile (1',
      'warning gunicorn-timeout-below-request-timeout',
      'examples/cloudrun/service.yaml (4',
      'critical concurrency-exceeds-capacity',
      'warning startup-probe-timeout',
      'warning threads-below-cpu',
      'info profiler-role-missing',
      'examples/gke/deployment.yaml (1',
      'critical sync-worker-no-threads',
    ]);
  });

  it('colours only when asked, and colour changes nothing but escape codes', () => {
    const plain = formatTable(FIXTURE_REPORT, { width: 80 });
    const coloured = formatTable(FIXTURE_REPORT, { width: 80, color: true });
    expect(plain).not.toContain('\u001b[');
    expect(coloured).toContain('\u001b[31m\u001b[1mcritical');
    expect(stripVTControlCharacters(coloured)).toBe(plain);
  });

  it('shows input errors with file:line, object and field', () => {
    expect(formatTable(FIXTURE_REPORT, { width: 200 })).toContain(
      'Input errors (these files or objects were not analysed):\n  examples/broken.yaml:7: bad indentation of a mapping entry\n  examples/gke/deployment.yaml:31: Deployment shop/cart, spec.template.spec.containers[0].resources.limits.cpu: not a Kubernetes quantity: "two"\n',
    );
  });
});

describe('summary of sources checked on their own', () => {
  it('names a Procfile with no Dockerfile a Procfile, not a Dockerfile', () => {
    const report = analyse(
      sourcesOnly({ kind: 'Procfile', file: 'web/Procfile', text: 'web: python app.py\n' }, { kind: 'Dockerfile', file: 'api/Dockerfile', text: 'FROM python:3.12-slim\nCMD ["python", "app.py"]\n' }),
    );
    expect(report.summary).toMatchObject({ images: 2, procfiles: 1 });
    expect(formatTable(report).split('\n')).toContain('Read 2 files: 0 objects, 0 workloads, 1 standalone Dockerfile, 1 standalone Procfile.');
  });
});
