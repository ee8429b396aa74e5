import { describe, expect, it } from 'vitest';
import type { Evidence } from '../evidence.ts';
import { byDefault, explicit, unknown } from '../evidence.ts';
import type { GunicornConf } from '../image.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, DOCKERFILE, envVar, expectServerConfig, sh } from '../../../test/support/serverRows.ts';
import { detectServer } from './detect.ts';

const MANIFEST: Evidence = { source: 'manifest', file: 'service.yaml', line: 30, field: 'spec.template.spec.containers[0].args' };
const DEFAULT = 'gunicorn default';

function conf(settings: Record<string, string | number | boolean | undefined>): GunicornConf {
  return {
    file: 'app/gunicorn.conf.py',
    settings: new Map(
      Object.entries(settings).map(([name, value], i) => [
        name,
        { value, evidence: { source: 'gunicorn.conf.py', file: 'app/gunicorn.conf.py', line: i + 1, field: name, text: `${name} = ${String(value)}` } },
      ]),
    ),
  };
}

function confAt(line: number, name: string, value: unknown): Evidence {
  return { source: 'gunicorn.conf.py', file: 'app/gunicorn.conf.py', line, field: name, text: `${name} = ${String(value)}` };
}

const CLOUD_RUN_CMD = sh('exec gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 main:app');

const expectConfig = (row: ServerRow): void => expectServerConfig(row, 'gunicorn');

describe('gunicorn: the Cloud Run guide command', () => {
  const rows: ServerRow[] = [
    {
      name: 'CMD exec gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 main:app (shell form)',
      argv: CLOUD_RUN_CMD,
      expected: {
        argv: ['gunicorn', '--bind', ':$PORT', '--workers', '1', '--threads', '8', '--timeout', '0', 'main:app'],
        evidence: DOCKERFILE,
        model: 'threaded',
        workers: explicit(1, cmd('--workers', '--workers 1')),
        threads: explicit(8, cmd('--threads', '--threads 8')),
        timeout: explicit(0, cmd('--timeout', '--timeout 0')),
        preload: byDefault(false, DEFAULT),
        workerClass: byDefault('sync', DEFAULT),
        keepAlive: byDefault(2, DEFAULT),
        bind: { ...unknown(cmd('--bind', '--bind :$PORT')), viaEnv: 'PORT' },
        unreadConfig: [],
      },
    },
    {
      name: 'the same with PORT in the env',
      argv: CLOUD_RUN_CMD,
      env: { PORT: '8080' },
      expected: {
        argv: ['gunicorn', '--bind', ':8080', '--workers', '1', '--threads', '8', '--timeout', '0', 'main:app'],
        bind: explicit(':8080', cmd('--bind', '--bind :$PORT'), 'PORT'),
      },
    },
  ];
  it.each(rows)('$name', expectConfig);
});

