/**
 * @module `pytuner controller`: runs the in-cluster controller until SIGTERM or SIGINT. Its flags are parsed here;
 * the controller itself (and @kubernetes/client-node, pino, prom-client with it) is imported only when the command
 * runs, so `pytuner report` starts without loading any of them.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CONTROLLER_DEFAULTS as D, formatDuration, LOG_LEVELS, REPORT_APIS, type LogLevel, type ReportApi } from '../config/controller.ts';
import { DURATION_EXAMPLES, parseDuration } from '../parse/duration.ts';
import type { CliIo } from './io.ts';
import { EXIT_INPUT, EXIT_INTERNAL, EXIT_OK } from './exitCodes.ts';

/** The flags of `pytuner controller`, after parsing. Durations are in milliseconds. */
export interface ControllerOptions {
  kubeconfig?: string;
  namespace?: string;
  shard: number;
  totalShards: number;
  metricsPort: number;
  leaderElect: boolean;
  leaseNamespace?: string;
  leaseName: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  resync: number;
  workers: number;
  discoveryInterval: number;
  shutdownTimeout: number;
  metricsInterval: number;
  metricsTimeout: number;
  defaultPolicy?: { namespace: string; name: string };
  prometheusUrl?: string;
  prometheusBearerTokenFile?: string;
  prometheusCaFile?: string;
  logLevel: LogLevel;
  policyReports?: ReportApi;
}

const EXAMPLES = `
Examples:
  # every namespace, with the kubeconfig kubectl uses, metrics on :8080
  pytuner controller
  # one namespace, two replicas electing a leader through a Lease
  pytuner controller --namespace shop --leader-elect --lease-namespace shop
  # shard 1 of 3: namespaces whose FNV-1a hash mod 3 is 1, electing its leader on the Lease pytuner-controller-shard-1
  pytuner controller --shard 1 --total-shards 3 --leader-elect
  # findings also as PolicyReports, which Policy Reporter shows
  pytuner controller --policy-reports wgpolicyk8s
  # against the test control plane (npm run cluster prints the kubeconfig path)
  pytuner controller --kubeconfig /tmp/pytuner-control-plane-XXXX/admin.kubeconfig --metrics-port 0

Endpoints: /healthz, /readyz (caches synced, not shutting down), /metrics (Prometheus).
Logs: JSON lines on stderr, each about a workload carrying kind, namespace and name.
Exit codes: 0 after a graceful shutdown (SIGTERM/SIGINT); 2 bad flags or kubeconfig; 3 could not start
(API server unreachable, pytuner's CRDs not installed: kubectl apply -f crds/) or failed while running.`;

function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`expected ${DURATION_EXAMPLES}.`);
  return ms;
}

function portArg(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port 0..65535 (0 picks a free one).');
  return port;
}

function shardIndexArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0.');
  return n;
}

function policyRefArg(value: string): { namespace: string; name: string } {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(value);
  if (match === null || (match[1] as string).length > 63 || (match[3] as string).length > 253) throw new InvalidArgumentError('expected <namespace>/<name> of a TuningPolicy, e.g. pytuner-system/pytuner-default.');
  return { namespace: match[1] as string, name: match[3] as string };
}

function urlArg(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw new InvalidArgumentError('expected an http(s) URL, e.g. https://prometheus.monitoring:9090.');
  return value;
}

function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1.');
  return n;
}

