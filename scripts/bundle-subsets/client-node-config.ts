/**
 * @module What the bundle (scripts/bundle.ts) gives the modules the controller loads before it is ready instead of
 * client-node.ts: the kubeconfig and the API clients' configuration, nothing that names an API client or a model
 * class. A module of its own because esbuild places a whole module in the chunk of the first entry that reaches it:
 * through client-node.ts, which also exports the API clients, every API client and model class was loaded before
 * ready. A name a pre-ready module imports and this list lacks fails the bundle ("No matching export").
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
