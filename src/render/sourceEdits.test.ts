import { describe, expect, it } from 'vitest';
import { applySourceEdits } from './sourceEdits.ts';

describe('applySourceEdits', () => {
  it('replaces the lines an edit read, keeping CRLF and a missing final newline', () => {
    const text = 'FROM python:3.12\r\nCMD exec gunicorn \\\r\n    --workers 1 app:app';
    const outcome = applySourceEdits(text, [
      { file: 'Dockerfile', line: 1, before: 'FROM python:3.12', after: 'FROM python:3.12-slim' },
      { file: 'Dockerfile', line: 2, before: 'CMD exec gunicorn \\\n    --workers 1 app:app', after: 'CMD exec gunicorn \\\n    --workers 4 app:app' },
    ]);
    expect(outcome.text).toBe('FROM python:3.12-slim\r\nCMD exec gunicorn \\\r\n    --workers 4 app:app');
    expect(outcome.applied).toHaveLength(2);
    expect(outcome.skipped).toEqual([]);
  });

  it('matches a Procfile line read trimmed and keeps its indentation', () => {
    expect(applySourceEdits('  web: gunicorn -w 4 app  \n', [{ file: 'Procfile', line: 1, before: 'web: gunicorn -w 4 app', after: 'web: gunicorn -w 2 app' }]).text).toBe('  web: gunicorn -w 2 app  \n');
  });

  it('skips an edit whose line no longer reads as it did, and one past the end', () => {
    const edits = [
      { file: 'gunicorn.conf.py', line: 1, before: 'workers = 4', after: 'workers = 2' },
      { file: 'gunicorn.conf.py', line: 9, before: 'timeout = 30', after: 'timeout = 0' },
    ];
    const outcome = applySourceEdits('workers = 8\n', edits);
    expect(outcome.text).toBe('workers = 8\n');
    expect(outcome.skipped.map((s) => s.reason)).toEqual(['line 1 no longer reads "workers = 4"', 'line 9 is past the end of the file']);
  });
});
