import { describe, expect, it } from 'vitest';
import { byDefault, explicit } from '../evidence.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, DOCKERFILE, expectServerConfig, sh } from '../../../test/support/serverRows.ts';
import { detectServer } from './detect.ts';

describe("Flask's development server", () => {
  const rows: ServerRow[] = [
    { name: 'flask run', argv: ['flask', 'run'], expected: { kind: 'flask-dev', model: 'async', bind: byDefault('127.0.0.1:5000', 'flask run default'), development: cmd('flask run', 'flask run') } },
    { name: 'python -m flask run --host=0.0.0.0', argv: ['python', '-m', 'flask', 'run', '--host=0.0.0.0'], expected: { bind: explicit('0.0.0.0:5000', cmd('--host', '--host=0.0.0.0')) } },
    { name: 'flask --app main --debug run -p 8080', argv: ['flask', '--app', 'main', '--debug', 'run', '-p', '8080'], expected: { kind: 'flask-dev', bind: explicit('127.0.0.1:8080', cmd('-p', '-p 8080')) } },
    { name: 'sh -c "flask run"', argv: sh('flask db upgrade && flask run --host 0.0.0.0 --port $PORT'), env: { PORT: '8080' }, expected: { kind: 'flask-dev' } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'flask-dev'));
  it('flask db upgrade alone is no server', () => {
    expect(detectServer(['flask', 'db', 'upgrade'], new Map(), DOCKERFILE)).toBeUndefined();
  });
});

describe("Django's runserver", () => {
  const rows: ServerRow[] = [
    { name: 'python manage.py runserver', argv: ['python', 'manage.py', 'runserver'], expected: { kind: 'django-runserver', bind: byDefault('127.0.0.1:8000', 'runserver default'), development: cmd('manage.py runserver', 'manage.py runserver') } },
    { name: 'runserver 0.0.0.0:8080', argv: ['python3', 'manage.py', 'runserver', '0.0.0.0:8080'], expected: { bind: explicit('0.0.0.0:8080', cmd('addrport', '0.0.0.0:8080')) } },
    { name: 'django-admin runserver 8000', argv: ['django-admin', 'runserver', '8000'], expected: { bind: explicit('127.0.0.1:8000', cmd('addrport', '8000')) } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'django-runserver'));
  it('manage.py migrate is no server', () => {
    expect(detectServer(['python', 'manage.py', 'migrate'], new Map(), DOCKERFILE)).toBeUndefined();
  });
});

describe('interactive app servers', () => {
  it('streamlit run app.py is recognised and not tuned', () => {
    const config = detectServer(['streamlit', 'run', 'app.py', '--server.port=8080'], new Map(), DOCKERFILE);
    expect(config?.kind).toBe('streamlit');
    expect(config?.interactive).toMatch(/pytuner does not tune it/);
    expect(config?.development).toBeUndefined();
  });
  it('gradio app.py is reload mode: interactive and development', () => {
    const config = detectServer(['gradio', 'app.py'], new Map(), DOCKERFILE);
    expect(config?.kind).toBe('gradio');
    expect(config?.interactive).toBeDefined();
    expect(config?.development).toEqual(cmd('gradio', 'gradio app.py'));
  });
});
