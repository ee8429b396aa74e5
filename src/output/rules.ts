/**
 * @module `pytuner rules`: the registered rules as a table or as JSON. Pure.
 */
import type { RuleInfo } from './sarif.ts';

/** `pytuner rules -o json`: versioned like the report, so the list can grow fields. */
export interface RuleListDocument {
  version: 1;
  rules: { id: string; severity: RuleInfo['severity']; summary: string; docs: string }[];
}

/** The rules in registry order as aligned columns ID, SEVERITY, SUMMARY (the summary is never cut). */
export function formatRuleTable(rules: readonly RuleInfo[]): string {
  const idWidth = Math.max(2, ...rules.map((r) => r.id.length));
  const severityWidth = Math.max('SEVERITY'.length, ...rules.map((r) => r.severity.length));
  const line = (id: string, severity: string, summary: string) => `${id.padEnd(idWidth)}  ${severity.padEnd(severityWidth)}  ${summary}`;
  return `${[line('ID', 'SEVERITY', 'SUMMARY'), ...rules.map((r) => line(r.id, r.severity, r.summary))].join('\n')}\n`;
}

/** The rules as JSON, each with the path of its doc page. */
export function formatRuleJson(rules: readonly RuleInfo[]): string {
  const doc: RuleListDocument = {
    version: 1,
    rules: rules.map((r) => ({ id: r.id, severity: r.severity, summary: r.summary, docs: `docs/rules/${r.id}.md` })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Rule ids close to a mistyped one, best first: ids containing it (or contained in it), then ids within an edit
 * distance of a third of its length (at least 2). At most five.
 */
export function closeMatches(input: string, ids: readonly string[]): string[] {
  const wanted = input.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return ids
    .map((id) => ({ id, score: id.includes(wanted) || wanted.includes(id) ? 0 : editDistance(wanted, id) }))
    .filter((m) => m.score <= limit)
    .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : 1))
    .slice(0, 5)
    .map((m) => m.id);
}

/** Levenshtein distance (insert, delete, substitute), two rows of the usual table. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
