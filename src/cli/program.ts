/**
 * @module The `pytuner` command line: `report`, `rules`, `explain`, built with commander. Reports go to
 * stdout, everything else (input errors, usage errors, progress) to stderr. Returns an exit code instead
 * of exiting, so nothing is cut off and the caller decides (see `exitCodes.ts`).
 */
import { basename } from 'node:path';
import { once } from 'node:events';
import type { Platform } from '../model/workload.ts';
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { SourceMapping } from '../parse/types.ts';
import { loadReportInputs } from '../input/files.ts';
import type { Severity } from '../model/finding.ts';
import { SEVERITIES } from '../model/finding.ts';
import type { OutputFormat } from '../output/index.ts';
import { CHUNKED_FORMATTERS, FORMATTERS, OUTPUT_FORMATS, planPatchFiles } from '../output/index.ts';
import { errorText, fileLocation } from '../output/describe.ts';
import { closeMatches, formatRuleJson, formatRuleTable } from '../output/rules.ts';
import type { Report } from '../report.ts';
import { analyse } from '../report.ts';
import { RULES, ruleById, ruleDocPath } from '../rules/index.ts';
import { METRIC_FINDINGS, metricFindingById } from '../recommender/catalogue.ts';
import { plural } from '../rules/facts.ts';
import { shouldColor } from './color.ts';
import type { MetricsOptions } from './metricsOptions.ts';
import { METRICS_EXAMPLES, NO_INPUTS, addMetricsOptions, analyseMetricsOptions, metricsUsageError, reportMetrics } from './metricsOptions.ts';
import type { ClusterFlags } from './clusterOptions.ts';
import { CLUSTER_EXAMPLES, addClusterOptions, clusterUsageError, loadClusterInputs } from './clusterOptions.ts';
import type { CloudRunFlags } from './cloudRunOptions.ts';
import { CLOUDRUN_EXAMPLES, addCloudRunOptions, cloudRunUsageError, loadCloudRunInputs } from './cloudRunOptions.ts';
import { addControllerCommand } from './controller.ts';
import { addImportTimeCommand } from './importtime.ts';
import { addRecommendationsCommand } from './recommendations.ts';
import type { CliIo } from './io.ts';
// For main.ts, which loads this module alone: the process's streams come with it, not as a module of their own.
export { processIo } from './io.ts';
import { EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK } from './exitCodes.ts';
import { rootCommand, runCommand } from './root.ts';
import { packagePath, packageVersion } from './package.ts';
import { writePatchFiles } from './writeFiles.ts';
import { fixInPlace } from './fix.ts';

/** What `pytuner rules` lists and `pytuner explain` explains: the rules, then the findings of measured load (`--prometheus`). */
const CATALOGUE = [...RULES, ...METRIC_FINDINGS];

interface ReportOptions extends MetricsOptions, ClusterFlags, CloudRunFlags {
  file?: string[];
  output: OutputFormat;
  failOn?: Severity;
  emitPatches?: string;
  source?: SourceMapping[];
  docsBaseUrl?: string;
  fix?: boolean;
  platform?: Platform;
}

/** `--platform` values: the platforms of `model/workload.ts`. */
const PLATFORMS: readonly Platform[] = ['cloudrun', 'knative', 'kubernetes'];

/** Table width: the terminal's, between 60 and 120 columns (longer lines are hard to read); 120 into a pipe. */
const MAX_WIDTH = 120;
const MIN_WIDTH = 60;

const EXAMPLES = `
Examples:
  # every manifest, Dockerfile, Procfile and gunicorn.conf.py under k8s/ (-f is optional)
  pytuner report k8s/
  # fail a CI job on critical findings
  pytuner report -f service.yaml -f Dockerfile --fail-on critical
  # rendered manifests from stdin, as JSON
  kustomize build overlays/prod | pytuner report -f - -o json
  # for GitHub code scanning, and for a pull-request comment
  pytuner report -f . -o sarif > pytuner.sarif
  pytuner report -f . -o markdown > comment.md
  # the fixes as files (JSON patches, apply fragments, a source diff)
  pytuner report -f . --emit-patches fixes/
  # apply the fixes to the files in place (commit the diff); the report shows what is left
  pytuner report -f k8s/ --fix
  # join ./api/Dockerfile to the containers that run this image
  pytuner report -f service.yaml --source europe-docker.pkg.dev/p/apps/api=./api${METRICS_EXAMPLES}${CLUSTER_EXAMPLES}${CLOUDRUN_EXAMPLES}
  pytuner rules
  pytuner explain <rule-id>`;

