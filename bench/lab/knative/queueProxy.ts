/**
 * @module Knative's real queue-proxy (knative.dev/serving cmd/queue, built by install-queue-proxy.sh) in front of the
 * lab's server, with the environment the Knative controller wrote into the revision's Deployment (cluster.ts).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServerGroup, exitedError, pollUntil } from '../../../test/integration/harness/processes.ts';
import { readAllProcStats } from '../procstat.ts';
import { inCgroup } from '../server.ts';

/** The queue-proxy's serving port (hard-coded by Knative: QUEUE_SERVING_PORT). */
export const QUEUE_URL = 'http://127.0.0.1:8012';

/**
 * What Knative 1.18's revision reconciler adds to the queue-proxy's environment and 1.23's does not write (it moved to
 * OBSERVABILITY_CONFIG): request metrics in Prometheus form on :9091, as 1.18's config-observability defaults give.
 * The 1.18 queue-proxy reads everything else it needs under the same names 1.23's controller writes.
 */
export const LEGACY_QUEUE_ENV: Readonly<Record<string, string>> = {
  SERVING_REQUEST_METRICS_BACKEND: 'prometheus',
  SERVING_REQUEST_METRICS_REPORTING_PERIOD_SECONDS: '5',
  METRICS_DOMAIN: 'knative.dev/internal/serving',
  TRACING_CONFIG_BACKEND: 'none',
};

export interface RunningQueueProxy {
  pid: number;
  containerConcurrency: number;
  stop(): Promise<void>;
}

/** The queue-proxy (or the autoscaler) binary of knative.dev/serving `version`, built once into the cache. */
export async function queueProxyBinary(version: string, command: 'queue' | 'autoscaler' = 'queue'): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [join(import.meta.dirname, 'install-queue-proxy.sh'), version, command], { maxBuffer: 1 << 20 });
  return stdout.trimEnd().split('\n').at(-1)!;
}

/**
 * Starts the queue-proxy with `env` and `containerConcurrency` (0: no breaker), in the `cgroup` directories when given
 * (its container's, for the lab's cAdvisor); ready once a request reaches the app.
 */
export async function startQueueProxy(binary: string, env: Record<string, string>, containerConcurrency: number, cgroup?: readonly string[]): Promise<RunningQueueProxy> {
  const group = await createServerGroup('pytuner-lab-queue-');
  try {
    const process_ = group.start('queue-proxy', ...inCgroup(cgroup, binary, []), { ...env, CONTAINER_CONCURRENCY: String(containerConcurrency) });
    await pollUntil(
      'the queue-proxy to pass a request to the app',
      async () => {
        const response = await fetch(`${QUEUE_URL}/healthz`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return response.ok ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, abortIf: () => exitedError(process_) },
    );
    const pid = readAllProcStats().find((p) => p.ppid === process.pid && p.comm === 'queue')?.pid;
    if (pid === undefined) throw new Error('the queue-proxy answers but no child process of the lab is named queue');
    return { pid, containerConcurrency, stop: group.stop };
  } catch (err) {
    await group.stop();
    throw err;
  }
}
