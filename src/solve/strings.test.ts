import { describe, expect, it } from 'vitest';
import { applySpans } from '../model/change.ts';
import type { LoadedInputs } from '../parse/types.ts';
import type { Finding } from '../model/finding.ts';
import { analyse } from '../report.ts';
import { combineLineEdits } from './strings.ts';
import { sourcesOnly } from '../../test/support/inputs.ts';

describe('applySpans', () => {
  it('writes spans that do not overlap, in the order of the string, adjacent ones too', () => {
    const line = 'FROM python:3.12 AS runtime';
    expect(applySpans(line, [{ start: 16, end: 16, text: '-slim' }, { start: 12, end: 16, text: '3.10' }])).toBe('FROM python:3.10-slim AS runtime');
    expect(applySpans(line, [])).toBe(line);
  });

  it('writes one span once when two changes write the same', () => {
    expect(applySpans('--workers 2', [{ start: 10, end: 11, text: '4' }, { start: 10, end: 11, text: '4' }])).toBe('--workers 4');
  });

  it('refuses overlapping spans and two insertions at one place', () => {
    expect(applySpans('--workers 2', [{ start: 10, end: 11, text: '4' }, { start: 10, end: 11, text: '8' }])).toBeUndefined();
    expect(applySpans('--workers 24', [{ start: 10, end: 12, text: '4' }, { start: 11, end: 12, text: '8' }])).toBeUndefined();
    expect(applySpans('python:3.12', [{ start: 11, end: 11, text: '-slim' }, { start: 11, end: 11, text: '-alpine' }])).toBeUndefined();
  });
});

function service(args: string[]): LoadedInputs {
  const object = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'shop' },
    spec: {
      template: {
        spec: {
          containerConcurrency: 2,
          containers: [{ name: 'api', image: 'example.com/api:1', args, ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '1' } }, startupProbe: { httpGet: { path: '/healthz', port: 8080 } } }],
        },
      },
    },
  };
  return { documents: [{ file: 'service.yaml', line: 1, docIndex: 0, object }], sources: [], errors: [], files: 1 };
}

describe('one edit of a string two findings rewrite', () => {
  it('writes --workers and --timeout of one `sh -c` string in one replace, carried by the first finding', () => {
    const shell = 'exec gunicorn --bind :8080 --workers 2 --timeout 30 --preload main:app';
    const { findings } = analyse(service(['sh', '-c', shell]));
    const workers = findings.find((f) => f.rule === 'gunicorn.workers-vs-cpu')!;
    const timeout = findings.find((f) => f.rule === 'gunicorn.timeout')!;
    const element = '/spec/template/spec/containers/0/args/2';
    expect(workers.fix?.jsonPatch?.filter((op) => op.path === element)).toEqual([
      { op: 'test', path: element, value: shell },
      { op: 'replace', path: element, value: 'exec gunicorn --bind :8080 --workers 1 --timeout 0 --preload main:app' },
    ]);
    expect(timeout.fix?.jsonPatch).toBeUndefined();
    expect(workers.fix?.alsoFixes).toEqual([timeout]);
    expect(timeout.fix?.notes).toContain('its change of args[2] is written by the fix of gunicorn.workers-vs-cpu, in one edit of the string');
    // The typed changes stay each finding's own.
    expect(timeout.changes?.map((c) => [c.setting, c.from, c.to])).toEqual([['workerTimeout', 30, 0]]);
  });

  it('leaves exec-form flags, each its own element, as separate patches', () => {
    const { findings } = analyse(service(['gunicorn', '--bind', ':8080', '--workers', '2', '--timeout', '30', '--preload', 'main:app']));
    const paths = (rule: string) => findings.find((f) => f.rule === rule)?.fix?.jsonPatch?.filter((op) => op.op === 'replace').map((op) => op.path);
    expect(paths('gunicorn.timeout')).toEqual(['/spec/template/spec/containers/0/args/6']);
    expect(paths('gunicorn.workers-vs-cpu')).toEqual(['/spec/template/spec/containers/0/args/4', '/spec/template/spec/containerConcurrency']);
  });
});

