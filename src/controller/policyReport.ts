/**
 * @module The controller's findings as a policy report, one per namespace, in the shape Policy Reporter and other
 * report readers know: `wgpolicyk8s.io/v1alpha2` PolicyReport (the Kubernetes Policy WG's API, written by Kyverno,
 * Trivy Operator, kube-bench adapters) or its successor `openreports.io/v1alpha1` Report. Pure: the writer
 * (policyReportWriter.ts) applies what this builds.
 * @see https://github.com/kubernetes-sigs/wg-policy-prototypes/tree/master/policy-report
 * @see https://github.com/openreports/reports-api
 */
import type { ReportApi } from '../config/controller.ts';
import type { Finding, Severity, Values } from '../model/finding.ts';

/** Group, version, kind and plural of each report API. */
export const REPORT_RESOURCES: Readonly<Record<ReportApi, { group: string; version: string; kind: string; plural: string }>> = {
  wgpolicyk8s: { group: 'wgpolicyk8s.io', version: 'v1alpha2', kind: 'PolicyReport', plural: 'policyreports' },
  openreports: { group: 'openreports.io', version: 'v1alpha1', kind: 'Report', plural: 'reports' },
};

/** The `source` of every result, and the name of the report in each namespace. */
export const REPORT_SOURCE = 'pytuner';
/** The label that marks the reports pytuner writes (and finds again after a restart). */
export const REPORT_LABEL = { key: 'app.kubernetes.io/managed-by', value: 'pytuner' } as const;

/** The workload a result is about, as the report's `resources[]` entry (a core/v1 ObjectReference). */
export interface ReportResource {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

/** One workload's current findings. */
export interface WorkloadFindings {
  resource: ReportResource;
  findings: readonly Finding[];
}

type ResultValue = 'pass' | 'warn' | 'fail';
type ReportSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/**
 * pytuner's severity as a report result and severity: a critical finding (the service misbehaves under load) fails,
 * a warning warns, and an info finding (a note, nothing to fix) passes, so a report reader's fail count is what needs
 * doing. `critical` is kept for security scanners' meaning of the word: pytuner's worst is `high`.
 */
const BY_SEVERITY: Readonly<Record<Severity, { result: ResultValue; severity: ReportSeverity }>> = {
  critical: { result: 'fail', severity: 'high' },
  warning: { result: 'warn', severity: 'medium' },
  info: { result: 'pass', severity: 'info' },
};

/** One entry of `results[]`, without its timestamp. */
export interface ReportResult {
  source: string;
  policy: string;
  category: string;
  result: ResultValue;
  severity: ReportSeverity;
  scored: boolean;
  message: string;
  resources: ReportResource[];
  properties: Record<string, string>;
}

/** `{seconds, nanos}`, as the report APIs' results carry it. */
export interface ReportTimestamp {
  seconds: number;
  nanos: number;
}

/** A policy report object, ready to be server-side applied. */
export interface ReportObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  source?: string;
  summary: Record<ResultValue | 'error' | 'skip', number>;
  results: (ReportResult & { timestamp: ReportTimestamp })[];
}

/** Report properties are strings; a value is written as it reads in a manifest. */
function propertyText(value: Values[string]): string {
  return value === null ? 'null' : String(value);
}

/** What a finding says, as a report result (properties: the current and recommended values, the container, confidence). */
export function resultOf(resource: ReportResource, finding: Finding): ReportResult {
  const properties: Record<string, string> = {};
  if (finding.target.container !== undefined) properties['container'] = finding.target.container;
  for (const [setting, value] of Object.entries(finding.current)) properties[`current.${setting}`] = propertyText(value);
  for (const [setting, value] of Object.entries(finding.recommended)) properties[`recommended.${setting}`] = propertyText(value);
  if (finding.confidence !== undefined) properties['confidence'] = finding.confidence;
  const { result, severity } = BY_SEVERITY[finding.severity];
  const dot = finding.rule.indexOf('.');
  return {
    source: REPORT_SOURCE,
    policy: finding.rule,
    category: dot > 0 ? finding.rule.slice(0, dot) : finding.rule,
    result,
    severity,
    scored: true,
    message: finding.message,
    resources: [{ ...resource }],
    properties,
  };
}

/** The results of a namespace's workloads, in a stable order (workload, then rule, then message). */
export function namespaceResults(workloads: Iterable<WorkloadFindings>): ReportResult[] {
  const results: ReportResult[] = [];
  for (const workload of workloads) for (const finding of workload.findings) results.push(resultOf(workload.resource, finding));
  const key = (r: ReportResult): string => `${r.resources[0]!.kind}/${r.resources[0]!.name}\u0000${r.policy}\u0000${r.message}`;
  return results.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * JSON with object keys sorted, so that a report read back from the API server (which stores keys in its own order)
 * compares equal to the one built here.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** A result's identity for its timestamp: the same result keeps the time it first appeared. */
export function resultFingerprint(result: ReportResult): string {
  return canonicalJson(result);
}

/**
 * The report object for one namespace. `stampOf` gives each result's timestamp (the writer keeps the time a result
 * first appeared, so a report whose findings did not change is the same object and is not written again).
 */
export function reportObject(api: ReportApi, namespace: string, results: readonly ReportResult[], stampOf: (result: ReportResult) => ReportTimestamp): ReportObject {
  const { group, version, kind } = REPORT_RESOURCES[api];
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) summary[r.result]++;
  const object: ReportObject = {
    apiVersion: `${group}/${version}`,
    kind,
    metadata: { name: REPORT_SOURCE, namespace, labels: { [REPORT_LABEL.key]: REPORT_LABEL.value } },
    summary,
    results: results.map((r) => ({ ...r, timestamp: stampOf(r) })),
  };
  // OpenReports names the tool once for the report as well as per result.
  if (api === 'openreports') object.source = REPORT_SOURCE;
  return object;
}
