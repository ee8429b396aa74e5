import { describe, expect, it } from 'vitest';
import { dockerWords, parseDockerfile, parseImageRef } from './dockerfile.ts';

const parse = (...lines: string[]) => parseDockerfile('app/Dockerfile', `${lines.join('\n')}\n`);
const envOf = (image: ReturnType<typeof parse>['image']) => Object.fromEntries([...image.env].map(([k, v]) => [k, v.value]));

describe('parseDockerfile', () => {
  it('reads an exec-form CMD with its line and evidence', () => {
    const { image, errors } = parse('FROM python:3.12-slim', 'WORKDIR /app', 'CMD ["gunicorn", "--bind", ":8080", "main:app"]');
    expect(errors).toEqual([]);
    expect(image.cmd).toEqual({
      argv: ['gunicorn', '--bind', ':8080', 'main:app'],
      evidence: { source: 'Dockerfile', file: 'app/Dockerfile', line: 3, field: 'CMD', text: 'CMD ["gunicorn", "--bind", ":8080", "main:app"]' },
    });
    expect(image.entrypoint).toBeUndefined();
  });

  it('turns a shell-form CMD into /bin/sh -c text', () => {
    const { image } = parse('FROM python:3.12', 'CMD exec gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 main:app');
    expect(image.cmd?.argv).toEqual(['/bin/sh', '-c', 'exec gunicorn --bind :$PORT --workers 1 --threads 8 --timeout 0 main:app']);
  });

  it('uses the SHELL instruction for the shell form', () => {
    const { image } = parse('FROM python:3.12', 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]', 'ENTRYPOINT gunicorn app:app');
    expect(image.entrypoint?.argv).toEqual(['/bin/bash', '-o', 'pipefail', '-c', 'gunicorn app:app']);
  });

  it('runs a bracketed CMD that is not JSON through the shell, as Docker does', () => {
    const { image, errors } = parse('FROM python:3.12', "CMD ['gunicorn', 'app:app']");
    expect(image.cmd?.argv).toEqual(['/bin/sh', '-c', "['gunicorn', 'app:app']"]);
    expect(errors).toEqual([]);
  });

  it('keeps the last CMD and lets ENTRYPOINT reset an inherited CMD only', () => {
    const inherited = parse('FROM python:3.12 AS base', 'CMD ["python"]', 'FROM base', 'ENTRYPOINT ["gunicorn"]');
    expect(inherited.image.cmd).toBeUndefined();
    expect(inherited.image.entrypoint?.argv).toEqual(['gunicorn']);
    const sameStage = parse('FROM python:3.12', 'CMD ["a"]', 'CMD ["app:app"]', 'ENTRYPOINT ["gunicorn"]');
    expect(sameStage.image.cmd?.argv).toEqual(['app:app']);
  });

  it('reads instructions case-insensitively', () => {
    const { image, errors } = parse('from python:3.12 as app', 'env A=1', 'cmd ["x"]');
    expect(errors).toEqual([]);
    expect(image.base?.repository).toBe('python');
    expect(envOf(image)).toEqual({ A: '1' });
    expect(image.cmd?.argv).toEqual(['x']);
  });

  it('follows the last stage; FROM <stage> inherits its base image, ENV and CMD', () => {
    const { image } = parse(
      'FROM python:3.12-alpine AS builder',
      'ENV PYTHONUNBUFFERED=1 THREADS=4',
      'RUN apk add --no-cache build-base',
      'CMD ["gunicorn", "app:app"]',
      'FROM builder AS runtime',
      'ENV THREADS=8',
      'RUN pip install google-cloud-profiler',
    );
    expect(image.base?.ref).toBe('python:3.12-alpine');
    expect(image.base?.evidence.line).toBe(1);
    expect(envOf(image)).toEqual({ PYTHONUNBUFFERED: '1', THREADS: '8' });
    expect(image.env.get('THREADS')?.evidence.line).toBe(6);
    expect(image.env.get('PYTHONUNBUFFERED')?.evidence).toEqual({ source: 'Dockerfile', file: 'app/Dockerfile', line: 2, field: 'ENV', text: 'PYTHONUNBUFFERED=1' });
    expect(image.cmd?.argv).toEqual(['gunicorn', 'app:app']);
    expect(image.runs.map((r) => [r.stage, r.final, r.text])).toEqual([
      [0, true, 'apk add --no-cache build-base'],
      [1, true, 'pip install google-cloud-profiler'],
    ]);
  });

  it('does not carry a build stage into an unrelated final stage', () => {
    const { image } = parse('FROM python:3.12 AS build', 'ENV A=1', 'RUN pip wheel .', 'FROM python:3.12-slim', 'COPY --from=build /w /w');
    expect(image.base?.tag).toBe('3.12-slim');
    expect(image.env.size).toBe(0);
    expect(image.runs.map((r) => [r.stage, r.final])).toEqual([[0, false]]);
  });

  it('substitutes ARGs declared before FROM, with defaults and fallbacks', () => {
    const { image, errors } = parse('ARG PY_VERSION=3.11', 'ARG VARIANT', 'FROM python:${PY_VERSION}-${VARIANT:-slim}', 'CMD ["x"]');
    expect(errors).toEqual([]);
    expect(image.base).toMatchObject({ ref: 'python:3.11-slim', repository: 'python', tag: '3.11-slim' });
  });

  it('keeps an ARG with no value as written, since its value comes from the build', () => {
    const { image } = parse('ARG BASE', 'FROM ${BASE}:3.12');
    expect(image.base?.ref).toBe('${BASE}:3.12');
  });

  it('reads ENV in key=value, quoted and legacy forms, substituting earlier values', () => {
    const { image } = parse(
      'FROM python:3.12',
      'ARG DEFAULT_THREADS=8',
      'ENV A=1 B="two words" C=x\\ y',
      'ENV LEGACY value with spaces',
      'ENV THREADS=$DEFAULT_THREADS PATH=/venv/bin:$PATH',
      'ENV D=${A}-${MISSING:-fallback} E=\'$A\' F=a;b#c',
    );
    expect(envOf(image)).toEqual({
      A: '1',
      B: 'two words',
      C: 'x y',
      LEGACY: 'value with spaces',
      THREADS: '8',
      PATH: '/venv/bin:$PATH',
      D: '1-fallback',
      E: '$A',
      F: 'a;b#c',
    });
  });

  it('joins continuation lines, skipping comments and blank lines inside them', () => {
    const { image, errors } = parse(
      'FROM python:3.12',
      'RUN apt-get update && \\',
      '    # a comment inside the command',
      '',
      '    apt-get install -y gcc',
      'CMD gunicorn \\',
      '    --workers 2 \\',
      '    app:app',
    );
    expect(errors).toEqual([]);
    expect(image.runs[0]?.text).toBe('apt-get update &&     apt-get install -y gcc');
    expect(image.runs[0]?.evidence.line).toBe(2);
    expect(image.cmd?.argv).toEqual(['/bin/sh', '-c', 'gunicorn     --workers 2     app:app']);
    expect(image.cmd?.evidence.line).toBe(6);
    expect(image.lines.at(-1)).toEqual({ file: 'app/Dockerfile', line: 6, text: 'CMD gunicorn \\\n    --workers 2 \\\n    app:app' });
  });

  it('honours the escape parser directive (backtick)', () => {
    const { image, errors } = parse('# escape=`', 'FROM python:3.12', 'ENV DIR=C:\\app', 'CMD gunicorn `', '  app:app');
    expect(errors).toEqual([]);
    expect(envOf(image)).toEqual({ DIR: 'C:\\app' });
    expect(image.cmd?.argv).toEqual(['/bin/sh', '-c', 'gunicorn   app:app']);
  });

  it('ignores the syntax directive and reads heredoc bodies as part of RUN', () => {
    const { image, errors } = parse('# syntax=docker/dockerfile:1', 'FROM python:3.12', 'RUN <<EOF', 'pip install gunicorn', 'FROM not-an-instruction', 'EOF', 'CMD ["gunicorn"]');
    expect(errors).toEqual([]);
    expect(image.runs.map((r) => r.text)).toEqual(['<<EOF\npip install gunicorn\nFROM not-an-instruction']);
    expect(image.base?.ref).toBe('python:3.12');
    expect(image.cmd?.argv).toEqual(['gunicorn']);
  });

  it('keeps FROM, CMD, ENTRYPOINT and ENV lines for fixes', () => {
    const { image } = parse('FROM python:3.12', 'ENV A=1', 'RUN true', 'ENTRYPOINT ["x"]', 'CMD ["y"]');
    expect(image.lines.map((l) => [l.line, l.text])).toEqual([
      [1, 'FROM python:3.12'],
      [2, 'ENV A=1'],
      [4, 'ENTRYPOINT ["x"]'],
      [5, 'CMD ["y"]'],
    ]);
  });

  it('has no base for FROM scratch', () => {
    expect(parse('FROM scratch', 'CMD ["/app"]').image.base).toBeUndefined();
  });

  it('reports unknown instructions, instructions before FROM, and a missing FROM', () => {
    expect(parse('RUN echo hi', 'FROM python:3.12', 'FORM x').errors).toEqual([
      { file: 'app/Dockerfile', line: 1, message: 'RUN before the first FROM' },
      { file: 'app/Dockerfile', line: 3, message: 'unknown instruction FORM' },
    ]);
    expect(parse('# only a comment').errors).toEqual([{ file: 'app/Dockerfile', message: 'no FROM instruction' }]);
  });

  it('skips --platform and other FROM flags', () => {
    expect(parse('FROM --platform=$BUILDPLATFORM python:3.12 AS build').image.base?.ref).toBe('python:3.12');
  });
});

