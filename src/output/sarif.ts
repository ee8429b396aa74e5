/**
 * @module The `sarif` format: SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, VS Code SARIF viewer).
 * One run; `tool.driver.rules` lists every registered rule; each finding is a result located at the
 * manifest document that defines its target; input errors are tool execution notifications.
 * @see https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 */
import { pathToFileURL } from 'node:url';
import type { Evidence } from '../model/evidence.ts';
import type { Finding, InputError, Severity } from '../model/finding.ts';
import type { Report } from '../report.ts';
import type { Rule } from '../rules/types.ts';
import { compareCodeUnits, errorText, targetLabel } from './describe.ts';

/** Rule metadata the formats show: the Rule contract without `check`. */
export type RuleInfo = Pick<Rule, 'id' | 'severity' | 'summary'>;

/** Options of the SARIF format. */
export interface SarifOptions {
  /** pytuner's version (package.json), for `tool.driver.version`. Defaults to `0.0.0`. */
  toolVersion?: string;
  /** The registered rules, for `tool.driver.rules`. Rules that appear only in findings are added with their id. */
  rules?: readonly RuleInfo[];
  /**
   * Base URL of the rule docs (e.g. `https://github.com/org/pytuner/blob/v0.1.0/docs/rules/`); `helpUri` is
   * `<base><id>.md`. SARIF requires `helpUri` to be absolute, so without a base the rule gets a `help`
   * text pointing at `pytuner explain <id>` and `docs/rules/<id>.md` instead.
   */
  docsBaseUrl?: string;
}

/** SARIF's three result levels used here. */
type Level = 'error' | 'warning' | 'note';

const LEVELS: Record<Severity, Level> = { critical: 'error', warning: 'warning', info: 'note' };

/** Key of `partialFingerprints`: versioned, so a change of the fingerprint's recipe does not reuse the old name. */
export const FINGERPRINT_KEY = 'pytunerTarget/v1';

/** Renders a report as a SARIF 2.1.0 log (2-space JSON, trailing newline). */
export function formatSarif(report: Report, options: SarifOptions = {}): string {
  const rules = driverRules(report.findings, options.rules ?? []);
  const ruleIndex = new Map(rules.map((rule, i) => [rule.id, i]));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pytuner',
            version: options.toolVersion ?? '0.0.0',
            rules: rules.map((rule) => ruleDescriptor(rule, options.docsBaseUrl)),
          },
        },
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map(notification),
          },
        ],
        results: report.findings.map((finding) => result(finding, ruleIndex.get(finding.rule) ?? 0)),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** The registered rules sorted by id, plus any rule id found only in findings (so every result has a descriptor). */
function driverRules(findings: readonly Finding[], registered: readonly RuleInfo[]): RuleInfo[] {
  const byId = new Map(registered.map((rule) => [rule.id, rule]));
  for (const finding of findings) {
    if (!byId.has(finding.rule)) byId.set(finding.rule, { id: finding.rule, severity: finding.severity, summary: finding.rule });
  }
  return [...byId.values()].sort((a, b) => compareCodeUnits(a.id, b.id));
}

function ruleDescriptor(rule: RuleInfo, docsBaseUrl: string | undefined) {
  const docs = docsBaseUrl === undefined ? { help: { text: `Run \`pytuner explain ${rule.id}\` or read docs/rules/${rule.id}.md.` } } : { helpUri: `${docsBaseUrl}${rule.id}.md` };
  return {
    id: rule.id,
    shortDescription: { text: rule.summary },
    ...docs,
    defaultConfiguration: { level: LEVELS[rule.severity] },
  };
}

function result(finding: Finding, ruleIndex: number) {
  const related = finding.evidence.flatMap((evidence, i) => relatedLocation(evidence, i));
  return {
    ruleId: finding.rule,
    ruleIndex,
    level: LEVELS[finding.severity],
    message: { text: finding.message },
    locations: [targetLocation(finding)],
    ...(related.length > 0 ? { relatedLocations: related } : {}),
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(finding) },
    properties: {
      severity: finding.severity,
      current: finding.current,
      recommended: finding.recommended,
    },
  };
}

/** Rule + target identity, without file or line: stays the same when the manifest moves or gains lines above it. */
export function fingerprint(finding: Finding): string {
  const t = finding.target;
  return [finding.rule, t.apiVersion ?? '', t.kind, t.namespace ?? '', t.name, t.container ?? ''].join('|');
}

/**
 * The result's location: the target's file, at the first evidence line in that file (the field that is wrong,
 * where a code-scanning annotation helps most), else at the line where the object starts.
 */
function targetLocation(finding: Finding) {
  const { target } = finding;
  const line = finding.evidence.find((e) => e.file === target.file && e.line !== undefined)?.line ?? target.line;
  return {
    ...physicalLocation(target.file, line),
    logicalLocations: [{ fullyQualifiedName: targetLabel(target), kind: 'object' }],
  };
}

function relatedLocation(evidence: Evidence, id: number) {
  if (evidence.file === undefined || evidence.file === '-') return [];
  const text = evidence.text === undefined ? evidence.field : `${evidence.field}: ${evidence.text}`;
  return [{ id, ...physicalLocation(evidence.file, evidence.line), message: { text } }];
}

function notification(error: InputError) {
  const location = physicalLocation(error.file, error.line);
  return {
    level: 'error',
    message: { text: errorText(error) },
    ...(location.physicalLocation === undefined ? {} : { locations: [location] }),
  };
}

/** A physicalLocation for a file and line; none for stdin (`-`), which has no address a viewer could open. */
function physicalLocation(file: string | undefined, line: number | undefined): { physicalLocation?: object } {
  if (file === undefined || file === '-') return {};
  const region = line === undefined ? {} : { region: { startLine: line } };
  return { physicalLocation: { artifactLocation: artifactLocation(file), ...region } };
}

/**
 * A relative path becomes a relative URI reference against `%SRCROOT%` (the directory pytuner ran in, which in CI
 * is the checkout), with `/` separators and percent-encoding; an absolute path becomes a `file://` URI.
 */
export function artifactLocation(file: string): { uri: string; uriBaseId?: string } {
  const slashed = file.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:\//.test(slashed)) return { uri: pathToFileURL(file).href };
  const relative = slashed.replace(/^(\.\/)+/, '');
  return { uri: encodeURI(relative).replace(/[?#]/g, (c) => encodeURIComponent(c)), uriBaseId: '%SRCROOT%' };
}
