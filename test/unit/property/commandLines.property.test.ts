// Hostile container command lines through server detection (src/model/server), the Dockerfile, Procfile and
// gunicorn.conf.py readers (src/input) and the whole report: a command line is data. Nothing is ever run (a canary
// command hidden in every form a shell would run it never leaves its file behind, and no word carries the output of
// `id`), and a setting whose value only a shell could compute stays unknown: no number, not a default.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { dump } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../../src/parse/dockerfile.ts';
import { parseGunicornConf } from '../../../src/parse/gunicornConf.ts';
import { parseManifests } from '../../../src/parse/manifests.ts';
import { parseProcfile } from '../../../src/parse/procfile.ts';
import type { Evidence, SourceKind } from '../../../src/model/evidence.ts';
import type { ServerConfig } from '../../../src/model/server.ts';
import { detectServer, shellWords, type DetectEnv } from '../../../src/model/server/detect.ts';
import { analyse } from '../../../src/report.ts';
import { hostileString, RUNS } from './arbitraries.ts';

const scratch = mkdtempSync(join(tmpdir(), 'pytuner-canary-'));
const CANARY = join(scratch, 'ran');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every way a shell, a Dockerfile or Python would run `touch CANARY`. */
const RUNNERS = [
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `; touch ${CANARY}`,
  `&& touch ${CANARY}`,
  `| touch ${CANARY}`,
  `\ntouch ${CANARY}\n`,
  `$(id)`,
  `"$(touch ${CANARY})"`,
  `<(touch ${CANARY})`,
  `__import__('os').system('touch ${CANARY}')`,
];

const SERVER_WORDS = ['gunicorn', 'uvicorn', 'uwsgi', 'waitress-serve', 'hypercorn', 'python', '-m', 'sh', '-c', 'exec', 'main:app', '--workers', '-w', '--threads', '--bind', ':8080', '$PORT', '$(PORT)', '${PORT:-8080}'];

const word = fc.oneof(fc.constantFrom(...SERVER_WORDS), fc.constantFrom(...RUNNERS), hostileString);
const argv = fc.array(word, { maxLength: 10 });
const script = argv.map((words) => words.join(' '));
const sources = fc.constantFrom<SourceKind>('manifest', 'Dockerfile', 'Procfile');

const evidenceOf = (source: SourceKind): Evidence => ({ source, file: 'input', line: 1, field: 'command' });

/** No word of a detected config holds what running `id` would print. */
function expectNothingRan(config: ServerConfig | undefined): void {
  for (const w of config?.argv ?? []) expect(w).not.toMatch(/uid=\d+/);
  expect(existsSync(CANARY)).toBe(false);
}

describe('command lines, property-based: nothing is run', () => {
  it('detectServer and shellWords, on argv and on sh -c scripts from every source', () => {
    fc.assert(
      fc.property(argv, script, sources, (words, text, source) => {
        expectNothingRan(detectServer(words, new Map(), evidenceOf(source)));
        expectNothingRan(detectServer(['/bin/sh', '-c', text], new Map(), evidenceOf(source)));
        for (const w of shellWords(text)) expect(w).not.toMatch(/uid=\d+/);
      }),
      { seed: 11, numRuns: RUNS },
    );
    expect(existsSync(CANARY)).toBe(false);
  });

  it('Dockerfiles, Procfiles and gunicorn.conf.py, through the whole report', () => {
    fc.assert(
      fc.property(script, script, fc.constantFrom('CMD', 'ENTRYPOINT', 'RUN', 'ENV X='), (cmd, web, instruction) => {
        const dockerfile = `FROM python:3.12-slim\n${instruction} ${cmd}\nCMD ${JSON.stringify(cmd.split(' '))}\n`;
        const procfile = `web: ${web}\n`;
        const conf = `import os\nworkers = ${web}\nos.system("touch ${CANARY}")\n`;
        expect(() => parseDockerfile('Dockerfile', dockerfile)).not.toThrow();
        expect(() => parseProcfile('Procfile', procfile)).not.toThrow();
        expect(() => parseGunicornConf('gunicorn.conf.py', conf)).not.toThrow();
        const report = analyse({
          documents: [],
          sources: [
            { kind: 'Dockerfile', file: 'Dockerfile', text: dockerfile },
            { kind: 'Procfile', file: 'Procfile', text: procfile },
            { kind: 'gunicorn.conf.py', file: 'gunicorn.conf.py', text: conf },
          ],
          errors: [],
          files: 3,
        });
        expect(JSON.stringify(report)).not.toMatch(/uid=\d+/);
        expect(existsSync(CANARY)).toBe(false);
      }),
      { seed: 12, numRuns: RUNS },
    );
  });
});

/** Values only running something could give: a command substitution, arithmetic, or a variable with no value here. */
const UNKNOWABLE: Record<'shell' | 'manifest', string[]> = {
  shell: ['$(nproc)', '`nproc`', '$((2 * 4))', '$UNSET', '${UNSET}', '"$FROM_SECRET"', '${FROM_SECRET}'],
  // The kubelet expands `$(VAR)` in command and args, from the container's env; nothing else.
  manifest: ['$(FROM_SECRET)', '$(UNSET_IN_SPEC)'],
};

/** FROM_SECRET is declared but read from a Secret (valueFrom): its value is not in the manifest. */
const ENV: DetectEnv = new Map([['FROM_SECRET', { evidence: { source: 'manifest', file: 'service.yaml', line: 20, field: 'env FROM_SECRET' } }]]);