/** addControllerCommand registers `pytuner controller` on the program. */
export function addControllerCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('controller')
    .description('Run the controller: watch TuningPolicies and their workloads, write TuningRecommendations, and in Apply mode patch allowed fields.')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)')
    .option('--namespace <ns>', 'watch and tune this namespace only (default: all namespaces)')
    .addOption(new Option('--shard <n>', 'tune only the namespaces of this shard: FNV-1a(namespace) mod --total-shards = n').argParser(shardIndexArg).default(D.shard))
    .addOption(new Option('--total-shards <m>', 'number of shards; each runs its own replicas and Lease (<lease-name>-shard-<n>)').argParser(positiveIntArg).default(D.totalShards))
    .addOption(new Option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz (0 picks a free one)').argParser(portArg).default(D.metricsPort))
    .option('--leader-elect', 'elect a leader through a coordination.k8s.io Lease, so only one replica writes', false)
    .option('--lease-namespace <ns>', 'namespace of the Lease (default: --namespace, else the pod\'s namespace, else default)')
    .option('--lease-name <name>', 'name of the Lease', D.leaseName)
    .addOption(new Option('--lease-duration <duration>', 'how long a Lease that is not renewed stays taken').argParser(durationArg).default(D.leaseDurationMs, formatDuration(D.leaseDurationMs)))
    .addOption(new Option('--renew-deadline <duration>', 'how long the leader retries renewing before it stops leading').argParser(durationArg).default(D.renewDeadlineMs, formatDuration(D.renewDeadlineMs)))
    .addOption(new Option('--retry-period <duration>', 'pause between attempts to acquire or renew the Lease').argParser(durationArg).default(D.retryPeriodMs, formatDuration(D.retryPeriodMs)))
    .addOption(new Option('--resync <duration>', 're-evaluate every workload this often even when nothing changed').argParser(durationArg).default(D.resyncMs, formatDuration(D.resyncMs)))
    .addOption(new Option('--workers <n>', 'reconciles run at once (each mostly waits on the API server)').argParser(positiveIntArg).default(D.workers))
    .addOption(new Option('--discovery-interval <duration>', 'how often to look for Knative / Config Connector CRDs installed or removed').argParser(durationArg).default(D.discoveryIntervalMs, formatDuration(D.discoveryIntervalMs)))
    .addOption(new Option('--shutdown-timeout <duration>', 'how long shutdown waits for in-flight reconciles').argParser(durationArg).default(D.shutdownTimeoutMs, formatDuration(D.shutdownTimeoutMs)))
    .addOption(new Option('--metrics-interval <duration>', "how long a policy's measured load is used before its Prometheus is read again").argParser(durationArg).default(D.metricsIntervalMs, formatDuration(D.metricsIntervalMs)))
    .addOption(new Option('--metrics-timeout <duration>', 'per request to Prometheus').argParser(durationArg).default(D.metricsTimeoutMs, formatDuration(D.metricsTimeoutMs)))
    .option('--default-policy <namespace/name>', 'a TuningPolicy that also governs every namespace labelled pytuner.dev/enabled=true, where no policy of the namespace selects the workload (needs list/watch on namespaces)', policyRefArg)
    .option('--prometheus-url <url>', 'the Prometheus the --prometheus-* credentials are for: sent only to policies whose spec.metrics.prometheusUrl is this URL or a path under it', urlArg)
    .option('--prometheus-bearer-token-file <file>', 'send Authorization: Bearer <token> from this file (a projected service account token or a mounted Secret; read again at each collection)')
    .option('--prometheus-ca-file <file>', "trust this PEM CA bundle for --prometheus-url instead of the system's")
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default(D.logLevel))
    .addOption(
      new Option('--policy-reports <api>', 'also write the findings as one policy report per namespace: wgpolicyk8s (wgpolicyk8s.io/v1alpha2 PolicyReport) or openreports (openreports.io/v1alpha1 Report); default: none').choices(REPORT_APIS),
    )
    .addHelpText('after', EXAMPLES)
    .action(async (options: ControllerOptions) => setExitCode(await controllerCommand(options, io)));
}

