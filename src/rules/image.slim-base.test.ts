import { describe, expect, it } from 'vitest';
import { deployment, dockerfile, inventory } from '../../test/builders/index.ts';
import { parseImageRef } from '../parse/dockerfile.ts';
import { slimBase, slimTag } from './image.slim-base.ts';

const evidence = { source: 'Dockerfile' as const, file: 'Dockerfile', line: 1, field: 'FROM' };
const tagFor = (ref: string) => slimTag(parseImageRef(ref, evidence));

describe('image.slim-base', () => {
  it('maps full python tags to their slim variants', () => {
    expect(tagFor('python:3.12')).toBe('3.12-slim');
    expect(tagFor('python:3.12.4')).toBe('3.12.4-slim');
    expect(tagFor('python:3')).toBe('3-slim');
    expect(tagFor('python:3.14.0rc1')).toBe('3.14.0rc1-slim');
    expect(tagFor('python:3.12-bookworm')).toBe('3.12-slim-bookworm');
    expect(tagFor('python:3.11-bullseye')).toBe('3.11-slim-bullseye');
    expect(tagFor('python:trixie')).toBe('slim-trixie');
    expect(tagFor('python:latest')).toBe('slim');
    expect(tagFor('python')).toBe('slim');
    expect(tagFor('docker.io/library/python:3.12')).toBe('3.12-slim');
  });

  it('leaves slim, alpine, Windows, ARG-built, digest-pinned and other images alone', () => {
    for (const ref of ['python:3.12-slim', 'python:3.12-slim-bookworm', 'python:slim', 'python:3.12-alpine', 'python:3.12-windowsservercore', 'python:${PY}', 'python:3.12@sha256:abc', 'python@sha256:abc', 'pypy:3.10', 'gcr.io/x/python:3.12']) {
      expect(tagFor(ref), ref).toBeUndefined();
    }
  });

  it('reports a standalone Dockerfile once, with a line edit of its FROM', () => {
    const image = dockerfile('svc/Dockerfile').from('python:3.12-bookworm').run('pip install -r requirements.txt').cmd('gunicorn main:app');
    const [finding, ...rest] = slimBase.check(inventory().standaloneImage(image).build());
    expect(rest).toEqual([]);
    expect(finding!.changes?.map((c) => [c.setting, c.from, c.to, c.location])).toEqual([['baseImage', 'python:3.12-bookworm', 'python:3.12-slim-bookworm', { kind: 'source', file: 'svc/Dockerfile', line: 1, span: { start: 17, end: 17, text: 'slim-' } }]]);
    expect({ ...finding, changes: undefined }).toEqual({
      changes: undefined,
      rule: 'image.slim-base',
      severity: 'info',
      target: { kind: 'Dockerfile', name: 'svc/Dockerfile', file: 'svc/Dockerfile', line: 1 },
      message: 'final stage is based on python:3.12-bookworm, the full Debian image with compilers and headers it does not need at run time; python:3.12-slim-bookworm has the same Python in a smaller image',
      current: { base: 'python:3.12-bookworm' },
      recommended: { base: 'python:3.12-slim-bookworm' },
      evidence: [{ source: 'Dockerfile', file: 'svc/Dockerfile', line: 1, field: 'FROM', text: 'FROM python:3.12-bookworm' }],
      fix: {
        edits: [{ file: 'svc/Dockerfile', line: 1, before: 'FROM python:3.12-bookworm', after: 'FROM python:3.12-slim-bookworm' }],
        notes: ['slim has no gcc: packages without a wheel for your platform need a build stage on the full image that builds wheels, copied into the slim stage'],
      },
    });
  });

  it('checks the final stage only, and a Dockerfile joined to two workloads once', () => {
    const multi = (d: ReturnType<typeof dockerfile>) => d.from('python:3.12', 'build').run('pip wheel -w /w .').from('python:3.12-slim').cmd('gunicorn main:app');
    expect(slimBase.check(inventory(deployment('a').container((c) => c.dockerfile(multi).gunicorn())).build())).toEqual([]);
    const full = (d: ReturnType<typeof dockerfile>) => d.from('python:3').cmd('gunicorn main:app');
    const twice = inventory(deployment('a').container((c) => c.dockerfile(full).gunicorn()), deployment('b').container((c) => c.dockerfile(full).gunicorn())).build();
    expect(slimBase.check(twice).map((f) => f.recommended)).toEqual([{ base: 'python:3-slim' }]);
  });

  it('replaces a bare `python` with python:slim', () => {
    const [finding] = slimBase.check(inventory().standaloneImage(dockerfile().from('python').cmd('python app.py')).build());
    expect(finding!.fix!.edits).toEqual([{ file: 'Dockerfile', line: 1, before: 'FROM python', after: 'FROM python:slim' }]);
  });
});
