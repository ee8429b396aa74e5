import { describe, expect, it } from 'vitest';
import { FIXTURE_REPORT, FIXTURE_RULES } from '../../test/golden/report-fixture.ts';
import { artifactLocation, FINGERPRINT_KEY, formatSarif } from './sarif.ts';

// No SARIF validator is installed, so these check the properties SARIF 2.1.0 requires (§3.13 sarifLog,
// §3.14 run, §3.18 tool, §3.27 result, §3.49 reportingDescriptor, §3.58 notification) and those GitHub reads.
const log = JSON.parse(formatSarif(FIXTURE_REPORT, { toolVersion: '0.1.0', rules: FIXTURE_RULES }));
const run = log.runs[0];

describe('sarif format', () => {
  it('is a SARIF 2.1.0 log with one run by the pytuner driver', () => {
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver.name).toBe('pytuner');
    expect(run.tool.driver.version).toBe('0.1.0');
  });

  it('describes every registered rule, sorted by id, with a level and help', () => {
    const rules = run.tool.driver.rules;
    expect(rules.map((r: { id: string }) => r.id)).toEqual(FIXTURE_RULES.map((r) => r.id));
    for (const rule of rules) {
      expect(rule.shortDescription.text).not.toBe('');
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level);
      expect(rule.help.text).toBe(`Run \`pytuner explain ${rule.id}\` or read docs/rules/${rule.id}.md.`);
    }
  });

  it('points helpUri at the docs when a base URL is given', () => {
    const withBase = JSON.parse(formatSarif(FIXTURE_REPORT, { rules: FIXTURE_RULES, docsBaseUrl: 'https://example.com/docs/rules/' }));
    expect(withBase.runs[0].tool.driver.rules[0].helpUri).toBe('https://example.com/docs/rules/concurrency-exceeds-capacity.md');
    expect(withBase.runs[0].tool.driver.rules[0].help).toBeUndefined();
  });

  it('gives each result a rule, a level mapped from the severity, a message, a location and a fingerprint', () => {
    expect(run.results).toHaveLength(FIXTURE_REPORT.findings.length);
    const levels = run.results.map((r: { level: string }) => r.level);
    expect(levels).toEqual(['warning', 'error', 'note', 'warning', 'warning', 'error']);
    for (const result of run.results) {
      expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
      expect(result.message.text).not.toBe('');
      expect(result.locations[0].physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
      expect(typeof result.partialFingerprints[FINGERPRINT_KEY]).toBe('string');
    }
    const concurrency = run.results[1];
    expect(concurrency.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'examples/cloudrun/service.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 14 } });
    expect(concurrency.partialFingerprints[FINGERPRINT_KEY]).toBe('concurrency-exceeds-capacity|serving.knative.dev/v1|Service|123456789|api|app');
  });

  it('adds rules seen only in findings, so every result has a descriptor', () => {
    const bare = JSON.parse(formatSarif(FIXTURE_REPORT));
    expect(bare.runs[0].tool.driver.rules).toHaveLength(6);
    expect(bare.runs[0].tool.driver.version).toBe('0.0.0');
  });

  it('reports input errors as tool execution notifications and marks the run unsuccessful', () => {
    const invocation = run.invocations[0];
    expect(invocation.executionSuccessful).toBe(false);
    expect(invocation.toolExecutionNotifications).toHaveLength(2);
    expect(invocation.toolExecutionNotifications[0]).toEqual({
      level: 'error',
      message: { text: 'bad indentation of a mapping entry' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'examples/broken.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 7 } } }],
    });
  });

  it('turns paths into URIs: relative against %SRCROOT%, absolute as file://, stdin without a location', () => {
    expect(artifactLocation('./k8s/my service#1.yaml')).toEqual({ uri: 'k8s/my%20service%231.yaml', uriBaseId: '%SRCROOT%' });
    expect(artifactLocation('/repo/k8s/a.yaml')).toEqual({ uri: 'file:///repo/k8s/a.yaml' });
    const stdin = JSON.parse(formatSarif({ ...FIXTURE_REPORT, findings: [], errors: [{ file: '-', line: 2, message: 'bad' }] }));
    expect(stdin.runs[0].invocations[0].toolExecutionNotifications[0]).toEqual({ level: 'error', message: { text: 'bad' } });
  });
});
