/**
 * @module `pytuner report --cluster …`: the flags that choose a cluster, its namespaces and workloads, their checks,
 * and the read that turns the live objects into the report's inputs (`input/cluster.ts`), with the `--source` files
 * joined as `-f` would join them. `input/cluster.ts` (and with it the Kubernetes client, a few hundred milliseconds to
 * import) is loaded only when `--cluster` is given.
 */
import type { Command } from 'commander';
import { loadReportInputs } from '../input/files.ts';
import type { LoadedInputs, SourceMapping } from '../parse/types.ts';
import { EXIT_INPUT } from './exitCodes.ts';

/** The cluster flags of `pytuner report`, parsed. `namespace` is the shared `-n, --namespace` of metricsOptions.ts. */
export interface ClusterFlags {
  cluster?: boolean;
  kubeconfig?: string;
  context?: string;
  allNamespaces?: boolean;
  selector?: string;
  namespace?: string[];
}

export const CLUSTER_EXAMPLES = `
  # the live cluster: every namespace, then one namespace's labelled workloads with a week of metrics
  pytuner report --cluster -A
  pytuner report --cluster -n shop -l tier=web --prometheus http://prometheus.monitoring:9090`;

/** Adds the cluster flags to `report` (`-n, --namespace` is added with the metrics flags). */
export function addClusterOptions(command: Command): Command {
  return command
    .option('--cluster', 'read Knative Services, Deployments, ServiceAccounts and IAM policy objects from the live cluster of the kubeconfig (list only)')
    .option('--kubeconfig <file>', '--cluster: the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', "--cluster: the kubeconfig context (default: its current context)")
    .option('-A, --all-namespaces', '--cluster: every namespace (default: -n, else the context\'s namespace)')
    .option('-l, --selector <selector>', '--cluster: label selector for the workloads, e.g. app=orders,tier!=batch');
}

/** A usage problem with the cluster flags, as a message; undefined when they are consistent. */
export function clusterUsageError(flags: ClusterFlags, hasFiles: boolean): string | undefined {
  if (flags.cluster !== true) {
    const stray = (['kubeconfig', 'context', 'allNamespaces', 'selector'] as const).find((k) => flags[k] !== undefined);
    return stray === undefined ? undefined : `error: --${stray === 'allNamespaces' ? 'all-namespaces' : stray} needs --cluster`;
  }
  if (hasFiles) return 'error: give -f or --cluster, not both (join Dockerfiles to live workloads with --source IMAGE_OR_NAME=PATH)';
  if (flags.allNamespaces === true && (flags.namespace ?? []).length > 0) return 'error: give -n/--namespace or -A/--all-namespaces, not both';
  return undefined;
}

/** The report's inputs from the cluster, its notes (for the report), and whether it is partial; an exit code when it cannot be read at all. */
export async function loadClusterInputs(flags: ClusterFlags, sources: readonly SourceMapping[], io: { stderr: NodeJS.WritableStream }): Promise<{ loaded: LoadedInputs; notes: string[]; partial: boolean } | number> {
  const { ClusterError, readCluster } = await import('../input/cluster.ts');
  let cluster;
  try {
    cluster = await readCluster({
      namespaces: flags.namespace ?? [],
      allNamespaces: flags.allNamespaces === true,
      ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
      ...(flags.context === undefined ? {} : { context: flags.context }),
      ...(flags.selector === undefined ? {} : { selector: flags.selector }),
    });
  } catch (error) {
    if (!(error instanceof ClusterError)) throw error;
    io.stderr.write(`pytuner: error: ${error.message}\n`);
    return EXIT_INPUT;
  }
  const joined = sources.length === 0 ? undefined : await loadReportInputs([], [...sources]);
  const loaded: LoadedInputs = {
    documents: cluster.loaded.documents,
    sources: joined?.sources ?? [],
    errors: joined?.errors ?? [],
    files: joined?.files ?? 0,
  };
  return { loaded, notes: cluster.notes, partial: cluster.partial };
}
