/**
 * @module What the bundle (scripts/bundle.ts) gives client-node's config.js (its KubeConfig) for `socks`,
 * `socks-proxy-agent` and `hpagent`: the same names, whose packages load when first used. config.js uses them only
 * for a kubeconfig cluster with a `proxy-url` (SOCKS or HTTP proxy), and only when building an agent or a dispatcher,
 * never to read the kubeconfig; imported as they are, their modules (and ip-address, which `socks` evaluates at load:
 * its IPv6 constants) ran before the controller could be ready on every start, proxy or not.
 * `new SocksProxyAgent(…)` and the others return the package's own instance (a constructor that returns an object
 * gives that object), so the agent client-node builds is the package's, not a wrapper; config.js neither subclasses
 * them nor checks `instanceof`. The `require` calls are bundled by esbuild and run only when these are called.
 * Plain JavaScript, as the other subsets; a name config.js imports and this list lacks fails the bundle.
 */

export function SocksProxyAgent(...args) {
  return new (require('socks-proxy-agent').SocksProxyAgent)(...args);
}

export function HttpProxyAgent(...args) {
  return new (require('hpagent').HttpProxyAgent)(...args);
}

export function HttpsProxyAgent(...args) {
  return new (require('hpagent').HttpsProxyAgent)(...args);
}

export const SocksClient = {
  createConnection(...args) {
    return require('socks').SocksClient.createConnection(...args);
  },
};
