/**
 * @module What the bundle (scripts/bundle.ts) gives pytuner instead of `@kubernetes/client-node`'s index: the same
 * names, each from the file that defines it. The index re-exports every API group, exec/attach/port-forward/cp (ws,
 * tar-fs, socks) and the auth plugins' clients; through it the bundle held 17.5 MB of JavaScript, through this list
 * 4.9 MB. A name the source imports from `@kubernetes/client-node` and this list lacks fails the bundle ("No matching
 * export"), so the list cannot silently fall behind the code.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { KubernetesObjectApi } from '@kubernetes/client-node/dist/object.js';
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
export { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
export { setHeaderOptions } from '@kubernetes/client-node/dist/middleware.js';
export { V1MicroTime } from '@kubernetes/client-node/dist/types.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export {
  ObjectCoordinationV1Api as CoordinationV1Api,
  ObjectCustomObjectsApi as CustomObjectsApi,
  ObjectEventsV1Api as EventsV1Api,
} from '@kubernetes/client-node/dist/gen/types/ObjectParamAPI.js';
