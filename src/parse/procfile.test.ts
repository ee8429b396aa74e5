import { describe, expect, it } from 'vitest';
import { parseProcfile } from './procfile.ts';

describe('parseProcfile', () => {
  it('reads the web entry with its line, ignoring other process types and comments', () => {
    const text = '# buildpacks run web\nrelease: python manage.py migrate\n\nweb: gunicorn --bind :$PORT --workers 1 --threads 8 main:app\nworker: celery -A app worker\n';
    expect(parseProcfile('app/Procfile', text)).toEqual({
      web: {
        command: 'gunicorn --bind :$PORT --workers 1 --threads 8 main:app',
        evidence: { source: 'Procfile', file: 'app/Procfile', line: 4, field: 'web', text: 'web: gunicorn --bind :$PORT --workers 1 --threads 8 main:app' },
      },
      errors: [],
    });
  });

  it('lets the last web entry win', () => {
    expect(parseProcfile('Procfile', 'web: a\nweb:b\n').web?.command).toBe('b');
  });

  it('has no web entry when none is declared', () => {
    expect(parseProcfile('Procfile', 'worker: celery\n')).toEqual({ errors: [] });
  });

  it('reports lines that are not "type: command" and an empty web command', () => {
    expect(parseProcfile('Procfile', 'gunicorn app:app\nweb:\n').errors).toEqual([
      { file: 'Procfile', line: 1, message: 'not a "type: command" line: gunicorn app:app' },
      { file: 'Procfile', line: 2, field: 'web', message: 'web process has no command' },
    ]);
  });
});
