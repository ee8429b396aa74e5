/**
 * @module One connection pool per KubeConfig. @kubernetes/client-node 2.0.1 builds a new undici Agent for every
 * request (`KubeConfig.applySecurityAuthentication` → `createDispatcher`), so every API call opens a new TLS
 * connection, parses the CA again and leaves the socket to idle out. Measured with `npm run bench:scale` (2,000
 * workloads, one controller): 45% of the controller's CPU went to TLS handshakes and secure contexts, and its peak RSS
 * was 685 MB. `reuseConnections` keeps the first dispatcher the KubeConfig builds and hands it to every later request,
 * as client-go keeps one transport per config: connections are kept alive and, over HTTP/2, multiplexed.
 * Headers (the bearer token, re-read by client-node on each request) are still applied per request; only the TLS
 * settings (CA, client certificate) are fixed at the first request, until the process restarts.
 */
import type { KubeConfig } from '@kubernetes/client-node';

/** What the wrapper reads and writes on a request (client-node's RequestContext). */
interface DispatcherHolder {
  getDispatcher(): unknown;
  setDispatcher(dispatcher: never): void;
}

const WRAPPED = Symbol('pytuner.reuseConnections');

/**
 * reuseConnections makes every request made with `kubeConfig` (typed clients, KubernetesObjectApi, watches and
 * informers) share one undici dispatcher. Idempotent; changes `kubeConfig` in place and returns it.
 */
export function reuseConnections(kubeConfig: KubeConfig): KubeConfig {
  const target = kubeConfig as KubeConfig & { [WRAPPED]?: true };
  if (target[WRAPPED]) return kubeConfig;
  const original = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  let shared: unknown;
  kubeConfig.applySecurityAuthentication = async (context) => {
    await original(context);
    const holder = context as unknown as DispatcherHolder;
    const created = holder.getDispatcher();
    // No dispatcher: plain http:// without TLS options, where fetch's global dispatcher already pools connections.
    if (created === undefined) return;
    shared ??= created;
    holder.setDispatcher(shared as never);
  };
  target[WRAPPED] = true;
  return kubeConfig;
}
