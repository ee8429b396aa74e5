/**
 * @module Source edits (Dockerfile, Procfile, gunicorn.conf.py) as a unified diff with zero context lines,
 * the form `git apply --unidiff-zero` and `patch` accept. pytuner holds only the edited lines, not whole
 * files, so it cannot write context; each hunk names its exact line instead.
 */
import type { SourceEdit } from '../model/finding.ts';

/**
 * One diff for many edits: files in first-seen order, hunks by line within a file. Paths are written as
 * given (no `a/`, `b/` prefixes), so apply with `-p0`. Later hunks' new-file line numbers account for
 * earlier hunks that changed the line count. Edits must not overlap (the caller removes conflicts).
 */
export function unifiedDiff(edits: readonly SourceEdit[]): string {
  const byFile = new Map<string, SourceEdit[]>();
  for (const edit of edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  const out: string[] = [];
  for (const [file, fileEdits] of byFile) {
    out.push(`--- ${file}`, `+++ ${file}`);
    let shift = 0;
    for (const edit of [...fileEdits].sort((a, b) => a.line - b.line)) {
      const before = splitLines(edit.before);
      const after = splitLines(edit.after);
      out.push(`@@ -${range(edit.line, before.length)} +${range(edit.line + shift, after.length)} @@`);
      out.push(...before.map((line) => `-${line}`), ...after.map((line) => `+${line}`));
      shift += after.length - before.length;
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Lines an edit spans in the original file (for overlap checks). */
export function editLineCount(edit: SourceEdit): number {
  return splitLines(edit.before).length;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

/** A unified-diff range: `start,count`; an empty side is written as the line before it with count 0. */
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}
