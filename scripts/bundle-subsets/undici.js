/**
 * @module What the bundle (scripts/bundle.ts) gives `@kubernetes/client-node` and src/input/kubeHttp.ts instead of
 * undici's index; only them: pytuner's other `import … from 'undici'` (the Prometheus client) gets the whole package.
 * The names they use, `fetch`, `Agent` and `ProxyAgent`, load undici's files on their first call, not when the
 * controller starts: client-node's KubeConfig (config.js) imports Agent and ProxyAgent and its API clients fetch, but
 * before ready the controller calls neither (kubeHttp.ts reads over Node's own HTTP/2 client), so undici is evaluated
 * after ready, by the first write through an API client, if at all. Loading its fetch, Agent and their WHATWG streams
 * and headers cost about 25 ms of CPU at start-up (Node 24.21, bundled, compile cache) before this.
 * The index would also load every dispatcher, the mock agents, the cache stores (node:sqlite), WebSocket and
 * EventSource, and add request()/stream()/pipeline() to Dispatcher.prototype; neither caller uses them (fetch calls
 * dispatch()). `new Agent(…)` returns undici's own Agent (a constructor that returns an object gives that object);
 * neither caller subclasses these or checks `instanceof`. The `require` calls are bundled by esbuild and run when
 * called. Plain JavaScript because undici's internal files have no type declarations; esbuild fails the bundle if one
 * moves.
 */

export function fetch(...args) {
  return require('undici/lib/web/fetch/index.js').fetch(...args);
}

export function Agent(...args) {
  return new (require('undici/lib/dispatcher/agent.js'))(...args);
}

export function ProxyAgent(...args) {
  return new (require('undici/lib/dispatcher/proxy-agent.js'))(...args);
}
