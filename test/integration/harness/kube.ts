// Clients for integration tests, built on the control plane that global-setup.ts provides.
import { randomBytes } from 'node:crypto';
import { ApiException, AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { transportFor } from '../../../src/input/kubeHttp.ts';

export interface Clients {
  kubeConfig: KubeConfig;
  /** Any kind, custom resources included; resolves kinds through API discovery. */
  objects: KubernetesObjectApi;
  /** Custom resources by group, version and plural, with every query parameter (fieldValidation, force…). */
  custom: CustomObjectsApi;
  core: CoreV1Api;
  apps: AppsV1Api;
  coordination: CoordinationV1Api;
  rbac: RbacAuthorizationV1Api;
}

/** Clients acting as a member of system:masters. */
export function adminClients(): Clients {
  return clientsFor(inject('controlPlane').kubeconfigPath);
}

/** Clients acting as the restricted user (RESTRICTED_USER in controlPlane.ts), which no role is bound to. */
export function restrictedClients(): Clients {
  return clientsFor(inject('controlPlane').restrictedKubeconfigPath);
}

const clientsByKubeconfig = new Map<string, Clients>();

/** Clients for any kubeconfig, e.g. of a control plane a test file starts for itself; one set per file path. */
export function clientsFor(kubeconfigPath: string): Clients {
  let clients = clientsByKubeconfig.get(kubeconfigPath);
  if (!clients) {
    clients = makeClients(kubeconfigPath);
    clientsByKubeconfig.set(kubeconfigPath, clients);
  }
  return clients;
}

function makeClients(kubeconfigPath: string): Clients {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  // The controller's transport (src/input/kubeHttp.ts): the tests' requests share its connection pool.
  const transport = transportFor(kubeConfig);
  return {
    kubeConfig,
    objects: transport.api(KubernetesObjectApi),
    custom: transport.api(CustomObjectsApi),
    core: transport.api(CoreV1Api),
    apps: transport.api(AppsV1Api),
    coordination: transport.api(CoordinationV1Api),
    rbac: transport.api(RbacAuthorizationV1Api),
  };
}

/**
 * Creates a namespace named `<prefix>-<random>` (as admin) and returns its name. Each test works in its
 * own, so test files can run in parallel against the one control plane.
 */
export async function uniqueNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new Error(`namespace name ${name} is not a DNS label: use a short lower-case prefix`);
  await adminClients().core.createNamespace({ body: { metadata: { name, labels: { ...labels, 'pytuner.dev/test': 'integration' } } } });
  return name;
}

/** The parts of a Kubernetes Status (an API error body) tests assert on, with the HTTP status code. */
export interface KubeStatus {
  httpStatus: number;
  reason?: string;
  message?: string;
  details?: { causes?: { reason?: string; message?: string; field?: string }[] };
}

/** Awaits a request expected to fail and returns the API server's Status; fails if it succeeds or fails otherwise. */
export async function apiFailure(request: Promise<unknown>): Promise<KubeStatus> {
  try {
    await request;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { ...(body as Omit<KubeStatus, 'httpStatus'>), httpStatus: err.code };
  }
  throw new Error('the request succeeded, but the test expected the API server to refuse it');
}

/** True when `request` fails with 404 Not Found: for waiting until an object is gone. */
export async function isGone(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return false;
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return true;
    throw err;
  }
}