/** Flags that do not touch workers or threads, to surround the unknowable ones. */
const NEUTRAL = ['--bind', ':8080', '--timeout', '30', '--preload', '--access-logfile', '-', '--log-level', 'info'];

const unknowable = fc.record({
  form: fc.constantFrom<'shell' | 'manifest'>('shell', 'manifest'),
  pick: fc.nat(),
  before: fc.subarray(NEUTRAL),
  after: fc.subarray(NEUTRAL),
  setting: fc.constantFrom('workers', 'threads'),
  spelling: fc.constantFrom('long', 'short', 'equals'),
});

function flag(setting: string, spelling: string, value: string): string[] {
  if (setting === 'workers' && spelling === 'short') return ['-w', value];
  if (spelling === 'equals') return [`--${setting}=${value}`];
  return [`--${setting}`, value];
}

describe('command lines, property-based: unknown stays unknown', () => {
  it('gunicorn --workers/--threads set by the shell or a Secret has no value and is not a default', () => {
    fc.assert(
      fc.property(unknowable, ({ form, pick, before, after, setting, spelling }) => {
        const forms = UNKNOWABLE[form];
        const value = forms[pick % forms.length] as string;
        const words = ['gunicorn', ...before, ...flag(setting, spelling, value), ...after, 'main:app'];
        const [argvToDetect, source]: [string[], SourceKind] = form === 'shell' ? [['/bin/sh', '-c', `exec ${words.join(' ')}`], 'Dockerfile'] : [words, 'manifest'];
        const config = detectServer(argvToDetect, ENV, evidenceOf(source));
        expect(config?.kind).toBe('gunicorn');
        const detected = setting === 'workers' ? config?.workers : config?.threads;
        expect(detected?.value, `${words.join(' ')}`).toBeUndefined();
        expect(detected?.isDefault).toBe(false);
      }),
      { seed: 13, numRuns: RUNS },
    );
  });

  it('and no finding of the report gives that setting, or the slots it makes, a number', () => {
    fc.assert(
      fc.property(unknowable, fc.constantFrom('Service', 'Deployment'), ({ pick, before, after, setting, spelling }, kind) => {
        const value = UNKNOWABLE.manifest[pick % UNKNOWABLE.manifest.length] as string;
        const args = [...before, ...flag(setting, spelling, value), ...after, 'main:app'];
        const workload = {
          apiVersion: kind === 'Service' ? 'serving.knative.dev/v1' : 'apps/v1',
          kind,
          metadata: { name: 'api', namespace: 'shop' },
          spec: { template: { spec: { containers: [{ name: 'app', image: 'api:1', command: ['gunicorn'], args, env: [{ name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }] } } },
        };
        const parsed = parseManifests('service.yaml', dump(workload));
        const report = analyse({ documents: parsed.documents, sources: [], errors: parsed.errors, files: 1 });
        expect(report.errors).toEqual([]);
        for (const finding of report.findings) {
          expect(typeof finding.current[setting], `${finding.rule} ${JSON.stringify(finding.current)}`).not.toBe('number');
          expect(typeof finding.current['requestSlots']).not.toBe('number');
          // Slots unknown: no rule may size containerConcurrency from them.
          if (finding.rule === 'concurrency.threads-mismatch') expect(finding.recommended['containerConcurrency']).toBeUndefined();
        }
      }),
      { seed: 14, numRuns: RUNS },
    );
  });

  it('build-context files a Dockerfile runs (scripts, python app.py, uWSGI ini, s6 run): read as text, never run, never a crash', () => {
    const python = fc.tuple(hostileString, script, fc.constantFrom('app.run(', 'uvicorn.run(', 'web.run_app(', 'app.run(debug=True, port=int(os.environ.get("PORT", 8080)))')).map(
      ([head, body, call]) => `from flask import Flask\nimport uvicorn, os\napp = Flask(__name__)\n${head}\n${call}${body}\n`,
    );
    const ini = fc.array(fc.oneof(fc.constantFrom('[uwsgi]', 'processes = 4', 'threads = $(id)', `harakiri = ${RUNNERS[0]}`), hostileString), { maxLength: 8 }).map((lines) => lines.join('\n'));
    fc.assert(
      fc.property(script, python, ini, (shell, py, conf) => {
        const report = analyse(
          {
            documents: [],
            sources: [
              { kind: 'Dockerfile', file: 'a/Dockerfile', text: 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nENTRYPOINT ["./start.sh"]\n' },
              { kind: 'build-context', file: 'a/start.sh', text: `#!/bin/sh\n${shell}\nexec uwsgi --ini /app/uwsgi.ini\n` },
              { kind: 'build-context', file: 'a/uwsgi.ini', text: conf },
              { kind: 'Dockerfile', file: 'b/Dockerfile', text: 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "main.py"]\n' },
              { kind: 'build-context', file: 'b/main.py', text: py },
              { kind: 'Dockerfile', file: 'c/Dockerfile', text: 'FROM python:3.12-slim\nCOPY rootfs/ /\nENTRYPOINT ["/init"]\n' },
              { kind: 'build-context', file: 'c/rootfs/etc/services.d/web/run', text: `#!/command/with-contenv sh\n${shell}\n` },
            ],
            errors: [],
            files: 7,
          },
          { platform: 'cloudrun' },
        );
        expect(existsSync(CANARY)).toBe(false);
        for (const finding of report.findings) expect(JSON.stringify(finding)).not.toMatch(/uid=\d+/);
      }),
      { seed: 15, numRuns: RUNS },
    );
  });
});
