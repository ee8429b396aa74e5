/**
 * @module The Rule contract. A rule is a pure function from the inventory to findings, with a stable id,
 * a default severity and a doc page at `docs/rules/<id>.md`. Rules are listed explicitly in `rules/index.ts`.
 */
import type { Finding, Severity } from '../model/finding.ts';
import type { Inventory } from '../model/workload.ts';

/** Rule ids are stable API: reports, `--fail-on`, SARIF and policies refer to them. */
export interface Rule {
  id: string;
  /** The highest severity this rule can report (findings may be lower). */
  severity: Severity;
  /** One line for `pytuner rules`. */
  summary: string;
  check(inventory: Inventory): Finding[];
}
