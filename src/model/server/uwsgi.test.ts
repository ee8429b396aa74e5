import { describe, expect, it } from 'vitest';
import type { Evidence } from '../evidence.ts';
import { byDefault, explicit, unknown } from '../evidence.ts';
import type { ServerRow } from '../../../test/support/serverRows.ts';
import { cmd, DOCKERFILE, envVar, expectServerConfig } from '../../../test/support/serverRows.ts';
import { detectServer } from './detect.ts';

const DEFAULT = 'uwsgi default';
const PRELOAD_DEFAULT = byDefault(true, 'uwsgi default: the app is loaded before the workers fork');

describe('uwsgi', () => {
  const rows: ServerRow[] = [
    {
      name: 'no options: one process, one thread, app loaded before fork',
      argv: ['uwsgi', '--http', ':8080', '--module', 'app:app'],
      expected: {
        kind: 'uwsgi',
        model: 'sync',
        workers: byDefault(1, DEFAULT),
        threads: byDefault(1, DEFAULT),
        preload: PRELOAD_DEFAULT,
        lazyApps: byDefault(false, DEFAULT),
        master: byDefault(false, DEFAULT),
        pyCallOsAfterFork: byDefault(false, DEFAULT),
        enableThreads: byDefault(false, DEFAULT),
        timeout: byDefault(0, 'uwsgi default: no harakiri'),
        bind: explicit(':8080', cmd('--http', '--http :8080')),
        unreadConfig: [],
      },
    },
    {
      name: '--http :8080 --processes 4 --threads 2 --master --lazy-apps',
      argv: ['uwsgi', '--http', ':8080', '--processes', '4', '--threads', '2', '--master', '--lazy-apps', '-w', 'app:app'],
      expected: {
        model: 'threaded',
        workers: explicit(4, cmd('--processes', '--processes 4')),
        threads: explicit(2, cmd('--threads', '--threads 2')),
        master: explicit(true, cmd('--master', '--master')),
        lazyApps: explicit(true, cmd('--lazy-apps', '--lazy-apps')),
        preload: explicit(false, cmd('--lazy-apps', '--lazy-apps')),
        enableThreads: explicit(true, cmd('--threads', '--threads 2')),
      },
    },
    { name: '--processes=4', argv: ['uwsgi', '--processes=4'], expected: { workers: explicit(4, cmd('--processes', '--processes=4')) } },
    { name: '-p 4', argv: ['uwsgi', '-p', '4'], expected: { workers: explicit(4, cmd('-p', '-p 4')) } },
    { name: '-p4', argv: ['uwsgi', '-p4'], expected: { workers: explicit(4, cmd('-p', '-p4')) } },
    { name: '--workers 3', argv: ['uwsgi', '--workers', '3'], expected: { workers: explicit(3, cmd('--workers', '--workers 3')) } },
    { name: '-w is --module, not workers', argv: ['uwsgi', '-w', '4'], expected: { workers: byDefault(1, DEFAULT) } },
    { name: '-M', argv: ['uwsgi', '-M'], expected: { master: explicit(true, cmd('-M', '-M')) } },
    { name: '-M -p 4 grouped as -Mp4', argv: ['uwsgi', '-Mp4'], expected: { master: explicit(true, cmd('-M', '-Mp4')), workers: explicit(4, cmd('-p', '-Mp4')) } },
    { name: '--lazy', argv: ['uwsgi', '--lazy'], expected: { lazyApps: explicit(true, cmd('--lazy', '--lazy')), preload: explicit(false, cmd('--lazy', '--lazy')) } },
    { name: '--py-call-osafterfork', argv: ['uwsgi', '--py-call-osafterfork'], expected: { pyCallOsAfterFork: explicit(true, cmd('--py-call-osafterfork', '--py-call-osafterfork')) } },
    { name: '--enable-threads', argv: ['uwsgi', '--enable-threads'], expected: { model: 'sync', enableThreads: explicit(true, cmd('--enable-threads', '--enable-threads')) } },
    { name: '-T', argv: ['uwsgi', '-T'], expected: { enableThreads: explicit(true, cmd('-T', '-T')) } },
    { name: '--threads 1 is sync but enables threads', argv: ['uwsgi', '--threads', '1'], expected: { model: 'sync', enableThreads: explicit(true, cmd('--threads', '--threads 1')) } },
    { name: '--threads $THREADS unknown', argv: ['sh', '-c', 'uwsgi --threads $THREADS'], expected: { model: 'threaded', threads: { ...unknown(cmd('--threads', '--threads $THREADS')), viaEnv: 'THREADS' } } },
    { name: '--harakiri 60', argv: ['uwsgi', '--harakiri', '60'], expected: { timeout: explicit(60, cmd('--harakiri', '--harakiri 60')) } },
    { name: '--gevent 100', argv: ['uwsgi', '--gevent', '100'], expected: { model: 'async', connectionLimit: explicit(100, cmd('--gevent', '--gevent 100')), enableThreads: explicit(true, cmd('--gevent', '--gevent 100')) } },
    { name: '--socket :3031', argv: ['uwsgi', '--socket', ':3031'], expected: { bind: explicit(':3031', cmd('--socket', '--socket :3031')) } },
    { name: '--http-socket beats --socket', argv: ['uwsgi', '--http-socket', ':8080', '--socket', ':3031'], expected: { bind: explicit(':8080', cmd('--http-socket', '--http-socket :8080')) } },
    { name: 'uWSGI expands $(VAR) itself', argv: ['uwsgi', '--processes', '$(UWSGI_PROCS)'], env: { UWSGI_PROCS: '3' }, expected: { workers: explicit(3, cmd('--processes', '--processes $(UWSGI_PROCS)'), 'UWSGI_PROCS') } },
    { name: 'and inside a value: --http-socket :$(PORT) binds to $PORT', argv: ['uwsgi', '--http-socket', ':$(PORT)'], env: { PORT: '8080' }, expected: { bind: explicit(':8080', cmd('--http-socket', '--http-socket :$(PORT)'), 'PORT') } },
    { name: '--processes %k (cpu count) is unknown', argv: ['uwsgi', '--processes', '%k'], expected: { workers: unknown(cmd('--processes', '--processes %k')) } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row, 'uwsgi'));
});