describe('gunicorn: options', () => {
  const rows: ServerRow[] = [
    { name: 'no options: sync, 1 worker', argv: ['gunicorn', 'app:app'], expected: { model: 'sync', workers: byDefault(1, DEFAULT), threads: byDefault(1, DEFAULT), timeout: byDefault(30, DEFAULT) } },
    { name: '--workers=4', argv: ['gunicorn', '--workers=4', 'app:app'], expected: { workers: explicit(4, cmd('--workers', '--workers=4')) } },
    { name: '-w4', argv: ['gunicorn', '-w4', 'app:app'], expected: { workers: explicit(4, cmd('-w', '-w4')) } },
    { name: '-w 4', argv: ['gunicorn', '-w', '4', 'app:app'], expected: { workers: explicit(4, cmd('-w', '-w 4')) } },
    { name: 'the last -w wins', argv: ['gunicorn', '-w', '2', '--workers', '6', 'app:app'], expected: { workers: explicit(6, cmd('--workers', '--workers 6')) } },
    { name: '-t 120', argv: ['gunicorn', '-t', '120', 'app:app'], expected: { timeout: explicit(120, cmd('-t', '-t 120')) } },
    { name: '--preload', argv: ['gunicorn', '--preload', 'app:app'], expected: { preload: explicit(true, cmd('--preload', '--preload')) } },
    { name: '--keep-alive 75', argv: ['gunicorn', '--keep-alive', '75', 'app:app'], expected: { keepAlive: explicit(75, cmd('--keep-alive', '--keep-alive 75')) } },
    { name: '--threads 1 stays sync', argv: ['gunicorn', '--threads', '1', 'app:app'], expected: { model: 'sync', threads: explicit(1, cmd('--threads', '--threads 1')) } },
    { name: '--threads 4 makes sync gthread', argv: ['gunicorn', '--threads', '4', 'app:app'], expected: { model: 'threaded', workerClass: byDefault('sync', DEFAULT) } },
    { name: '-k gthread', argv: ['gunicorn', '-k', 'gthread', 'app:app'], expected: { model: 'threaded', workerClass: explicit('gthread', cmd('-k', '-k gthread')) } },
    {
      name: '-k uvicorn.workers.UvicornWorker',
      argv: ['gunicorn', '-w', '4', '-k', 'uvicorn.workers.UvicornWorker', 'main:app'],
      expected: { model: 'async', workers: explicit(4, cmd('-w', '-w 4')), workerClass: explicit('uvicorn.workers.UvicornWorker', cmd('-k', '-k uvicorn.workers.UvicornWorker')), connectionLimit: undefined },
    },
    { name: '--worker-class=uvicorn_worker.UvicornWorker', argv: ['gunicorn', '--worker-class=uvicorn_worker.UvicornWorker', 'main:app'], expected: { model: 'async', workerClass: explicit('uvicorn_worker.UvicornWorker', cmd('--worker-class', '--worker-class=uvicorn_worker.UvicornWorker')) } },
    { name: '-k gevent has 1000 connections', argv: ['gunicorn', '-k', 'gevent', 'app:app'], expected: { model: 'async', connectionLimit: byDefault(1000, DEFAULT) } },
    { name: '-k gevent --worker-connections 500', argv: ['gunicorn', '-k', 'gevent', '--worker-connections', '500', 'app:app'], expected: { model: 'async', connectionLimit: explicit(500, cmd('--worker-connections', '--worker-connections 500')) } },
    { name: '-k eventlet', argv: ['gunicorn', '-k', 'eventlet', 'app:app'], expected: { model: 'async', connectionLimit: byDefault(1000, DEFAULT) } },
    { name: '-k tornado', argv: ['gunicorn', '-k', 'tornado', 'app:app'], expected: { model: 'async', connectionLimit: undefined } },
    { name: '-k sync --threads 8 (class path)', argv: ['gunicorn', '-k', 'gunicorn.workers.sync.SyncWorker', '--threads', '8', 'app:app'], expected: { model: 'threaded' } },
    { name: 'a custom class has no slot count', argv: ['gunicorn', '-k', 'myapp.workers.Worker', 'app:app'], expected: { model: 'async' } },
    { name: '-b twice', argv: ['gunicorn', '-b', '0.0.0.0:8080', '-b', '[::]:8080', 'app:app'], expected: { bind: explicit('0.0.0.0:8080 [::]:8080', cmd('-b', '-b 0.0.0.0:8080 -b [::]:8080')) } },
    { name: 'bind default with PORT', argv: ['gunicorn', 'app:app'], env: { PORT: '8080' }, expected: { bind: { value: '0.0.0.0:8080', evidence: envVar(0, 'PORT', 'PORT=8080'), isDefault: true, viaEnv: 'PORT' } } },
    {
      name: 'bind default without PORT is unknown',
      argv: ['gunicorn', 'app:app'],
      expected: { bind: { value: undefined, evidence: { source: 'default', field: 'gunicorn default: 0.0.0.0:$PORT when PORT is set, else 127.0.0.1:8000' }, isDefault: true, viaEnv: 'PORT' } },
    },
    { name: 'options after the app module', argv: ['gunicorn', 'app:app', '--threads', '3'], expected: { threads: explicit(3, cmd('--threads', '--threads 3')) } },
    { name: 'an unknown option takes no value', argv: ['gunicorn', '--some-new-flag', '--threads', '3', 'app:app'], expected: { threads: explicit(3, cmd('--threads', '--threads 3')) } },
    { name: 'a known value option keeps its value', argv: ['gunicorn', '--log-level', 'debug', '--access-logfile', '-', '-w', '2', 'app:app'], expected: { workers: explicit(2, cmd('-w', '-w 2')) } },
    { name: 'short options grouped: -Rw4', argv: ['gunicorn', '-Rw4', 'app:app'], expected: { workers: explicit(4, cmd('-w', '-Rw4')) } },
  ];
  it.each(rows)('$name', expectConfig);
});

