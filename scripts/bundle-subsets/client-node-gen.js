/**
 * @module What the bundle (scripts/bundle.ts) gives client-node's config.js (its KubeConfig) instead of `gen/index.js`:
 * the two names it imports from there. gen/index.js also re-exports every API client and, through them, the
 * ObjectSerializer and its 757 model classes; esbuild places a module in the chunk of every entry that reaches it
 * through a re-export, so through gen/index.js all of them were loaded with the KubeConfig, before the controller is
 * ready. A name config.js imports and this list lacks fails the bundle ("No matching export").
 */
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