describe('uwsgi config files are unread', () => {
  const rows: Array<[string[], Evidence]> = [
    [['uwsgi', '--ini', 'uwsgi.ini'], cmd('--ini', '--ini uwsgi.ini')],
    [['uwsgi', '--ini=/etc/uwsgi/app.ini:prod'], cmd('--ini', '--ini=/etc/uwsgi/app.ini:prod')],
    [['uwsgi', '--yaml', 'uwsgi.yaml'], cmd('--yaml', '--yaml uwsgi.yaml')],
    [['uwsgi', '-y', 'uwsgi.yml'], cmd('-y', '-y uwsgi.yml')],
    [['uwsgi', '--json', 'uwsgi.json'], cmd('--json', '--json uwsgi.json')],
    [['uwsgi', '-x', 'uwsgi.xml'], cmd('-x', '-x uwsgi.xml')],
    [['uwsgi', '--config', 'uwsgi.toml'], cmd('--config', '--config uwsgi.toml')],
    [['uwsgi', 'app.ini'], cmd('config file', 'app.ini')],
    [['uwsgi', '--master', 'deploy/uwsgi.yaml'], cmd('config file', 'deploy/uwsgi.yaml')],
  ];
  it.each(rows)('%j', (argv, unread) => {
    const config = detectServer(argv, new Map(), DOCKERFILE);
    expect(config?.unreadConfig).toEqual([unread]);
    expect(config?.workers).toEqual(byDefault(1, DEFAULT));
  });

  it('-c is --cgi-mode in uWSGI, not a config file', () => {
    expect(detectServer(['uwsgi', '-c', '--processes', '2'], new Map(), DOCKERFILE)?.unreadConfig).toEqual([]);
  });
});

describe('uwsgi UWSGI_* env vars', () => {
  const rows: ServerRow[] = [
    { name: 'UWSGI_PROCESSES', argv: ['uwsgi'], env: { UWSGI_PROCESSES: '6' }, expected: { workers: explicit(6, envVar(0, 'UWSGI_PROCESSES', 'UWSGI_PROCESSES=6'), 'UWSGI_PROCESSES') } },
    { name: '--processes beats UWSGI_PROCESSES', argv: ['uwsgi', '--processes', '2'], env: { UWSGI_PROCESSES: '6' }, expected: { workers: explicit(2, cmd('--processes', '--processes 2')) } },
    { name: 'UWSGI_THREADS', argv: ['uwsgi'], env: { UWSGI_THREADS: '4' }, expected: { model: 'threaded', threads: explicit(4, envVar(0, 'UWSGI_THREADS', 'UWSGI_THREADS=4'), 'UWSGI_THREADS') } },
    { name: 'UWSGI_LAZY_APPS=1', argv: ['uwsgi'], env: { UWSGI_LAZY_APPS: '1' }, expected: { lazyApps: explicit(true, envVar(0, 'UWSGI_LAZY_APPS', 'UWSGI_LAZY_APPS=1'), 'UWSGI_LAZY_APPS'), preload: explicit(false, envVar(0, 'UWSGI_LAZY_APPS', 'UWSGI_LAZY_APPS=1'), 'UWSGI_LAZY_APPS') } },
    { name: 'UWSGI_LAZY_APPS=false', argv: ['uwsgi'], env: { UWSGI_LAZY_APPS: 'false' }, expected: { lazyApps: explicit(false, envVar(0, 'UWSGI_LAZY_APPS', 'UWSGI_LAZY_APPS=false'), 'UWSGI_LAZY_APPS'), preload: explicit(true, envVar(0, 'UWSGI_LAZY_APPS', 'UWSGI_LAZY_APPS=false'), 'UWSGI_LAZY_APPS') } },
    { name: 'UWSGI_LAZY_APPS from a secret', argv: ['uwsgi'], env: { UWSGI_LAZY_APPS: undefined }, expected: { preload: { ...unknown(envVar(0, 'UWSGI_LAZY_APPS', 'UWSGI_LAZY_APPS')), viaEnv: 'UWSGI_LAZY_APPS' } } },
    { name: 'UWSGI_MASTER=true', argv: ['uwsgi'], env: { UWSGI_MASTER: 'true' }, expected: { master: explicit(true, envVar(0, 'UWSGI_MASTER', 'UWSGI_MASTER=true'), 'UWSGI_MASTER') } },
    { name: 'UWSGI_INI is unread', argv: ['uwsgi'], env: { UWSGI_INI: '/app/uwsgi.ini' }, expected: { unreadConfig: [envVar(0, 'UWSGI_INI', 'UWSGI_INI=/app/uwsgi.ini')] } },
  ];
  it.each(rows)('$name', (row) => expectServerConfig(row));
});
