import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../parse/manifests.ts';
import { builtImageMatches, imageMatches } from './join.ts';
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

describe('builtImageMatches', () => {
  it.each([
    ['us-central1-docker.pkg.dev/${PROJECT_ID}/models/fastdash:latest', 'us-central1-docker.pkg.dev/PROJECT_ID/models/fastdash:latest', true],
    ['us-central1-docker.pkg.dev/${PROJECT_ID}/models/fastdash:latest', 'us-central1-docker.pkg.dev/my-proj/models/fastdash:v3', true],
    ['gcr.io/$PROJECT_ID/api:$SHORT_SHA', 'gcr.io/acme/api@sha256:abc', true],
    ['${_REGION}-docker.pkg.dev/$PROJECT_ID/${_REPO}/api', 'europe-west1-docker.pkg.dev/acme/apps/api:1', true],
    // A variable in the manifest (an envsubst template) matches the build config's literal segment.
    ['gcr.io/acme/api', 'gcr.io/${PROJECT_ID}/api:1', true],
    ['frontend', 'frontend', true],
    ['gcr.io/p/api', 'gcr.io/p/api', true],
    // Strict otherwise: a variable is one segment, names must be equal, no registry defaults or suffixes.
    ['gcr.io/${PROJECT_ID}/api', 'gcr.io/acme/team/api', false],
    ['gcr.io/$PROJECT_ID/api', 'gcr.io/acme/api-worker', false],
    ['gcr.io/$PROJECT_ID/api', 'eu.gcr.io/acme/api', false],
    ['api', 'gcr.io/acme/api', false],
    ['frontend', 'docker.io/library/frontend', false],
    // A name that is only a substitution could be any image.
    ['${_IMAGE}', 'mysql:8.0', false],
    ['gcr.io/$PROJECT_ID/${_SERVICE}', 'gcr.io/acme/api', false],
    ['gcr.io/acme/api', 'gcr.io/acme/${IMAGE_NAME}:1', false],
    ['gcr.io/acme/${_SERVICE}-api', 'gcr.io/acme/orders-api', true],
  ])('%s built, %s run: %s', (built, image, expected) => {
    expect(builtImageMatches(built, image)).toBe(expected);
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