/** The namespace a pod runs in, from the downward API env var or the service account mount; undefined outside a pod. */
async function podNamespace(io: CliIo): Promise<string | undefined> {
  if (io.env['POD_NAMESPACE']) return io.env['POD_NAMESPACE'];
  try {
    const { readFile } = await import('node:fs/promises');
    return (await readFile('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Flags that contradict each other, as a message; undefined when they are consistent. */
function usageProblem(options: ControllerOptions): string | undefined {
  if (options.renewDeadline >= options.leaseDuration) return '--renew-deadline must be shorter than --lease-duration, so a leader stops before another may take over';
  if (options.defaultPolicy !== undefined && options.namespace !== undefined) return '--default-policy opts namespaces in by label across the cluster; with --namespace, use a TuningPolicy in that namespace';
  if (options.prometheusUrl === undefined && (options.prometheusBearerTokenFile !== undefined || options.prometheusCaFile !== undefined)) {
    return '--prometheus-bearer-token-file and --prometheus-ca-file need --prometheus-url (the only Prometheus they are sent to)';
  }
  return undefined;
}

/** The cluster default policy and the Prometheus credentials, as startController takes them. */
function optInAndPrometheus(options: ControllerOptions): { defaultPolicy?: { namespace: string; name: string }; prometheusAccess?: { url: string; bearerTokenFile?: string; caFile?: string } } {
  const settings: ReturnType<typeof optInAndPrometheus> = {};
  if (options.defaultPolicy !== undefined) settings.defaultPolicy = options.defaultPolicy;
  if (options.prometheusUrl !== undefined) {
    settings.prometheusAccess = { url: options.prometheusUrl };
    if (options.prometheusBearerTokenFile !== undefined) settings.prometheusAccess.bearerTokenFile = options.prometheusBearerTokenFile;
    if (options.prometheusCaFile !== undefined) settings.prometheusAccess.caFile = options.prometheusCaFile;
  }
  return settings;
}

/** Runs the controller until SIGTERM/SIGINT; returns the exit code. */
export async function controllerCommand(options: ControllerOptions, io: CliIo): Promise<number> {
  const [{ KubeConfig, startController, shardLabel, shardLeaseName, shardProblem }, { createLogger, processClock }] = await Promise.all([
    import('../controller/main.ts'),
    import('../controller/log.ts'),
  ]);
  const shard = { index: options.shard, total: options.totalShards };
  const problem = shardProblem(shard);
  if (problem !== undefined) {
    io.stderr.write(`pytuner: ${problem}\n`);
    return EXIT_INPUT;
  }
  const rootLog = createLogger({ level: options.logLevel });
  // With several shards every line says which one wrote it, so their logs can be merged and still told apart.
  const log = shard.total > 1 ? rootLog.child({ shard: shardLabel(shard) }) : rootLog;
  // Its code is loaded; what follows is the kubeconfig, the operations endpoint and the first requests.
  log.info(processClock(), 'controller starting');
  const kubeConfig = new KubeConfig();
  try {
    if (options.kubeconfig === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(options.kubeconfig);
    if (kubeConfig.getCurrentCluster() === null) throw new Error('it has no current context with a cluster');
  } catch (error) {
    io.stderr.write(`pytuner: cannot load the kubeconfig ${options.kubeconfig ?? '(default)'}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_INPUT;
  }
  const usage = usageProblem(options);
  if (usage !== undefined) {
    io.stderr.write(`pytuner: ${usage}\n`);
    return EXIT_INPUT;
  }
  const leaseNamespace = options.leaseNamespace ?? options.namespace ?? (await podNamespace(io)) ?? 'default';
  let controller;
  try {
    controller = await startController({
      kubeConfig,
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      shard,
      metricsPort: options.metricsPort,
      ...(options.leaderElect
        ? { leaderElection: { namespace: leaseNamespace, name: shardLeaseName(options.leaseName, shard), timing: { leaseDurationMs: options.leaseDuration, renewDeadlineMs: options.renewDeadline, retryPeriodMs: options.retryPeriod } } }
        : {}),
      resyncMs: options.resync,
      workers: options.workers,
      discoveryIntervalMs: options.discoveryInterval,
      shutdownTimeoutMs: options.shutdownTimeout,
      metricsIntervalMs: options.metricsInterval,
      metricsTimeoutMs: options.metricsTimeout,
      ...optInAndPrometheus(options),
      processMetrics: true,
      ...(options.policyReports === undefined ? {} : { policyReports: { api: options.policyReports } }),
      log,
    });
  } catch (error) {
    log.fatal({ err: error instanceof Error ? error.message : String(error) }, 'could not start');
    io.stderr.write(`pytuner: the controller could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_INTERNAL;
  }
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'signal received');
    void controller.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const fatal = await controller.stopped;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  log.flush();
  // A request abandoned at shutdown (a reconcile stopped while the API server kept it waiting) holds its connection,
  // and with it the process, open: once stopped, nothing is left to wait for (controller-faults-shutdown.test.ts).
  setTimeout(() => process.exit(), STOPPED_EXIT_GRACE_MS).unref();
  return fatal === undefined ? EXIT_OK : EXIT_INTERNAL;
}

/** How long a stopped controller lets its event loop drain by itself before exiting anyway (with the same code). */
const STOPPED_EXIT_GRACE_MS = 2_000;
