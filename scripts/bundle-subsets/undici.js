/**
 * @module What the bundle (scripts/bundle.ts) gives `@kubernetes/client-node` and src/controller/kubeHttp.ts instead
 * of undici's index; only them: pytuner's other `import … from 'undici'` (the Prometheus client) gets the whole
 * package. The index loads every dispatcher, the mock agents, the cache stores (node:sqlite), WebSocket and
 * EventSource before it returns. client-node uses `fetch` (watches, requests) and kubeHttp.ts too (discovery, lists),
 * with a dispatcher client-node builds from Agent or ProxyAgent: these three cost 38 ms of CPU to load where the index
 * costs 61 ms (Node 24.21, bundled, no compile cache). The index also adds request()/stream()/pipeline() to
 * Dispatcher.prototype; neither calls them (fetch calls dispatch()).
 * Plain JavaScript because undici's internal files have no type declarations; esbuild fails the bundle if one moves.
 */
export { fetch } from 'undici/lib/web/fetch/index.js';
export { default as Agent } from 'undici/lib/dispatcher/agent.js';
export { default as ProxyAgent } from 'undici/lib/dispatcher/proxy-agent.js';