describe('gunicorn: values pytuner cannot know are unknown, never guessed', () => {
  const rows: ServerRow[] = [
    { name: '--workers abc', argv: ['gunicorn', '--workers', 'abc', 'app:app'], expected: { workers: unknown(cmd('--workers', '--workers abc')) } },
    { name: '--workers -1', argv: ['gunicorn', '--workers', '-1', 'app:app'], expected: { workers: unknown(cmd('--workers', '--workers -1')) } },
    { name: '--workers 2.5', argv: ['gunicorn', '--workers=2.5', 'app:app'], expected: { workers: unknown(cmd('--workers', '--workers=2.5')) } },
    { name: '--workers without its value', argv: ['gunicorn', 'app:app', '--workers'], expected: { workers: unknown(cmd('--workers', '--workers')) } },
    { name: '-w $(nproc)', argv: sh('gunicorn -w $(nproc) app:app'), expected: { workers: unknown(cmd('-w', '-w $(nproc)')) } },
    { name: '-w $((2 * $(nproc) + 1))', argv: sh('gunicorn -w $((2 * $(nproc) + 1)) app:app'), expected: { workers: unknown(cmd('-w', '-w $((2 * $(nproc) + 1))')) } },
    { name: '-w `nproc`', argv: sh('gunicorn -w `nproc` app:app'), expected: { workers: unknown(cmd('-w', '-w `nproc`')) } },
    { name: 'a Dockerfile exec form does not expand $THREADS', argv: ['gunicorn', '--threads', '$THREADS', 'app:app'], env: { THREADS: '8' }, expected: { threads: unknown(cmd('--threads', '--threads $THREADS')), model: 'threaded' } },
  ];
  it.each(rows)('$name', expectConfig);
});

describe('gunicorn: env expansion', () => {
  const rows: ServerRow[] = [
    { name: '--threads $THREADS, THREADS=8', argv: sh('exec gunicorn --threads $THREADS app:app'), env: { THREADS: '8' }, expected: { threads: explicit(8, cmd('--threads', '--threads $THREADS'), 'THREADS'), model: 'threaded' } },
    // shell-quote reports `$T` and `${T}` alike, so evidence text shows the shorter form.
    { name: '--threads ${THREADS}, THREADS=8', argv: sh('exec gunicorn --threads ${THREADS} app:app'), env: { THREADS: '8' }, expected: { threads: explicit(8, cmd('--threads', '--threads $THREADS'), 'THREADS') } },
    { name: '--threads "$THREADS"', argv: sh('exec gunicorn --threads "$THREADS" app:app'), env: { THREADS: '8' }, expected: { threads: explicit(8, cmd('--threads', '--threads $THREADS'), 'THREADS') } },
    { name: '--threads=$THREADS', argv: sh('exec gunicorn --threads=$THREADS app:app'), env: { THREADS: '8' }, expected: { threads: explicit(8, cmd('--threads', '--threads=$THREADS'), 'THREADS') } },
    { name: 'THREADS not in env: unknown', argv: sh('exec gunicorn --threads $THREADS app:app'), expected: { threads: { ...unknown(cmd('--threads', '--threads $THREADS')), viaEnv: 'THREADS' }, model: 'threaded' } },
    { name: 'THREADS from a secret: unknown', argv: sh('exec gunicorn --threads $THREADS app:app'), env: { THREADS: undefined }, expected: { threads: { ...unknown(cmd('--threads', '--threads $THREADS')), viaEnv: 'THREADS' } } },
    { name: '${THREADS:-8}, THREADS unset: the default', argv: sh('exec gunicorn --threads ${THREADS:-8} app:app'), expected: { threads: explicit(8, cmd('--threads', '--threads ${THREADS:-8}'), 'THREADS') } },
    { name: '${THREADS:-8}, THREADS=2', argv: sh('exec gunicorn --threads ${THREADS:-8} app:app'), env: { THREADS: '2' }, expected: { threads: explicit(2, cmd('--threads', '--threads ${THREADS:-8}'), 'THREADS') } },
    { name: '${THREADS:-8}, THREADS empty', argv: sh('exec gunicorn --threads ${THREADS:-8} app:app'), env: { THREADS: '' }, expected: { threads: explicit(8, cmd('--threads', '--threads ${THREADS:-8}'), 'THREADS') } },
    { name: '${THREADS-8}, THREADS empty: empty is set', argv: sh('exec gunicorn --threads ${THREADS-8} app:app'), env: { THREADS: '' }, expected: { threads: { ...unknown(cmd('--threads', '--threads ${THREADS-8}')), viaEnv: 'THREADS' } } },
    { name: 'manifest args $(THREADS)', argv: ['gunicorn', '--threads', '$(THREADS)', 'app:app'], source: MANIFEST, env: { THREADS: '8' }, expected: { threads: explicit(8, { ...MANIFEST, field: '--threads', text: '--threads $(THREADS)' }, 'THREADS') } },
    { name: 'manifest args $$(THREADS) is literal', argv: ['gunicorn', '--threads', '$$(THREADS)', 'app:app'], source: MANIFEST, env: { THREADS: '8' }, expected: { threads: unknown({ ...MANIFEST, field: '--threads', text: '--threads $(THREADS)' }) } },
    { name: 'manifest sh -c with $(THREADS)', argv: ['/bin/sh', '-c', 'exec gunicorn --threads $(THREADS) app:app'], source: MANIFEST, env: { THREADS: '8' }, expected: { threads: explicit(8, { ...MANIFEST, field: '--threads', text: '--threads $THREADS' }, 'THREADS') } },
    { name: 'a script variable from the env keeps the knob', argv: sh('WORKERS=${WORKERS:-2}; exec gunicorn -w $WORKERS app:app'), expected: { workers: explicit(2, cmd('-w', '-w $WORKERS'), 'WORKERS') } },
    { name: 'a script constant has no knob', argv: sh('W=3; exec gunicorn -w $W app:app'), expected: { workers: explicit(3, cmd('-w', '-w $W')) } },
    {
      name: 'an unquoted $GUNICORN_OPTS is split into options',
      argv: sh('exec gunicorn $GUNICORN_OPTS main:app'),
      env: { GUNICORN_OPTS: '--workers 3 --threads 2' },
      expected: { workers: explicit(3, envVar(0, 'GUNICORN_OPTS', '--workers 3')), threads: explicit(2, envVar(0, 'GUNICORN_OPTS', '--threads 2')), unreadConfig: [] },
    },
    { name: 'an unknown $GUNICORN_OPTS is unread', argv: sh('exec gunicorn $GUNICORN_OPTS main:app'), env: { GUNICORN_OPTS: undefined }, expected: { workers: byDefault(1, DEFAULT), unreadConfig: [cmd('env GUNICORN_OPTS', '$GUNICORN_OPTS')] } },
  ];
  it.each(rows)('$name', expectConfig);
});

