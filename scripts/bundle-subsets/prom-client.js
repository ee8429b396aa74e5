/**
 * @module What the bundle (scripts/bundle.ts) gives pytuner instead of prom-client's index, which also loads Summary
 * (tdigest, bintrees), the Pushgateway (http, https, zlib) and the cluster AggregatorRegistry (node:cluster): the
 * classes the controller's metrics use, from their own files. 11 ms of CPU to load instead of 31 ms (Node 24.21,
 * bundled). A name src/ imports from 'prom-client' and this list lacks fails the bundle ("No matching export").
 * Plain JavaScript because prom-client's internal files have no type declarations.
 */
export { default as Registry } from 'prom-client/lib/registry.js';
export { default as Counter } from 'prom-client/lib/counter.js';
export { default as Gauge } from 'prom-client/lib/gauge.js';
export { default as Histogram } from 'prom-client/lib/histogram.js';

/**
 * The default process metrics load on their first call: their modules (perf_hooks' event-loop-delay monitor, v8's heap
 * statistics, @opentelemetry/api for the CPU metric) are not needed to become ready, and the controller registers them
 * once its caches have synced (src/controller/main.ts). The `require` is bundled by esbuild and runs when called.
 */
export function collectDefaultMetrics(...args) {
  return require('prom-client/lib/defaultMetrics.js')(...args);
}
