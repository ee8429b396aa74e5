// A real, throwaway Kubernetes control plane on loopback: etcd, kube-apiserver and a kube-controller-manager
// that runs only the garbage collector and the namespace controller. No kubelet, no scheduler: objects are
// stored, validated, defaulted, authorised, garbage-collected and finalised, but no Pod ever runs.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { loadCrdManifests, type CrdDocument, type CrdManifest } from './crds.ts';
import { httpsRequest, type HttpsRequestOptions, type HttpsResponse } from './https.ts';
import { defaultCrdDirs, isExecutable, scriptPath, type CrdDir } from './paths.ts';
import { createServerGroup, exitedError, freeLoopbackPorts, pollUntil, runScript, type ManagedProcess } from './processes.ts';

/** The user behind `restrictedToken`: authenticated, in no group but system:authenticated, bound to no role. */
export const RESTRICTED_USER = 'pytuner-restricted';
/** The user behind `adminToken`, in system:masters (which RBAC lets do anything). */
export const ADMIN_USER = 'pytuner-admin';
/** The field manager the harness applies CRDs with. */
const HARNESS_FIELD_MANAGER = 'pytuner-test-harness';

export interface ControlPlaneOptions {
  /** CRD directories to install; default: the repository's crds/ and the third-party CRDs from Go modules (defaultCrdDirs). */
  crdDirs?: CrdDir[];
  /** How long each server, and the CRDs, may take to become ready. */
  startTimeoutMs?: number;
  /** Receives one line per startup step (the cluster script prints them; tests need not). */
  onProgress?: (message: string) => void;
}

export interface StartupTimings {
  /** Finding (or, the first time, building) the binaries with scripts/install-envtest.sh. */
  binariesMs: number;
  /** From starting etcd to kube-apiserver answering /readyz and kube-controller-manager /healthz. */
  serversReadyMs: number;
  /** Applying the CRDs until every one is Established and listed in API discovery. */
  crdsReadyMs: number;
  totalMs: number;
}

export interface ControlPlane {
  kubeconfigPath: string;
  restrictedKubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** The CA certificate (PEM) that verifies the API server. */
  ca: string;
  adminToken: string;
  restrictedToken: string;
  /** The directory holding etcd, kube-apiserver, kube-controller-manager and kubectl. */
  binDir: string;
  /** metadata.name of every CRD installed. */
  crdNames: string[];
  timings: StartupTimings;
  /**
   * Stops kube-apiserver and starts it again with the same flags, port, certificates and etcd, so every object
   * and resource version survives; resolves once /readyz passes and every CRD is served again. Clients see
   * what an API server upgrade (or crash) shows them: watches ended, connections refused, then the same API.
   */
  restartApiserver(options?: RestartOptions): Promise<void>;
  /** Stops the servers and removes their directory; safe to call more than once. */
  stop(): Promise<void>;
}

export interface RestartOptions {
  /**
   * `graceful` (default): SIGTERM, then wait for the exit; the server ends its watches cleanly first.
   * `crash`: SIGKILL; open connections are cut mid-stream, as when the process or its node dies.
   */
  stop?: 'graceful' | 'crash';
  /** Runs while the server is down (a test's checks of its clients); the server is started again even if it throws. */
  whileDown?: () => Promise<void>;
}

interface ControlPlaneBinaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
}

interface Credentials {
  adminToken: string;
  restrictedToken: string;
  tokenFile: string;
  serviceAccountPublicKey: string;
  serviceAccountPrivateKey: string;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const progress = options.onProgress ?? (() => {});
  const began = performance.now();

  // Read the CRDs before starting anything, so that a malformed file fails at once.
  const crds = await loadCrdManifests(options.crdDirs ?? (await defaultCrdDirs()));
  const binaries = await locateBinaries();
  const binariesMs = performance.now() - began;

