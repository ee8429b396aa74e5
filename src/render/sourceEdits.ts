/**
 * @module Line edits of a Dockerfile, Procfile or gunicorn.conf.py applied to its text, for `pytuner report --fix`.
 * An edit names the line(s) it read (`before`, several lines for a Dockerfile instruction continued with `\`); it is
 * applied only where those lines still read so, else skipped with the reason. Other bytes, line ends (CRLF) and a
 * missing final newline stay as they were. Pure.
 */
import type { SourceEdit } from '../model/finding.ts';

export interface SourceEditsOutcome {
  text: string;
  applied: SourceEdit[];
  skipped: { edit: SourceEdit; reason: string }[];
}

/** Applies non-overlapping `edits` (line numbers of `text` as read) to `text`. */
export function applySourceEdits(text: string, edits: readonly SourceEdit[]): SourceEditsOutcome {
  const lines = text.split(/(?<=\n)/);
  const applied: SourceEdit[] = [];
  const skipped: { edit: SourceEdit; reason: string }[] = [];
  // Bottom-up, so an edit that changes the number of lines leaves the line numbers of the others valid.
  for (const edit of [...edits].sort((a, b) => b.line - a.line)) {
    const count = edit.before.split('\n').length;
    const from = edit.line - 1;
    const current = lines.slice(from, from + count);
    if (edit.line < 1 || current.length < count) {
      skipped.push({ edit, reason: `line ${edit.line} is past the end of the file` });
      continue;
    }
    const bodies = current.map(withoutEol);
    const eol = /\r\n$/.test(current[0] as string) ? '\r\n' : '\n';
    const lastEol = (current.at(-1) as string).slice(withoutEol(current.at(-1) as string).length);
    let replacement: string;
    if (bodies.join('\n') === edit.before) {
      replacement = edit.after.split('\n').join(eol);
    } else if (count === 1 && (bodies[0] as string).trim() === edit.before.trim()) {
      // Procfile lines are read trimmed: keep the line's own indentation and trailing blanks.
      const body = bodies[0] as string;
      const lead = body.slice(0, body.length - body.trimStart().length);
      const trail = body.slice(body.trimEnd().length);
      replacement = `${lead}${edit.after.trim()}${trail}`;
    } else {
      skipped.push({ edit, reason: `line ${edit.line} no longer reads ${JSON.stringify(edit.before)}` });
      continue;
    }
    lines.splice(from, count, `${replacement}${lastEol}`);
    applied.push(edit);
  }
  return { text: lines.join(''), applied: applied.reverse(), skipped: skipped.reverse() };
}

function withoutEol(line: string): string {
  return line.replace(/\r?\n$/, '');
}