describe('parseImageRef', () => {
  const ev = { source: 'Dockerfile' as const, field: 'FROM' };
  it.each([
    ['python:3.12-slim', 'python', '3.12-slim', undefined],
    ['python', 'python', undefined, undefined],
    ['library/python:3.12', 'python', '3.12', undefined],
    ['docker.io/library/python:3.12', 'python', '3.12', undefined],
    ['docker.io/python:3.12', 'python', '3.12', undefined],
    ['docker.io/bitnami/python:3.12', 'bitnami/python', '3.12', undefined],
    ['gcr.io/x/y:1', 'gcr.io/x/y', '1', undefined],
    ['localhost:5000/py:dev', 'localhost:5000/py', 'dev', undefined],
    ['python@sha256:abc', 'python', undefined, 'sha256:abc'],
    ['python:3.12@sha256:abc', 'python', '3.12', 'sha256:abc'],
  ])('%s → %s %s %s', (ref, repository, tag, digest) => {
    const base = parseImageRef(ref, ev);
    expect([base.repository, base.tag, base.digest]).toEqual([repository, tag, digest]);
    expect(base.ref).toBe(ref);
  });
});

describe('dockerWords', () => {
  it('splits like BuildKit, not like a shell', () => {
    expect(dockerWords(`a "b c" 'd $X' e\\ f $X \${X:+set} \${Y:+set}`, (n) => (n === 'X' ? 'x' : undefined))).toEqual(['a', 'b c', 'd $X', 'e f', 'x', 'set', '']);
  });
});
