import { describe, expect, it } from 'vitest';
import { EMPTY_REPORT, FIXTURE_REPORT } from '../../test/golden/report-fixture.ts';
import type { Finding } from '../model/finding.ts';
import type { Report } from '../report.ts';
import { kubectlResource, planPatchFiles, safeSegment } from './patches.ts';

function report(findings: Finding[]): Report {
  return { ...EMPTY_REPORT, findings };
}

function finding(rule: string, fix: Finding['fix'], name = 'web'): Finding {
  return {
    rule,
    severity: 'warning',
    target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name, container: 'app', file: 'd.yaml', line: 1 },
    message: rule,
    current: {},
    recommended: {},
    evidence: [],
    fix,
  };
}

describe('planPatchFiles', () => {
  it('writes one patch, one fragment and one created object per object, plus the source diff, commands and README', () => {
    expect(planPatchFiles(FIXTURE_REPORT).map((f) => f.path)).toEqual([
      '123456789/service-api.apply.yaml',
      '123456789/service-api.patch.json',
      'README.txt',
      'commands.sh',
      'config-connector/iampolicymember-api-cloudprofiler-agent.yaml',
      'source.patch',
    ]);
  });

  it('writes only a README saying so when no finding has a fix', () => {
    const files = planPatchFiles(EMPTY_REPORT);
    expect(files.map((f) => f.path)).toEqual(['README.txt']);
    expect(files[0]?.content).toContain('No fixes to write');
  });

  it('writes a conflicting finding on its own and names the conflict in the README', () => {
    const files = planPatchFiles(
      report([
        finding('replicas-a', { jsonPatch: [{ op: 'replace', path: '/spec/replicas', value: 2 }] }),
        finding('replicas-b', { jsonPatch: [{ op: 'replace', path: '/spec/replicas', value: 3 }] }),
      ]),
    );
    const byPath = new Map(files.map((f) => [f.path, f.content]));
    expect(byPath.get('shop/deployment-web.patch.json')).toBe('[\n  {"op":"replace","path":"/spec/replicas","value":2}\n]\n');
    expect(byPath.get('shop/deployment-web.replicas-b.patch.json')).toBe('[\n  {"op":"replace","path":"/spec/replicas","value":3}\n]\n');
    expect(byPath.get('README.txt')).toContain(
      '  replicas-b on Deployment shop/web[app]: conflicts with replicas-a at /spec/replicas; written on its own to shop/deployment-web.replicas-b.patch.json',
    );
  });

  it('writes an object two findings want created once, and each command once', () => {
    const member = { apiVersion: 'iam.cnrm.cloud.google.com/v1beta1', kind: 'IAMPolicyMember', metadata: { name: 'm' } };
    const files = planPatchFiles(
      report([
        finding('p', { create: [member], commands: ['gcloud x'] }, 'a'),
        finding('p', { create: [member], commands: ['gcloud x'] }, 'b'),
      ]),
    );
    expect(files.map((f) => f.path)).toEqual(['README.txt', 'commands.sh', 'shop/iampolicymember-m.yaml']);
    expect(files[1]?.content.match(/gcloud x/g)).toHaveLength(1);
  });

  it('leaves an overlapping source edit out of source.patch', () => {
    const files = planPatchFiles(
      report([
        finding('a', { edits: [{ file: 'Dockerfile', line: 3, before: 'CMD x', after: 'CMD y' }] }),
        finding('b', { edits: [{ file: 'Dockerfile', line: 3, before: 'CMD x', after: 'CMD z' }] }),
      ]),
    );
    const byPath = new Map(files.map((f) => [f.path, f.content]));
    expect(byPath.get('source.patch')).toBe('--- Dockerfile\n+++ Dockerfile\n@@ -3 +3 @@\n-CMD x\n+CMD y\n');
    expect(byPath.get('README.txt')).toContain('  b: its edit of Dockerfile:3 overlaps an edit by a; left out of source.patch (see -o json)');
  });

  it('never writes outside the directory, whatever the names in the manifests', () => {
    const hostile = { ...finding('a', { jsonPatch: [{ op: 'remove', path: '/x' }] }), target: { kind: 'Service', namespace: '..', name: '../../etc/passwd', file: 'f', line: 1 } };
    const paths = planPatchFiles(report([hostile])).map((f) => f.path);
    expect(paths).toEqual(['README.txt', '_./service-_._.._etc_passwd.patch.json']);
    expect(safeSegment('')).toBe('_');
  });
});

describe('kubectlResource', () => {
  it('qualifies kinds of named API groups, so a Knative Service is not taken for a core one', () => {
    expect(kubectlResource('Service', 'serving.knative.dev/v1')).toBe('service.serving.knative.dev');
    expect(kubectlResource('Deployment', 'apps/v1')).toBe('deployment.apps');
    expect(kubectlResource('ServiceAccount', 'v1')).toBe('serviceaccount');
  });
});
