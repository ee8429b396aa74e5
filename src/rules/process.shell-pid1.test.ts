import { describe, expect, it } from 'vitest';
import { deployment, inventory } from '../../test/builders/index.ts';
import { shellPid1 } from './process.shell-pid1.ts';

const rulesOf = (script: string) =>
  shellPid1.check(inventory(deployment('web').container((c) => c.gunicorn({ workers: 2 }).command('/bin/sh', '-c', script))).build()).map((f) => [f.rule, f.recommended]);

describe('process.shell-pid1', () => {
  it('reports a script whose last command, after any control operator or a newline, runs without exec', () => {
    for (const script of ['python manage.py migrate && gunicorn app:app', 'migrate; gunicorn app:app', 'migrate || true\ngunicorn app:app', 'migrate | tee log\ngunicorn app:app', '(migrate)\ngunicorn app:app', 'migrate & gunicorn app:app']) {
      expect(rulesOf(script), script).toEqual([['process.shell-pid1', { pid1: 'gunicorn' }]]);
    }
  });

  it('stays silent for one command (the shell execs it), with or without exec, and for exec before the last command', () => {
    for (const script of ['gunicorn --workers 2 -b :$PORT app:app', 'exec gunicorn --workers 2 app:app', 'gunicorn app:app > /tmp/log 2>&1', 'migrate && exec gunicorn app:app']) {
      expect(rulesOf(script), script).toEqual([]);
    }
  });
});
