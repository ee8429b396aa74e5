/**
 * @module The lab's network namespace. Knative's queue-proxy hard-codes :8012, :8022, :9090 and :9091 and the
 * autoscaler :8080, and the autoscaler refuses a loopback POD_IP; on a shared machine those ports may be anyone's.
 * So `npm run lab` re-runs itself in a network namespace of its own (`unshare --net`, root or CAP_SYS_ADMIN), where
 * only loopback exists, with two more addresses on it: the revision pod's IP and the autoscaler's. Everything of the
 * Knative path (control plane, Knative processes, Prometheus, the servers, wrk, pytuner) runs in there; the builds
 * that need the Go module proxy run before, outside.
 */
import { spawn } from 'node:child_process';

/** The revision pod's IP: the queue-proxy answers the autoscaler's scrapes on it, Prometheus scrapes it there. */
export const POD_IP = '10.244.0.11';
/** The autoscaler's POD_IP (not loopback: it refuses 127.0.0.0/8). */
export const AUTOSCALER_IP = '10.244.0.10';
const INSIDE = 'PYTUNER_LAB_NETNS';

export function insideLabNetns(): boolean {
  return process.env[INSIDE] === '1';
}

/** Runs this process's command again inside a new network namespace and resolves with its exit code. */
export function rerunInLabNetns(): Promise<number> {
  const setup = `ip link set lo up && ip addr add ${POD_IP}/32 dev lo && ip addr add ${AUTOSCALER_IP}/32 dev lo && exec "$@"`;
  const child = spawn('unshare', ['--net', '--', 'sh', '-c', setup, 'sh', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [INSIDE]: '1', PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 15))));
}
