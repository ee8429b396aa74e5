/**
 * @module What the bundle (scripts/bundle.ts) gives `@kubernetes/client-node` instead of undici's index; only it:
 * pytuner's own `import … from 'undici'` gets the whole package. The index loads every dispatcher, the mock agents,
 * the cache stores (node:sqlite), WebSocket and EventSource before it returns. client-node uses `fetch` (watches,
 * requests) with a dispatcher it builds from Agent or ProxyAgent: these three cost 38 ms of CPU to load where the
 * index costs 61 ms (Node 24.21, bundled, no compile cache). The index also adds request()/stream()/pipeline() to
 * Dispatcher.prototype; client-node calls none of them (fetch calls dispatch()).
 * Plain JavaScript because undici's internal files have no type declarations; esbuild fails the bundle if one moves.
 */
export { fetch } from 'undici/lib/web/fetch/index.js';
export { default as Agent } from 'undici/lib/dispatcher/agent.js';
export { default as ProxyAgent } from 'undici/lib/dispatcher/proxy-agent.js';