  const group = await createServerGroup('pytuner-control-plane-');
  const { dir } = group;
  try {
    const serversStarted = performance.now();
    const credentials = await writeCredentials(dir);
    const [etcdClientPort, etcdPeerPort, apiserverPort, kcmPort] = (await freeLoopbackPorts(4)) as [number, number, number, number];

    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    progress(`starting etcd on ${etcdUrl}`);
    const etcd = group.start('etcd', binaries.etcd, etcdArgs(dir, etcdUrl, `http://127.0.0.1:${etcdPeerPort}`));
    await waitForEtcd(etcd, etcdUrl, timeoutMs);

    const server = `https://127.0.0.1:${apiserverPort}`;
    progress(`starting kube-apiserver on ${server}`);
    const certDir = join(dir, 'apiserver-certs');
    const apiserverFlags = apiserverArgs(certDir, apiserverPort, etcdUrl, credentials);
    let apiserver = group.start('kube-apiserver', binaries.kubeApiserver, apiserverFlags);
    const caPem = await waitForApiserver(apiserver, server, join(certDir, 'apiserver.crt'), credentials.adminToken, timeoutMs);

    let stopped = false;
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    const restrictedKubeconfigPath = join(dir, 'restricted.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(server, caPem, ADMIN_USER, credentials.adminToken), { mode: 0o600 });
    await writeFile(restrictedKubeconfigPath, kubeconfigYaml(server, caPem, RESTRICTED_USER, credentials.restrictedToken), { mode: 0o600 });

    progress('starting kube-controller-manager (garbage collector, namespace controller)');
    const kcm = group.start('kube-controller-manager', binaries.kubeControllerManager, controllerManagerArgs(dir, kubeconfigPath, kcmPort));
    // The CRDs go in while the controller manager starts: neither waits for the other.
    const crdsStarted = performance.now();
    progress(`installing ${crds.length} CRDs`);
    const [serversReadyMs, [crdNames, crdsReadyMs]] = await Promise.all([
      waitForControllerManager(kcm, kcmPort, timeoutMs).then(() => performance.now() - serversStarted),
      installCrds({ server, ca: caPem, token: credentials.adminToken }, crds, timeoutMs).then((names) => [names, performance.now() - crdsStarted] as const),
    ]);

    return {
      kubeconfigPath,
      restrictedKubeconfigPath,
      server,
      ca: caPem,
      adminToken: credentials.adminToken,
      restrictedToken: credentials.restrictedToken,
      binDir: binaries.dir,
      crdNames,
      timings: { binariesMs, serversReadyMs, crdsReadyMs, totalMs: performance.now() - began },
      async restartApiserver({ stop = 'graceful', whileDown }: RestartOptions = {}) {
        if (stopped) throw new Error('restartApiserver: the control plane has been stopped');
        progress(`stopping kube-apiserver on ${server} (${stop})`);
        await (stop === 'crash' ? killAndWait(apiserver) : apiserver.stop());
        try {
          await whileDown?.();
        } finally {
          progress(`starting kube-apiserver again on ${server}`);
          // It finds its serving certificate in certDir and reuses it: the kubeconfigs' CA still verifies it.
          apiserver = group.start('kube-apiserver', binaries.kubeApiserver, apiserverFlags);
          await waitForApiserver(apiserver, server, join(certDir, 'apiserver.crt'), credentials.adminToken, timeoutMs);
          const target = { server, ca: caPem, token: credentials.adminToken };
          await Promise.all(crdNames.map((name) => pollUntil(`CRD ${name} to be served again`, () => crdServed(target, name), { timeoutMs, intervalMs: 100 })));
        }
      },
      stop: () => {
        stopped = true;
        return group.stop();
      },
    };
  } catch (err) {
    await group.stop();
    throw err;
  }
}

/**
 * scripts/install-envtest.sh prints the directory of the binaries, building them first when they are missing
 * (or it checks KUBEBUILDER_ASSETS), so a fresh clone needs no manual step.
 */
async function locateBinaries(): Promise<ControlPlaneBinaries> {
  const script = scriptPath('install-envtest.sh');
  const { lastLine: dir } = await runScript(script).catch((err: Error) => {
    throw new Error(`${err.message}. The control plane binaries come from that script, which builds them with Go, or from KUBEBUILDER_ASSETS`);
  });
  const binary = (name: string): string => {
    const path = join(dir, name);
    if (!isExecutable(path)) {
      const viaAssets = process.env.KUBEBUILDER_ASSETS
        ? ` (KUBEBUILDER_ASSETS is set; setup-envtest's assets have no kube-controller-manager: unset it to let ${script} build everything)`
        : '';
      throw new Error(`${name} not found or not executable in ${dir}${viaAssets}: run ${script} or set KUBEBUILDER_ASSETS to a directory that has it`);
    }
    return path;
  };
  return {
    dir,
    etcd: binary('etcd'),
    kubeApiserver: binary('kube-apiserver'),
    kubeControllerManager: binary('kube-controller-manager'),
    kubectl: binary('kubectl'),
  };
}

/** Bearer tokens for an admin and a restricted user, and the key pair that signs service account tokens. */
async function writeCredentials(dir: string): Promise<Credentials> {
  const adminToken = randomBytes(24).toString('hex');
  const restrictedToken = randomBytes(24).toString('hex');
  // --token-auth-file rows: token,user,uid[,"group1,group2"]. Everyone authenticated is also in system:authenticated.
  const tokenFile = join(dir, 'tokens.csv');
  await writeFile(tokenFile, `${adminToken},${ADMIN_USER},${ADMIN_USER},"system:masters"\n${restrictedToken},${RESTRICTED_USER},${RESTRICTED_USER}\n`, { mode: 0o600 });

  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const serviceAccountPublicKey = join(dir, 'sa.pub');
  const serviceAccountPrivateKey = join(dir, 'sa.key');
  await writeFile(serviceAccountPublicKey, publicKey);
  await writeFile(serviceAccountPrivateKey, privateKey, { mode: 0o600 });
  return { adminToken, restrictedToken, tokenFile, serviceAccountPublicKey, serviceAccountPrivateKey };
}

function etcdArgs(dir: string, clientUrl: string, peerUrl: string): string[] {
  return [
    '--name=pytuner',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=pytuner=${peerUrl}`,
    // A throwaway store: skipping fsync makes every write much cheaper, and a crash loses nothing of value.
    '--unsafe-no-fsync',
  ];
}

function apiserverArgs(certDir: string, port: number, etcdUrl: string, credentials: Credentials): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    // Without it the apiserver looks up the default route's address, which may not exist offline.
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    // The apiserver writes a self-signed serving certificate for 127.0.0.1 and localhost here.
    `--cert-dir=${certDir}`,
    `--token-auth-file=${credentials.tokenFile}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${credentials.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${credentials.serviceAccountPrivateKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    // The ServiceAccount admission plugin rejects every Pod in a namespace whose "default" ServiceAccount
    // does not exist yet; the serviceaccount controller that creates it does not run here (as in envtest).
    '--disable-admission-plugins=ServiceAccount',
    // The endpoint reconciler would publish 127.0.0.1 as the "kubernetes" Service's endpoint, which
    // validation rejects (loopback), and log the failure forever. Nothing here needs that endpoint.
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    // On SIGTERM, end open watches at once (clients re-watch) instead of holding them open: without it, stopping
    // the server while any watch was open (a controller under test) took until the harness's SIGKILL, 10 s later;
    // with it, about 1 s. Measured with one curl watch on v1.36.3.
    '--shutdown-watch-termination-grace-period=2s',
  ];
}

function controllerManagerArgs(dir: string, kubeconfigPath: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfigPath}`,
    // Owner references (garbage collector) and namespace deletion (namespace controller) are what tests
    // need; the other controllers would act on Pods and nodes that never exist here.
    '--controllers=garbage-collector-controller,namespace-controller',
    '--leader-elect=false',
    // Served only so that /healthz tells when the controllers have started.
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'kube-controller-manager-certs')}`,
  ];
}

/** SIGKILL, then wait until the process has exited. */
async function killAndWait(server: ManagedProcess): Promise<void> {
  server.killNow();
  await pollUntil(`${server.name} to exit after SIGKILL`, async () => (server.exitReason() === undefined ? undefined : true), { timeoutMs: 10_000, intervalMs: 20 });
}

async function waitForEtcd(etcd: ManagedProcess, url: string, timeoutMs: number): Promise<void> {
  await pollUntil(
    `etcd at ${url}/health`,
    async () => {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
      const body = (await response.json()) as { health?: string };
      return body.health === 'true' ? true : undefined;
    },
    { timeoutMs, abortIf: () => exitedError(etcd) },
  );
}

/** Waits for /readyz (which includes the RBAC bootstrap roles) and returns the CA that verifies the server. */
async function waitForApiserver(apiserver: ManagedProcess, server: string, caPath: string, token: string, timeoutMs: number): Promise<string> {
  return pollUntil(
    `kube-apiserver at ${server}/readyz`,
    async () => {
      const ca = await readFile(caPath, 'utf8'); // written by the apiserver early in its startup
      const { status, body } = await httpsRequest(`${server}/readyz`, { ca, token });
      if (status !== 200) throw new Error(`/readyz answered ${status}: ${failingChecks(body)}`);
      return ca;
    },
    { timeoutMs, abortIf: () => exitedError(apiserver) },
  );
}

async function waitForControllerManager(kcm: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  await pollUntil(
    `kube-controller-manager at https://127.0.0.1:${port}/healthz`,
    async () => {
      // Its certificate is self-signed and nothing secret is sent: only the health of a loopback server is read.
      const { status, body } = await httpsRequest(`https://127.0.0.1:${port}/healthz`, { insecure: true });
      if (status !== 200) throw new Error(`/healthz answered ${status}: ${failingChecks(body)}`);
      return true;
    },
    { timeoutMs, abortIf: () => exitedError(kcm) },
  );
}

function kubeconfigYaml(server: string, caPem: string, user: string, token: string): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'pytuner-test', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'pytuner-test', user, namespace: 'default' } }],
    'current-context': user,
  });
}