describe('one edit of a gcloud run deploy command line that two findings add flags to', () => {
  const before = 'gcloud run deploy api --source .';
  const finding = (rule: string, flag: string, envVar?: string): Finding => ({
    rule,
    severity: 'warning',
    target: { kind: 'Service', name: 'api', file: 'deploy.sh', line: 1 },
    message: rule,
    current: {},
    recommended: {},
    evidence: [],
    fix: { edits: [{ file: 'deploy.sh', line: 1, before, after: `gcloud run deploy api ${flag} --source .`, flags: [{ flag: flag.slice(0, flag.indexOf('=')), span: { start: 21, end: 21, text: ` ${flag}` }, ...(envVar === undefined ? {} : { envVar }) }] }] },
  });

  it('writes both flags in one edit, from the spans the edits carry, in report order', () => {
    const concurrency = finding('concurrency.threads-mismatch', '--concurrency=8');
    const env = finding('gunicorn.timeout', '--update-env-vars=GUNICORN_CMD_ARGS=--timeout=0', 'GUNICORN_CMD_ARGS');
    combineLineEdits([concurrency, env]);
    expect(concurrency.fix?.edits).toEqual([{ file: 'deploy.sh', line: 1, before, after: 'gcloud run deploy api --concurrency=8 --update-env-vars=GUNICORN_CMD_ARGS=--timeout=0 --source .' }]);
    expect(concurrency.fix?.alsoFixes).toEqual([env]);
    expect(env.fix?.edits).toBeUndefined();
    expect(env.fix?.notes).toEqual(['its flag on deploy.sh:1 is written by the fix of concurrency.threads-mismatch, in one edit of the gcloud run deploy command']);
  });

  it('defers a second finding that adds the same env var: the next run adds to the first one`s value', () => {
    const first = finding('gunicorn.timeout', '--update-env-vars=GUNICORN_CMD_ARGS=--timeout=0', 'GUNICORN_CMD_ARGS');
    const second = finding('startup.heavy-init', '--update-env-vars=GUNICORN_CMD_ARGS=--preload', 'GUNICORN_CMD_ARGS');
    combineLineEdits([first, second]);
    expect(first.fix?.edits?.map((e) => e.after)).toEqual(['gcloud run deploy api --update-env-vars=GUNICORN_CMD_ARGS=--timeout=0 --source .']);
    expect(second.fix?.edits).toBeUndefined();
    expect(second.fix?.notes).toEqual(['its edit of the gcloud run deploy command at deploy.sh:1 sets an env var that the fix of gunicorn.timeout sets too: apply that one, then run pytuner again']);
  });
});

describe('a containerConcurrency the solver changes on a service a gcloud run deploy command deploys', () => {
  it('is written to the command`s --concurrency, not to an object no file holds', () => {
    const { findings } = analyse(
      sourcesOnly(
        { kind: 'Dockerfile', file: 'api/Dockerfile', text: 'FROM python:3.12-slim\nCMD exec gunicorn --bind :$PORT --workers 4 --threads 8 main:app\n' },
        { kind: 'deploy-script', file: 'deploy.sh', text: '#!/bin/sh\ngcloud run deploy shop-api --source api --region us-central1\n' },
      ),
    );
    const concurrency = findings.find((f) => f.rule === 'concurrency.threads-mismatch')!;
    // gunicorn.workers-vs-cpu takes workers 4 → 1, which leaves 8 request slots, not the 32 read.
    expect(concurrency.recommended.containerConcurrency).toBe(8);
    expect(concurrency.fix?.jsonPatch ?? []).toEqual([]);
    expect(concurrency.fix?.edits?.map((e) => e.after)).toEqual([expect.stringMatching(/^gcloud run deploy shop-api --concurrency=8 /)]);
  });
});