const EXIT_CODES = `
Exit codes:
  0  report written; no finding at or above --fail-on
  1  a finding at or above --fail-on
  2  an input could not be read or parsed (the rest is still reported),
     or metrics were unavailable for a workload (--prometheus; a partial report),
     or --cluster could not list a kind (a note names it; a partial report),
     or --cloudrun could not list a region (a note names it; a partial report),
     or bad usage: an unknown flag or value, an unknown rule id
  3  pytuner failed: it could not write --emit-patches or --fix files, or a bug
  When several apply, the highest wins.`;

/** Runs the CLI on `args` (without `node` and the script) and returns the exit code. Never throws. */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  return runCommand(program, args, io, () => exitCode);
}

function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = rootCommand(io)
    .description('Tunes Python web services (gunicorn, uvicorn, uWSGI, waitress, hypercorn, granian, daphne, Functions Framework) on Knative, Cloud Run and GKE.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpText('after', `${EXAMPLES}\n${EXIT_CODES}\n`);

  const report = program
    .command('report')
    .description('Report tuning problems found in manifests, Dockerfiles, Procfiles and gunicorn.conf.py (no cluster needed); with --prometheus, recommend settings from measured load.')
    .argument('[paths...]', 'files or directories to read, as with -f')
    .option('-f, --file <path...>', 'a file or directory to read (repeatable; directories are walked; - reads YAML from stdin)')
    .addOption(new Option('-o, --output <format>', 'report format').choices(OUTPUT_FORMATS).default('table'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(SEVERITIES))
    .option('--emit-patches <dir>', 'also write the fixes as files under <dir> (created if missing; see <dir>/README.txt)')
    .option('--source <image-or-name=path>', 'join a Dockerfile, Procfile or gunicorn.conf.py (or a directory of them) to the containers running that image, or to the workload of that name (repeatable)', collectSource)
    .option('--docs-base-url <url>', 'SARIF: base URL of the rule docs, for helpUri (<url><rule-id>.md)', parseBaseUrl)
    .option('--fix', 'edit the input files in place with the fixes (JSON patches, source edits), then report what is left; what changed goes to stderr')
    .addOption(
      new Option('--platform <platform>', 'where Dockerfiles and Procfiles that no manifest claims run (default: Cloud Run when they serve on $PORT or are a buildpacks Procfile)').choices(
        PLATFORMS,
      ),
    );
  addCloudRunOptions(addClusterOptions(addMetricsOptions(report)))
    .addHelpText('after', EXIT_CODES)
    .action(async (paths: string[], given: ReportOptions, command: Command) => {
      // `pytuner report DIR`, as linters take paths; the same as `-f DIR`.
      const files = [...(given.file ?? []), ...paths];
      const options: ReportOptions = files.length === 0 ? given : { ...given, file: files };
      const live = options.cluster === true || options.cloudrun !== undefined;
      // With --cloudrun, --bearer-token-file is the Google token for the Admin API (and for Managed Prometheus, if given).
      const metricsFlags = { ...options, ...(live ? { namespace: undefined } : {}), ...(options.cloudrun !== undefined && options.prometheus === undefined ? { bearerTokenFile: undefined } : {}) };
      const usage = cloudRunUsageError(options, options.file !== undefined) ?? clusterUsageError(options, options.file !== undefined) ?? metricsUsageError(metricsFlags, options.file !== undefined || live);
      if (usage !== undefined) command.error(usage);
      if (options.fix === true && (options.file === undefined || options.file.includes('-'))) command.error('error: --fix edits files in place: give them with -f (not - for stdin)');
      if (options.fix === true && options.emitPatches !== undefined) command.error('error: --fix and --emit-patches do not go together: --emit-patches describes the files before fixing');
      setExitCode(await reportCommand(options, io));
    });

  program
    .command('rules')
    .description('List every rule: id, highest severity and a one-line summary.')
    .addOption(new Option('-o, --output <format>', 'list format').choices(['table', 'json']).default('table'))
    .action((options: { output: 'table' | 'json' }) => {
      io.stdout.write(options.output === 'json' ? formatRuleJson(CATALOGUE) : formatRuleTable(CATALOGUE));
    });

  program
    .command('explain')
    .description('Print the documentation of a rule: what it checks, why, and how to fix it.')
    .argument('<rule-id>', 'a rule id, as listed by `pytuner rules`')
    .action(async (id: string) => setExitCode(await explainCommand(id, io)));

  addControllerCommand(program, io, setExitCode);
  addImportTimeCommand(program, io, setExitCode);
  addRecommendationsCommand(program, io, setExitCode);

  return program;
}

// eslint-disable-next-line complexity -- wiring of every report option (inputs, cluster, metrics, --fix, formats, exit code) in one readable sequence; the decisions live in the modules it calls
async function reportCommand(options: ReportOptions, io: CliIo): Promise<number> {
  const sources = options.source ?? [];
  const cluster =
    options.cluster === true ? await loadClusterInputs(options, sources, io) : options.cloudrun !== undefined ? await loadCloudRunInputs({ ...options, cloudrun: options.cloudrun }, sources, io) : undefined;
  if (typeof cluster === 'number') return cluster;
  const load = async () => cluster?.loaded ?? (options.file === undefined ? NO_INPUTS : await loadReportInputs(options.file, sources, { stdin: io.stdin }));
  let loaded = await load();
  const metrics = options.prometheus === undefined ? undefined : await reportMetrics({ ...options, prometheus: options.prometheus }, options.file === undefined && cluster === undefined ? undefined : loaded, sources, { stderr: io.stderr, now: Date.now });
  if (typeof metrics === 'number') return metrics;
  const analyseOptions = {
    sources,
    curves: options.output === 'html',
    workingDirectory: basename(process.cwd()),
    ...(options.platform === undefined ? {} : { platform: options.platform }),
    ...(metrics === undefined ? {} : analyseMetricsOptions(metrics, options)),
  };
  const analysed = () => {
    const report = analyse(loaded, analyseOptions);
    return cluster === undefined ? report : { ...report, notes: [...cluster.notes, ...(report.notes ?? [])] };
  };
  let report = analysed();
  // Like a linter's --fix: edit the files, then report what is left (read again from the edited files).
  const fixed = options.fix === true ? await fixInPlace(report, loaded, io.stderr) : undefined;
  if (fixed !== undefined && fixed.written.length > 0) {
    loaded = await load();
    report = analysed();
  }
  const isTerminal = io.stdout.isTTY === true;
  await writeReport(report, options, io, isTerminal);
  // Every format lists the input errors: a terminal showing the report already shows them; when the report goes to a
  // pipe or a file, they also go to stderr so a person or a CI log sees them.
  if (!isTerminal) {
    for (const error of report.errors) io.stderr.write(`pytuner: ${fileLocation(error.file, error.line)}: ${errorText(error)}\n`);
    for (const note of report.notes ?? []) io.stderr.write(`pytuner: note: ${note}\n`);
  }
  if (options.emitPatches !== undefined) {
    const written = await emitPatches(report, options.emitPatches, io);
    if (!written) return EXIT_INTERNAL;
  }
  return Math.max(reportExitCode(report, options.failOn), metrics?.partial === true || cluster?.partial === true ? EXIT_INPUT : EXIT_OK, fixed?.writeFailed === true ? EXIT_INTERNAL : EXIT_OK);
}

/**
 * Characters of report text gathered before a write: fewer writes than one per finding, and small enough that each
 * write's bytes come from malloc's heap: 1 MiB writes took about 20 times the CPU of 64 KiB ones for the same 94 MB
 * (each a fresh mapping to fault in and unmap, and a long rope to flatten).
 */
const WRITE_BATCH_CHARS = 1 << 16;

/**
 * writeReport writes the report to stdout in the chosen format, a piece at a time when the format allows it, waiting
 * for a pipe to drain: stdout on a pipe is asynchronous, and a slow reader otherwise leaves the whole report queued in
 * memory (an 87 MB report read through a pipe: 831 MB peak RSS instead of 458 MB).
 */
async function writeReport(report: Report, options: ReportOptions, io: CliIo, isTerminal: boolean): Promise<void> {
  const chunked = CHUNKED_FORMATTERS[options.output];
  if (chunked !== undefined) {
    let batch = '';
    for (const chunk of chunked(report)) {
      batch += chunk;
      if (batch.length < WRITE_BATCH_CHARS) continue;
      if (!io.stdout.write(batch)) await once(io.stdout, 'drain');
      batch = '';
    }
    if (batch !== '') io.stdout.write(batch);
    return;
  }
  io.stdout.write(
    FORMATTERS[options.output](report, {
      color: options.output === 'table' && shouldColor(io.env, isTerminal),
      width: isTerminal ? Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, io.stdout.columns ?? MAX_WIDTH)) : MAX_WIDTH,
      toolVersion: packageVersion(),
      rules: CATALOGUE,
      docsBaseUrl: options.docsBaseUrl,
    }),
  );
}

