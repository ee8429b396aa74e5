import { describe, expect, it } from 'vitest';
import type { LoadedInputs } from '../parse/types.ts';
import { analyse } from '../report.ts';
import { RULES } from '../rules/index.ts';
import { sourcesOnly } from '../../test/support/inputs.ts';

type Findings = ReturnType<typeof analyse>['findings'];

/** Each finding's writes of an env value in its JSON patch, by rule. */
function envWrites(findings: Findings) {
  return findings.flatMap((f) => (f.fix?.jsonPatch ?? []).filter((op) => op.op !== 'test' && op.path.includes('/env')).map((op) => ({ rule: f.rule, op })));
}

/** Each finding's edits of `file`, by rule: the line after. */
function editsOf(findings: Findings, file: string) {
  return findings.flatMap((f) => (f.fix?.edits ?? []).filter((e) => e.file === file).map((e) => ({ rule: f.rule, after: e.after })));
}

function service(containerConcurrency: number, args: string[], cpu: string, env?: { name: string; value: string }[]): LoadedInputs {
  const object = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'shop', namespace: 'shop' },
    spec: {
      template: {
        spec: {
          containerConcurrency,
          containers: [{ name: 'app', image: 'example.com/shop:1', args, ...(env === undefined ? {} : { env }), ports: [{ containerPort: 8080 }], resources: { limits: { cpu } }, startupProbe: { httpGet: { path: '/healthz', port: 8080 } } }],
        },
      },
    },
  };
  return { documents: [{ file: 'service.yaml', line: 1, docIndex: 0, object }], sources: [], errors: [], files: 1 };
}

describe('solver: containerConcurrency re-aimed at the slots after a workers change', () => {
  it('restates the message from its typed advice: the value it names is the one the fix writes', () => {
    // 80 admitted, 1 worker × 8 threads on 4 vCPU: workers go to 4, so 32 slots, not the 8 read.
    const { findings } = analyse(service(80, ['gunicorn', '--bind', ':8080', '--workers', '1', '--threads', '8', '--preload', 'main:app'], '4'));
    const mismatch = findings.find((f) => f.rule === 'concurrency.threads-mismatch')!;
    expect(mismatch.advice?.value).toBe(32);
    expect(mismatch.message).toBe('containerConcurrency 80 admits 80 requests but gunicorn serves 8 at a time (1 worker × 8 threads): 72 wait in its backlog; set containerConcurrency to 32 (the 32 request slots after workers 1 → 4)');
    expect(mismatch.recommended.containerConcurrency).toBe(32);
    expect(mismatch.fix?.jsonPatch?.at(-1)).toEqual({ op: 'replace', path: '/spec/template/spec/containerConcurrency', value: 32 });
  });
});

describe('solver: words of GUNICORN_CMD_ARGS from several findings', () => {
  it("writes startup.probe-missing's --preload with gunicorn.timeout's --timeout 0 in one value", () => {
    // No startup probe, no health path, no --timeout: probe-missing proposes --preload, gunicorn.timeout --timeout 0.
    const inputs = service(1, ['gunicorn', '--bind', ':8080', 'main:app'], '1');
    const container = (inputs.documents[0]!.object as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }).spec.template.spec.containers[0]!;
    delete container.startupProbe;
    const { findings } = analyse(inputs);
    const probe = findings.find((f) => f.rule === 'startup.probe-missing')!;
    const timeout = findings.find((f) => f.rule === 'gunicorn.timeout')!;
    expect(probe.changes?.map((c) => [c.setting, c.from, c.to, c.location])).toEqual([['preload', false, true, { kind: 'env', container: 'app', name: 'GUNICORN_CMD_ARGS', words: '--preload' }]]);
    const env = '/spec/template/spec/containers/0/env';
    const writes = findings.flatMap((f) => (f.fix?.jsonPatch ?? []).filter((op) => op.path.startsWith(env)).map((op) => [f.rule, op]));
    expect(writes).toEqual([[timeout.rule, { op: 'add', path: env, value: [{ name: 'GUNICORN_CMD_ARGS', value: '--timeout 0 --preload' }] }]]);
    expect(probe.fix?.notes).toContain('its env change is written by the fix of gunicorn.timeout, once for all of them');
  });
});

describe('solver: findings a winning change makes true', () => {
  it('reports startup.heavy-init with its --preload fix when the workers fix raises workers from one', () => {
    const { findings } = analyse(service(8, ['gunicorn', '--bind', ':8080', '--workers', '1', '--threads', '8', 'main:app'], '4'));
    const heavy = findings.filter((f) => f.rule === 'startup.heavy-init');
    expect(heavy.map((f) => f.message)).toEqual([
      "gunicorn will import the app in each of its 4 workers once gunicorn.workers-vs-cpu raises them from 1 (no --preload): every cold start pays the import time and the app's memory 4 times; consider --preload",
    ]);
    // gunicorn.timeout appends --timeout 0 to the same var: one write carries both.
    const env = findings.flatMap((f) => (f.fix?.jsonPatch ?? []).filter((op) => op.path.includes('/env')));
    expect(env).toEqual([{ op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'GUNICORN_CMD_ARGS', value: '--timeout 0 --preload' }] }]);
    expect(heavy[0]!.changes?.map((c) => [c.setting, c.to])).toEqual([['preload', true]]);
  });

  it('adds nothing when gunicorn already preloads, or workers stay at one', () => {
    const preloaded = analyse(service(8, ['gunicorn', '--bind', ':8080', '--workers', '1', '--threads', '8', '--preload', 'main:app'], '4'));
    expect(preloaded.findings.filter((f) => f.rule === 'startup.heavy-init')).toEqual([]);
    const one = analyse(service(8, ['gunicorn', '--bind', ':8080', '--workers', '1', '--threads', '8', 'main:app'], '1'));
    expect(one.findings.filter((f) => f.rule === 'startup.heavy-init')).toEqual([]);
  });
});

