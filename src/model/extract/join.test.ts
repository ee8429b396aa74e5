import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../parse/manifests.ts';
import { imageMatches } from './join.ts';
import { annotatedSourcePaths, normalizePath, resolveAgainstManifest } from './sourceAnnotation.ts';

describe('imageMatches', () => {
  it.each([
    ['gcr.io/p/api:v2', 'gcr.io/p/api', true],
    ['gcr.io/p/api@sha256:abc', 'gcr.io/p/api', true],
    ['gcr.io/p/api:v2@sha256:abc', 'gcr.io/p/api', true],
    ['gcr.io/p/api:v2@sha256:abc', 'gcr.io/p/api:v2', true],
    ['gcr.io/p/api:v2', 'gcr.io/p/api:v2', true],
    ['gcr.io/p/api:v2', 'gcr.io/p/api:v3', false],
    ['gcr.io/p/api', 'gcr.io/p/api:v2', false],
    ['gcr.io/p/api-worker:v2', 'gcr.io/p/api', false],
    ['localhost:5000/api:1', 'localhost:5000/api', true],
    ['gcr.io/p/api@sha256:abc', 'gcr.io/p/api@sha256:abc', true],
  ])('%s matched by %s: %s', (image, match, expected) => {
    expect(imageMatches(image, match)).toBe(expected);
  });
});

describe('source paths', () => {
  it('normalises spellings of one path', () => {
    expect(['./api/', 'api', 'api//', 'x/../api'].map(normalizePath)).toEqual(['api', 'api', 'api', 'api']);
    expect(normalizePath('./')).toBe('.');
    expect(normalizePath('/')).toBe('/');
  });

  it('resolves an annotation against the manifest directory, or the working directory for stdin', () => {
    expect(resolveAgainstManifest('deploy/k8s/svc.yaml', '../../src/api')).toBe('src/api');
    expect(resolveAgainstManifest('svc.yaml', './src')).toBe('src');
    expect(resolveAgainstManifest('deploy/svc.yaml', '/abs/src')).toBe('/abs/src');
    expect(resolveAgainstManifest('-', 'src/api/')).toBe('src/api');
  });

  it('lists annotated source paths of raw documents for the CLI to load', () => {
    const text = [
      'kind: Service',
      'metadata: {name: a, annotations: {pytuner.dev/source: ../src/a}}',
      '---',
      'kind: Deployment',
      'metadata: {name: b}',
      'spec: {template: {metadata: {annotations: {pytuner.dev/source: b}}}}',
      '---',
      'kind: Service',
      'metadata: {name: c, annotations: {pytuner.dev/source: 42}}',
      '---',
      'kind: ConfigMap',
    ].join('\n');
    expect(annotatedSourcePaths(parseManifests('deploy/all.yaml', text).documents)).toEqual(['src/a', 'deploy/b']);
  });
});
