import { describe, expect, it } from 'vitest';
import { FIXTURE_REPORT, FIXTURE_RULES } from '../../test/golden/report-fixture.ts';
import { FORMATTERS, planPatchFiles } from './index.ts';

const options = { color: false, width: 120, toolVersion: '0.1.0', rules: FIXTURE_RULES };

describe('golden output of the fixture report', () => {
  it('table', async () => {
    await expect(FORMATTERS.table(FIXTURE_REPORT, options)).toMatchFileSnapshot('../../test/golden/report.txt');
  });
  it('json', async () => {
    await expect(FORMATTERS.json(FIXTURE_REPORT, options)).toMatchFileSnapshot('../../test/golden/report.json');
  });
  it('markdown', async () => {
    await expect(FORMATTERS.markdown(FIXTURE_REPORT, options)).toMatchFileSnapshot('../../test/golden/report.md');
  });
  it('sarif', async () => {
    await expect(FORMATTERS.sarif(FIXTURE_REPORT, options)).toMatchFileSnapshot('../../test/golden/report.sarif');
  });
  it('emitted patch files, concatenated with their paths', async () => {
    const files = planPatchFiles(FIXTURE_REPORT).map((f) => `==> ${f.path} <==\n${f.content}`);
    await expect(files.join('\n')).toMatchFileSnapshot('../../test/golden/patches.txt');
  });
});
