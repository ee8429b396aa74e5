/**
 * @module A Procfile (`web: gunicorn ...`): the command buildpacks run when the image has no other.
 * Only the `web` process type serves requests on Cloud Run; other types are ignored.
 */
import type { Evidence } from '../model/evidence.ts';
import type { InputError } from '../model/finding.ts';

const PROCESS_LINE = /^([A-Za-z0-9_-]+)\s*:\s*(.*)$/;

/** parseProcfile returns the `web:` command (the last one wins) and errors for lines that are not `type: command`. */
export function parseProcfile(file: string, text: string): { web?: { command: string; evidence: Evidence }; errors: InputError[] } {
  const errors: InputError[] = [];
  let web: { command: string; evidence: Evidence } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = PROCESS_LINE.exec(line);
    if (match === null) {
      errors.push({ file, line: i + 1, message: `not a "type: command" line: ${line}` });
      return;
    }
    if (match[1] !== 'web') return;
    const command = (match[2] as string).trim();
    if (command === '') {
      errors.push({ file, line: i + 1, field: 'web', message: 'web process has no command' });
      return;
    }
    web = { command, evidence: { source: 'Procfile', file, line: i + 1, field: 'web', text: line } };
  });
  return web === undefined ? { errors } : { web, errors };
}
