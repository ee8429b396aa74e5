/**
 * @module `pytuner recommendations export`: the Git-first path. Reads the controller's TuningRecommendations from the
 * cluster (the kubeconfig, context and namespaces as `report --cluster` takes them) and takes the fix each one carries
 * (`status.fix`: the workload's RFC 6902 JSON Patch from Core's fix planner, src/controller/recommendationFix.ts).
 * `-d DIR` writes each patch as a file; `--fix DIR` applies them to a checkout of the GitOps repository: every
 * object in its YAML files is matched by identity (apiVersion, kind, namespace, name; a manifest without a namespace
 * matches when it is the only one of that identity) and edited by the same CST-preserving YAML patcher as
 * `report --fix` (render/yamlDocumentPatch.ts), so the diff keeps comments and formatting and lands by pull request.
 * The command is registered here; its work (and the YAML, zod and Kubernetes modules it needs) loads in
 * recommendationsExport.ts only when it runs, so the CLI's start-up does not pay for it.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.ts';

/** The options of `pytuner recommendations export`. */
export interface ExportOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
  allNamespaces?: boolean;
  dir?: string;
  fix?: string;
}

const EXAMPLES = `
Examples:
  # the patches of one namespace as files (recommendations/<namespace>/<kind>-<name>.json)
  pytuner recommendations export -n shop -d recommendations/
  # edit the GitOps checkout, then open a pull request with the diff
  pytuner recommendations export -A --fix ~/src/gitops && git -C ~/src/gitops diff`;

/** Adds `pytuner recommendations export`. */
export function addRecommendationsCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const recommendations = program.command('recommendations').description("The controller's TuningRecommendations.");
  recommendations
    .command('export')
    .description('Write the fixes the controller recommends (status.fix of each TuningRecommendation) as JSON Patch files, or apply them to a checkout of the GitOps repository (--fix), so the change lands by pull request.')
    .option('--kubeconfig <file>', 'the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'the kubeconfig context (default: its current context)')
    .option('-n, --namespace <name>', 'a namespace to read (repeatable; default: the context\'s namespace)', (value: string, previous: string[] = []) => [...previous, value])
    .option('-A, --all-namespaces', 'every namespace')
    .option('-d, --dir <dir>', 'write each patch to <dir>/<namespace>/<kind>-<name>.json')
    .option('--fix <dir>', 'apply the patches to the YAML manifests under <dir> (a GitOps checkout), matching objects by apiVersion, kind, namespace and name')
    .addHelpText('after', EXAMPLES)
    .action(async (options: ExportOptions) => setExitCode(await (await import('./recommendationsExport.ts')).exportRecommendations(options, io)));
}