/** 2 when an input could not be read; else 1 when a finding is at or above `failOn`; else 0. */
function reportExitCode(report: Report, failOn: Severity | undefined): number {
  if (report.errors.length > 0) return EXIT_INPUT;
  if (failOn === undefined) return EXIT_OK;
  const threshold = SEVERITIES.indexOf(failOn);
  return report.findings.some((f) => SEVERITIES.indexOf(f.severity) >= threshold) ? EXIT_FINDINGS : EXIT_OK;
}

async function emitPatches(report: Report, dir: string, io: CliIo): Promise<boolean> {
  const files = planPatchFiles(report);
  try {
    await writePatchFiles(dir, files);
  } catch (error) {
    io.stderr.write(`pytuner: cannot write the patches to ${dir}: ${error instanceof Error ? error.message : String(error)}\n`);
    return false;
  }
  io.stderr.write(`pytuner: wrote ${plural(files.length, 'file')} to ${dir} (see ${dir.replace(/\/$/, '')}/README.txt)\n`);
  return true;
}

async function explainCommand(id: string, io: CliIo): Promise<number> {
  if (ruleById(id) === undefined && metricFindingById(id) === undefined) {
    const matches = closeMatches(id, CATALOGUE.map((r) => r.id));
    const hint = matches.length === 0 ? '' : ` Did you mean: ${matches.join(', ')}?`;
    io.stderr.write(`pytuner: unknown rule "${id}".${hint}\npytuner: run \`pytuner rules\` to list every rule.\n`);
    return EXIT_INPUT;
  }
  const file = packagePath(ruleDocPath(id));
  try {
    io.stdout.write(await readFile(file, 'utf8'));
    return EXIT_OK;
  } catch (error) {
    io.stderr.write(`pytuner: the documentation of ${id} is missing (${file}): ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_INTERNAL;
  }
}

/** `--source IMAGE_OR_NAME=PATH`, split at the first `=` (image references contain `:` and `@`, never `=`). */
function collectSource(value: string, previous: SourceMapping[] = []): SourceMapping[] {
  const at = value.indexOf('=');
  const match = at === -1 ? '' : value.slice(0, at);
  const path = at === -1 ? '' : value.slice(at + 1);
  if (match === '' || path === '') throw new InvalidArgumentError('expected IMAGE_OR_NAME=PATH, e.g. gcr.io/p/api=./api or api=./Dockerfile.');
  return [...previous, { match, path }];
}

function parseBaseUrl(value: string): string {
  if (!URL.canParse(value)) throw new InvalidArgumentError('expected an absolute URL, e.g. https://github.com/org/pytuner/blob/v1/docs/rules/.');
  return value.endsWith('/') ? value : `${value}/`;
}
