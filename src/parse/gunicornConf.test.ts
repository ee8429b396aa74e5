import { describe, expect, it } from 'vitest';
import { parseGunicornConf } from './gunicornConf.ts';

const settings = (text: string) => Object.fromEntries([...parseGunicornConf('app/gunicorn.conf.py', text).settings].map(([k, v]) => [k, v.value]));

describe('parseGunicornConf', () => {
  it('reads plain literal assignments', () => {
    const text = [
      '"""Gunicorn config for the API."""',
      'import multiprocessing',
      'bind = "0.0.0.0:8080"',
      "worker_class = 'gthread'",
      'workers = 4',
      'threads = 8  # one per vCPU',
      'timeout = 0',
      'graceful_timeout = 30.5',
      'preload_app = True',
      'reload = False',
      "wsgi_app = 'main:app'",
      'keepalive: int = 5',
      'max_requests = 1_000',
    ].join('\n');
    expect(settings(text)).toEqual({
      bind: '0.0.0.0:8080',
      worker_class: 'gthread',
      workers: 4,
      threads: 8,
      timeout: 0,
      graceful_timeout: 30.5,
      preload_app: true,
      reload: false,
      wsgi_app: 'main:app',
      keepalive: 5,
      max_requests: 1000,
    });
  });

  it('records evidence with file, line and the assignment text', () => {
    const conf = parseGunicornConf('app/gunicorn.conf.py', '\n\nthreads = 8\n');
    expect(conf.file).toBe('app/gunicorn.conf.py');
    expect(conf.settings.get('threads')?.evidence).toEqual({ source: 'gunicorn.conf.py', file: 'app/gunicorn.conf.py', line: 3, field: 'threads', text: 'threads = 8' });
  });

  it('gives computed values no value, so callers report them as unknown', () => {
    const text = [
      'import multiprocessing, os',
      'workers = multiprocessing.cpu_count() * 2 + 1',
      'threads = int(os.environ.get("WEB_CONCURRENCY", 2))',
      'bind = f"0.0.0.0:{os.environ[\'PORT\']}"',
      'timeout = TIMEOUT',
      'worker_tmp_dir = None',
      'raw_env = ["A=1"]',
    ].join('\n');
    expect(settings(text)).toEqual({ workers: undefined, threads: undefined, bind: undefined, timeout: undefined, worker_tmp_dir: undefined, raw_env: undefined });
    expect(parseGunicornConf('c.py', text).settings.get('workers')?.evidence.line).toBe(2);
  });

  it('lets the last top-level assignment win', () => {
    expect(settings('workers = 2\nworkers = 3\n')).toEqual({ workers: 3 });
    expect(settings('workers = os.cpu_count()\nworkers = 3\n')).toEqual({ workers: 3 });
  });

  it('ignores assignments inside functions and classes', () => {
    const text = ['workers = 2', 'def on_starting(server):', '    workers = 9', '    threads = 4', 'class X:', '    timeout = 5', 'threads = 1'].join('\n');
    expect(settings(text)).toEqual({ workers: 2, threads: 1 });
  });

  it('treats an assignment under if/try/for at module level as unknown: it runs, but conditionally', () => {
    const text = ['workers = 2', 'if os.environ.get("PROD"):', '    workers = 8', 'try:', '    import gevent', '    worker_class = "gevent"', 'except ImportError:', '    worker_class = "sync"', 'if DEBUG: reload = True'].join('\n');
    expect(settings(text)).toEqual({ workers: undefined, worker_class: undefined, reload: undefined });
  });

  it('keeps the evidence of a computed value that a nested conditional assignment may cap', () => {
    const text = ['import multiprocessing', "if 'workers' not in locals():", '  workers = multiprocessing.cpu_count() * 2 + 1', '  if workers > 8:', '    workers = 8', 'threads = 8'].join('\n');
    const conf = parseGunicornConf('c.py', text);
    expect(conf.settings.get('workers')).toMatchObject({ value: undefined, evidence: { line: 3, text: '  workers = multiprocessing.cpu_count() * 2 + 1' } });
    // A branch at the same depth (if/else) is another possible value: the last one read is the evidence, as before.
    expect(parseGunicornConf('c.py', 'if A:\n    workers = os.cpu_count()\nelse:\n    workers = 2\n').settings.get('workers')?.evidence.line).toBe(4);
  });

  it('reads past multi-line values and docstrings without misreading their lines', () => {
    const text = ['bind = [', '"0.0.0.0:8080",', ']', '"""', 'workers = 99', '"""', 'logconfig_dict = {', '  "version": 1,', '}', 'threads = \\', '    4', 'workers = 2'].join('\n');
    expect(settings(text)).toEqual({ bind: undefined, logconfig_dict: undefined, threads: undefined, workers: 2 });
  });

  it('reads an else branch as conditional, and soft keywords used as names as names', () => {
    expect(settings('if DEBUG:\n    reload = True\nelse: reload = False\n')).toEqual({ reload: undefined });
    expect(settings('match = "a:b"\nworkers = 2\n')).toEqual({ match: 'a:b', workers: 2 });
  });

  it('marks augmented and tuple assignments as computed', () => {
    expect(settings('workers = 2\nworkers += 1\nthreads, timeout = 4, 30\n')).toEqual({ workers: undefined, threads: undefined, timeout: undefined });
  });

  it('unescapes plain strings and keeps raw strings as written', () => {
    expect(settings("a = 'it\\'s'\nb = r'\\d+'\n")).toEqual({ a: "it's", b: '\\d+' });
  });
});