describe('gunicorn: precedence defaults < gunicorn.conf.py < GUNICORN_CMD_ARGS < command line', () => {
  const rows: ServerRow[] = [
    { name: 'WEB_CONCURRENCY is the workers default', argv: ['gunicorn', 'app:app'], env: { WEB_CONCURRENCY: '4' }, expected: { workers: explicit(4, envVar(0, 'WEB_CONCURRENCY', 'WEB_CONCURRENCY=4'), 'WEB_CONCURRENCY') } },
    { name: 'WEB_CONCURRENCY from a secret', argv: ['gunicorn', 'app:app'], env: { WEB_CONCURRENCY: undefined }, expected: { workers: { ...unknown(envVar(0, 'WEB_CONCURRENCY', 'WEB_CONCURRENCY')), viaEnv: 'WEB_CONCURRENCY' } } },
    { name: 'WEB_CONCURRENCY not a number', argv: ['gunicorn', 'app:app'], env: { WEB_CONCURRENCY: 'many' }, expected: { workers: { ...unknown(envVar(0, 'WEB_CONCURRENCY', 'WEB_CONCURRENCY=many')), viaEnv: 'WEB_CONCURRENCY' } } },
    { name: '-w beats WEB_CONCURRENCY', argv: ['gunicorn', '-w', '2', 'app:app'], env: { WEB_CONCURRENCY: '4' }, expected: { workers: explicit(2, cmd('-w', '-w 2')) } },
    { name: 'WEB_CONCURRENCY exported by the script', argv: sh('export WEB_CONCURRENCY=5; exec gunicorn app:app'), expected: { workers: explicit(5, cmd('env WEB_CONCURRENCY', 'WEB_CONCURRENCY=5')) } },
    { name: 'WEB_CONCURRENCY as a command prefix', argv: sh('WEB_CONCURRENCY=5 exec gunicorn app:app'), expected: { workers: explicit(5, cmd('env WEB_CONCURRENCY', 'WEB_CONCURRENCY=5')) } },
    { name: 'env WEB_CONCURRENCY=3 gunicorn', argv: ['env', 'WEB_CONCURRENCY=3', 'gunicorn', 'app:app'], expected: { workers: explicit(3, cmd('env WEB_CONCURRENCY', 'WEB_CONCURRENCY=3')) } },
    { name: 'env -i clears the env gunicorn sees', argv: ['env', '-i', 'gunicorn', 'app:app'], env: { WEB_CONCURRENCY: '4' }, expected: { workers: byDefault(1, DEFAULT) } },
    { name: 'env -u WEB_CONCURRENCY', argv: ['env', '-u', 'WEB_CONCURRENCY', 'gunicorn', 'app:app'], env: { WEB_CONCURRENCY: '4' }, expected: { workers: byDefault(1, DEFAULT) } },
    { name: 'env -i after the shell expanded $W', argv: sh('env -i gunicorn -w $W app:app'), env: { W: '4' }, expected: { workers: explicit(4, cmd('-w', '-w $W'), 'W') } },
    { name: 'a shell variable that is not exported does not reach gunicorn', argv: sh('WEB_CONCURRENCY=5; exec gunicorn app:app'), expected: { workers: byDefault(1, DEFAULT) } },
    { name: 'GUNICORN_CMD_ARGS="--threads 4"', argv: ['gunicorn', 'app:app'], env: { GUNICORN_CMD_ARGS: '--threads 4' }, expected: { threads: explicit(4, envVar(0, 'GUNICORN_CMD_ARGS', '--threads 4')), model: 'threaded' } },
    { name: 'GUNICORN_CMD_ARGS="--threads 4" overridden by --threads 2', argv: ['gunicorn', '--threads', '2', 'app:app'], env: { GUNICORN_CMD_ARGS: '--threads 4' }, expected: { threads: explicit(2, cmd('--threads', '--threads 2')) } },
    { name: 'GUNICORN_CMD_ARGS is not shell-expanded', argv: ['gunicorn', 'app:app'], env: { GUNICORN_CMD_ARGS: '--threads $T', T: '4' }, expected: { threads: unknown(envVar(0, 'GUNICORN_CMD_ARGS', '--threads $T')) } },
    { name: 'GUNICORN_CMD_ARGS from a secret is unread', argv: ['gunicorn', 'app:app'], env: { GUNICORN_CMD_ARGS: undefined }, expected: { unreadConfig: [{ source: 'manifest', file: 'service.yaml', line: 20, field: 'env GUNICORN_CMD_ARGS' }] } },
    { name: '-c gunicorn.conf.py without the file', argv: ['gunicorn', '-c', 'gunicorn.conf.py', 'main:app'], expected: { workers: byDefault(1, DEFAULT), unreadConfig: [cmd('-c', '-c gunicorn.conf.py')] } },
    {
      name: '-c gunicorn.conf.py with the file',
      argv: ['gunicorn', '-c', 'gunicorn.conf.py', 'main:app'],
      conf: conf({ workers: 4, threads: 2, preload_app: true, timeout: undefined, worker_class: 'gthread', bind: '0.0.0.0:8080' }),
      expected: {
        model: 'threaded',
        workers: explicit(4, confAt(1, 'workers', 4)),
        threads: explicit(2, confAt(2, 'threads', 2)),
        preload: explicit(true, confAt(3, 'preload_app', true)),
        timeout: unknown(confAt(4, 'timeout', undefined)),
        workerClass: explicit('gthread', confAt(5, 'worker_class', 'gthread')),
        bind: explicit('0.0.0.0:8080', confAt(6, 'bind', '0.0.0.0:8080')),
        unreadConfig: [],
      },
    },
    { name: '--config=/app/gunicorn.conf.py names the same file', argv: ['gunicorn', '--config=/app/gunicorn.conf.py', 'main:app'], conf: conf({ workers: 4 }), expected: { workers: explicit(4, confAt(1, 'workers', 4)), unreadConfig: [] } },
    { name: 'no -c: gunicorn loads ./gunicorn.conf.py', argv: ['gunicorn', 'main:app'], conf: conf({ workers: 4 }), expected: { workers: explicit(4, confAt(1, 'workers', 4)) } },
    { name: '-c another file: the conf is not loaded', argv: ['gunicorn', '-c', 'config/prod.py', 'main:app'], conf: conf({ workers: 4 }), expected: { workers: byDefault(1, DEFAULT), unreadConfig: [cmd('-c', '-c config/prod.py')] } },
    { name: '-c python:module is never read', argv: ['gunicorn', '-c', 'python:app.gunicorn_conf', 'main:app'], conf: conf({ workers: 4 }), expected: { workers: byDefault(1, DEFAULT), unreadConfig: [cmd('-c', '-c python:app.gunicorn_conf')] } },
    { name: 'a conf value computed in the file is unknown', argv: ['gunicorn', 'main:app'], conf: conf({ workers: undefined }), expected: { workers: unknown(confAt(1, 'workers', undefined)) } },
    { name: 'a conf worker_class computed in the file', argv: ['gunicorn', 'main:app'], conf: conf({ worker_class: undefined }), expected: { model: 'async', workerClass: unknown(confAt(1, 'worker_class', undefined)) } },
    { name: 'conf threads > 1 makes sync gthread', argv: ['gunicorn', 'main:app'], conf: conf({ threads: 4 }), expected: { model: 'threaded' } },
    { name: 'conf worker_class gevent', argv: ['gunicorn', 'main:app'], conf: conf({ worker_class: 'gevent', worker_connections: 200 }), expected: { model: 'async', connectionLimit: explicit(200, confAt(2, 'worker_connections', 200)) } },
    { name: 'conf preload_app as text', argv: ['gunicorn', 'main:app'], conf: conf({ preload_app: 'True' }), expected: { preload: explicit(true, confAt(1, 'preload_app', 'True')) } },
    { name: 'conf beats WEB_CONCURRENCY', argv: ['gunicorn', 'main:app'], env: { WEB_CONCURRENCY: '8' }, conf: conf({ workers: 4 }), expected: { workers: explicit(4, confAt(1, 'workers', 4)) } },
    { name: 'GUNICORN_CMD_ARGS beats the conf', argv: ['gunicorn', 'main:app'], env: { GUNICORN_CMD_ARGS: '-w 6' }, conf: conf({ workers: 4 }), expected: { workers: explicit(6, envVar(0, 'GUNICORN_CMD_ARGS', '-w 6')) } },
    { name: 'the command line beats the conf', argv: ['gunicorn', '--threads', '8', 'main:app'], conf: conf({ threads: 2 }), expected: { threads: explicit(8, cmd('--threads', '--threads 8')) } },
    { name: 'GUNICORN_CMD_ARGS -c replaces ./gunicorn.conf.py', argv: ['gunicorn', 'main:app'], env: { GUNICORN_CMD_ARGS: '-c other.py' }, conf: conf({ workers: 4 }), expected: { workers: byDefault(1, DEFAULT), unreadConfig: [envVar(0, 'GUNICORN_CMD_ARGS', '-c other.py')] } },
    { name: '--paste reads an ini file', argv: ['gunicorn', '--paste', 'production.ini'], expected: { unreadConfig: [cmd('--paste', '--paste production.ini')] } },
    { name: 'a sourced file before gunicorn is unread', argv: sh('. /app/.env && exec gunicorn main:app'), expected: { unreadConfig: [cmd('.', '. /app/.env')] } },
  ];
  it.each(rows)('$name', expectConfig);
});

describe('gunicorn: commands that do not serve', () => {
  it.each([['--check-config'], ['--print-config'], ['--version'], ['-h']])('gunicorn %s', (flag) => {
    expect(detectServer(['gunicorn', flag, 'app:app'], new Map(), DOCKERFILE)).toBeUndefined();
  });
});

describe("gunicorn's native asgi worker", () => {
  const rows: ServerRow[] = [
    {
      name: '-k asgi: an event loop; --threads ignored, --worker-connections caps connections',
      argv: ['gunicorn', '-k', 'asgi', '--threads', '8', '--worker-connections', '200', 'app:app'],
      expected: { model: 'async', connectionLimit: explicit(200, cmd('--worker-connections', '--worker-connections 200')) },
    },
    { name: '-k asgi without --worker-connections: 1000', argv: ['gunicorn', '-k', 'asgi', 'app:app'], expected: { connectionLimit: byDefault(1000, DEFAULT) } },
    { name: '-k gthread has no connection limit', argv: ['gunicorn', '-k', 'gthread', 'app:app'], expected: { connectionLimit: undefined } },
  ];
  it.each(rows)('$name', expectConfig);
});
