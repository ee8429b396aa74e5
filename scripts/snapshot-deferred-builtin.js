/**
 * @module What the startup snapshot's bundle (scripts/bundle.ts, bundleSnapshot) gives every importer of a builtin
 * that Node cannot keep in a snapshot (node:http, node:https, node:http2, node:tls, node:sqlite: a snapshot build
 * that loads one aborts in V8's CheckGlobalAndEternalHandles, Node 24.21): a stand-in that loads the builtin on the
 * first read of one of its exports, which the modules of the controller's start-up path do only inside functions,
 * after the snapshot is deserialized. Its keys (esbuild's interop copies them when a module is imported) come from
 * the Node that bundled it, so listing them loads nothing. A read while the snapshot is built throws, naming the
 * builtin and the export: the bundle would otherwise abort with a message naming neither.
 */
import { startupSnapshot } from 'node:v8';

/**
 * deferredBuiltin returns the stand-in for the builtin `name`, whose exports were `keys` when bundled.
 * @param {string} name
 * @param {readonly string[]} keys
 */
export function deferredBuiltin(name, keys) {
  let loaded;
  const load = (key) => {
    if (startupSnapshot.isBuildingSnapshot()) throw new Error(`${name}.${String(key)} read while building the startup snapshot: read it inside a function (see scripts/snapshot-deferred-builtin.js)`);
    return (loaded ??= process.getBuiltinModule(name));
  };
  const known = new Set(keys);
  return new Proxy(
    {},
    {
      get: (_, key) => Reflect.get(load(key), key),
      set: (_, key, value) => Reflect.set(load(key), key, value),
      has: (_, key) => (loaded === undefined ? known.has(key) : Reflect.has(loaded, key)),
      ownKeys: () => (loaded === undefined ? [...known] : Reflect.ownKeys(loaded)),
      // Reported configurable whatever the builtin says: a proxy may not report a non-configurable property that its
      // (empty) target lacks. The value is read through get.
      getOwnPropertyDescriptor: (_, key) => (known.has(key) || (loaded !== undefined && key in loaded) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined),
    },
  );
}