describe('solver: a follower only for a rule that ran on a workload that does not ignore it', () => {
  const raising = () => service(8, ['gunicorn', '--bind', ':8080', '--workers', '1', '--threads', '8', 'main:app'], '4');

  it('adds no startup.heavy-init when the run did not select that rule', () => {
    const only = RULES.filter((rule) => rule.id === 'gunicorn.workers-vs-cpu');
    expect(analyse(raising(), { rules: only }).findings.map((f) => f.rule)).toEqual(['gunicorn.workers-vs-cpu']);
  });

  it('adds no startup.heavy-init on a workload annotated pytuner.dev/ignore: startup.heavy-init', () => {
    const inputs = raising();
    (inputs.documents[0]!.object as { metadata: Record<string, unknown> }).metadata.annotations = { 'pytuner.dev/ignore': 'startup.heavy-init' };
    const rules = analyse(inputs).findings.map((f) => f.rule);
    expect(rules).toContain('gunicorn.workers-vs-cpu');
    expect(rules).not.toContain('startup.heavy-init');
  });
});

describe('solver: a flag rewritten inside GUNICORN_CMD_ARGS and words appended to it', () => {
  it('become one write holding both: applied one after the other, apart, the second would undo the first', () => {
    const { findings } = analyse(service(8, ['gunicorn', '--bind', ':8080', '--workers', '4', '--threads', '8', 'main:app'], '1', [{ name: 'GUNICORN_CMD_ARGS', value: '--timeout 30' }]));
    // gunicorn.timeout rewrites --timeout 30 → 0 inside the var; startup.heavy-init (workers 4 → 1 on 1 vCPU) appends --preload.
    expect(envWrites(findings)).toEqual([{ rule: 'gunicorn.timeout', op: { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '--timeout 0 --preload' } }]);
    expect(findings.find((f) => f.rule === 'startup.heavy-init')?.fix?.notes).toContain('its env change is written by the fix of gunicorn.timeout, once for all of them');
  });
});

describe('solver: words several findings append to GUNICORN_CMD_ARGS on a service a gcloud run deploy command deploys', () => {
  it('are one --update-env-vars in one edit of the command, next to the --concurrency the solver settled on', () => {
    const { findings } = analyse(
      sourcesOnly(
        { kind: 'Dockerfile', file: 'Dockerfile', text: 'FROM python:3.12-slim\nCMD exec gunicorn --bind :$PORT --workers 4 --threads 8 main:app\n' },
        { kind: 'deploy-script', file: 'deploy.sh', text: '#!/bin/sh\ngcloud run deploy svc --source . --concurrency 80 --region us-central1\n' },
      ),
    );
    // gunicorn.timeout appends --timeout 0, startup.heavy-init and startup.probe-missing --preload; workers 4 → 1 leaves 8 slots.
    expect(editsOf(findings, 'deploy.sh')).toEqual([{ rule: 'concurrency.threads-mismatch', after: "gcloud run deploy svc '--update-env-vars=GUNICORN_CMD_ARGS=--timeout 0 --preload' --source . --concurrency 8 --region us-central1" }]);
    expect(findings.find((f) => f.rule === 'startup.heavy-init')?.fix?.notes).toContain('its GUNICORN_CMD_ARGS words are written by the fix of gunicorn.timeout, in one value with the others\'');
  });
});

describe('solver: flags several findings rewrite inside one GUNICORN_CMD_ARGS', () => {
  it('become one write of the var holding both (--workers and --timeout): apart, the second applied would undo the first', () => {
    const { findings } = analyse(service(8, ['gunicorn', '--bind', ':8080', 'main:app'], '1', [{ name: 'GUNICORN_CMD_ARGS', value: '--workers 4 --threads 8 --timeout 30 --preload' }]));
    // gunicorn.workers-vs-cpu: --workers 4 → 1 on 1 vCPU; gunicorn.timeout: --timeout 30 → 0; nothing appended.
    expect(envWrites(findings)).toEqual([{ rule: 'gunicorn.workers-vs-cpu', op: { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '--workers 1 --threads 8 --timeout 0 --preload' } }]);
    expect(findings.find((f) => f.rule === 'gunicorn.timeout')?.fix?.notes).toContain('its env change is written by the fix of gunicorn.workers-vs-cpu, once for all of them');
  });

  it('and the words others append, in one --update-env-vars of the gcloud run deploy command that deploys the service', () => {
    const { findings } = analyse(
      sourcesOnly(
        { kind: 'Dockerfile', file: 'Dockerfile', text: 'FROM python:3.12-slim\nENV GUNICORN_CMD_ARGS="--workers 4 --threads 8 --timeout 30"\nCMD exec gunicorn --bind :$PORT main:app\n' },
        { kind: 'deploy-script', file: 'deploy.sh', text: '#!/bin/sh\ngcloud run deploy svc --source . --region us-central1\n' },
      ),
    );
    // --workers 4 → 1 and --timeout 30 → 0 inside the var, --preload appended (startup.heavy-init, startup.probe-missing).
    expect(editsOf(findings, 'deploy.sh')).toEqual([{ rule: 'concurrency.threads-mismatch', after: "gcloud run deploy svc --concurrency=8 '--update-env-vars=GUNICORN_CMD_ARGS=--workers 1 --threads 8 --timeout 0 --preload' --source . --region us-central1" }]);
    expect(findings.find((f) => f.rule === 'gunicorn.timeout')?.fix?.notes).toContain('its GUNICORN_CMD_ARGS words are written by the fix of gunicorn.workers-vs-cpu, in one value with the others\'');
  });
});
