import { describe, expect, it } from 'vitest';
import type { IamServiceAccount } from '../../parse/schemas.ts';
import { memberText, resourceText, serviceAccountEmails } from './iam.ts';

const gsa = (name: string, namespace?: string, project?: string, resourceID?: string): IamServiceAccount => ({
  apiVersion: 'iam.cnrm.cloud.google.com/v1beta1',
  kind: 'IAMServiceAccount',
  metadata: { name, ...(namespace === undefined ? {} : { namespace }), ...(project === undefined ? {} : { annotations: { 'cnrm.cloud.google.com/project-id': project } }) },
  ...(resourceID === undefined ? {} : { spec: { resourceID } }),
});

describe('serviceAccountEmails', () => {
  it('computes emails only where the project is annotated', () => {
    const emails = serviceAccountEmails([gsa('web', 'shop', 'shop-prod'), gsa('api', undefined, 'p', 'api-runtime'), gsa('unknown', 'shop')]);
    expect([...emails]).toEqual([
      ['shop/web', 'web@shop-prod.iam.gserviceaccount.com'],
      ['/api', 'api-runtime@p.iam.gserviceaccount.com'],
    ]);
  });
});

describe('memberText', () => {
  const emails = serviceAccountEmails([gsa('web', 'shop', 'shop-prod'), gsa('api', undefined, 'p')]);

  it('keeps a member as written', () => {
    expect(memberText('serviceAccount:x@p.iam.gserviceaccount.com', undefined, 'shop', emails)).toBe('serviceAccount:x@p.iam.gserviceaccount.com');
  });

  it('resolves a serviceAccountRef to an email when the account is among the inputs', () => {
    expect(memberText(undefined, { serviceAccountRef: { name: 'web' } }, 'shop', emails)).toBe('serviceAccount:web@shop-prod.iam.gserviceaccount.com');
    expect(memberText(undefined, { serviceAccountRef: { name: 'api', namespace: 'any' } }, undefined, emails)).toBe('serviceAccount:api@p.iam.gserviceaccount.com');
  });

  it('keeps other refs as <refKind>:<namespace>/<name>', () => {
    expect(memberText(undefined, { serviceAccountRef: { name: 'web' } }, 'other', emails)).toBe('serviceAccountRef:other/web');
    expect(memberText(undefined, { serviceAccountRef: { name: 'x' } }, undefined, emails)).toBe('serviceAccountRef:x');
    expect(memberText(undefined, { logSinkRef: { name: 'sink', namespace: 'logs' } }, 'shop', emails)).toBe('logSinkRef:logs/sink');
  });
});

describe('resourceText', () => {
  it.each([
    [{ kind: 'Project', external: 'projects/shop-prod' }, 'Project/shop-prod'],
    [{ kind: 'Project', external: 'shop-prod' }, 'Project/shop-prod'],
    [{ kind: 'Project', name: 'shop-project' }, 'Project/shop-project'],
    [{ kind: 'Project' }, 'Project'],
    [{ kind: 'StorageBucket', external: 'my-bucket' }, 'StorageBucket/my-bucket'],
  ])('%j → %s', (ref, text) => {
    expect(resourceText(ref)).toBe(text);
  });
});