/** Where and as whom the harness talks to kube-apiserver. */
interface ApiserverTarget {
  server: string;
  ca: string;
  token: string;
}

/**
 * Server-side applies every CRD (idempotent, so it also works on a running control plane) and waits until
 * each is Established and its resource is listed in API discovery: clients that resolve kinds through
 * discovery (kubectl, KubernetesObjectApi) fail for a moment after Established otherwise.
 */
async function installCrds(target: ApiserverTarget, manifests: CrdManifest[], timeoutMs: number): Promise<string[]> {
  for (const { file, name, document } of manifests) {
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=${HARNESS_FIELD_MANAGER}&force=true`;
    const { status, body } = await apiserverRequest(target, path, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: JSON.stringify(document) });
    if (status >= 300) throw new Error(`applying CRD ${name} from ${file} failed with HTTP ${status}: ${statusMessage(body)}`);
  }
  return Promise.all(
    manifests.map(async ({ name }) => {
      await pollUntil(`CRD ${name} to be Established and discoverable`, () => crdServed(target, name), { timeoutMs, intervalMs: 100 });
      return name;
    }),
  );
}

interface CrdStatus {
  spec: CrdDocument['spec'];
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}

async function crdServed(target: ApiserverTarget, name: string): Promise<true | undefined> {
  const live = await apiserverJson<CrdStatus>(target, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
  const condition = (type: string) => live.status?.conditions?.find((c) => c.type === type);
  if (condition('NamesAccepted')?.status === 'False') throw new Error(`names not accepted: ${condition('NamesAccepted')?.message}`);
  if (condition('Established')?.status !== 'True') return undefined;
  for (const version of live.spec.versions.filter((v) => v.served)) {
    const discovery = await apiserverJson<{ resources: { name: string }[] }>(target, `/apis/${live.spec.group}/${version.name}`);
    if (!discovery.resources.some((r) => r.name === live.spec.names.plural)) return undefined;
  }
  return true;
}

function apiserverRequest(target: ApiserverTarget, path: string, options: HttpsRequestOptions = {}): Promise<HttpsResponse> {
  return httpsRequest(`${target.server}${path}`, { ...options, ca: target.ca, token: target.token });
}

async function apiserverJson<T>(target: ApiserverTarget, path: string): Promise<T> {
  const { status, body } = await apiserverRequest(target, path);
  if (status !== 200) throw new Error(`GET ${path} answered ${status}: ${statusMessage(body)}`);
  return JSON.parse(body) as T;
}

/** The message of a Kubernetes Status body, or the body itself. */
function statusMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}

/** The failed checks ("[-]name failed: …") of a /readyz or /healthz answer, or the answer itself. */
function failingChecks(body: string): string {
  const failed = body.split('\n').filter((line) => line.startsWith('[-]'));
  return failed.length > 0 ? failed.join(', ') : body.trim();
}
