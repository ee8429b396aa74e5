/**
 * @module `pytuner report --cloudrun PROJECT …`: the flags that choose a Google Cloud project and its regions, and the
 * read that turns its Cloud Run services into the report's inputs (`input/cloudrun.ts`), with `--source` files joined
 * as `-f` would join them. `input/cloudrun.ts` (and `google-auth-library` behind it) is loaded only with `--cloudrun`.
 */
import { Option, type Command } from 'commander';
import { loadReportInputs } from '../input/files.ts';
import type { LoadedInputs, SourceMapping } from '../parse/types.ts';
import { EXIT_INPUT } from './exitCodes.ts';

/** The Cloud Run flags of `pytuner report`, parsed. `bearerTokenFile` is shared with `--prometheus` (one Google token serves both). */
export interface CloudRunFlags {
  cloudrun?: string;
  region?: string[];
  cloudrunEndpoint?: string;
  bearerTokenFile?: string;
}

export const CLOUDRUN_EXAMPLES = `
  # the Cloud Run services of a project in two regions (Application Default Credentials), with a week of metrics
  pytuner report --cloudrun my-project --region europe-west1 --region us-central1
  pytuner report --cloudrun my-project --region - --prometheus https://monitoring.googleapis.com/v1/projects/my-project/location/global/prometheus --profile cloudrun`;

/** Adds the Cloud Run flags to `report` (`--bearer-token-file` comes with the metrics flags). */
export function addCloudRunOptions(command: Command): Command {
  return command
    .option('--cloudrun <project>', 'read the Cloud Run services of this Google Cloud project (Cloud Run Admin API v2, list only; Application Default Credentials or --bearer-token-file)')
    .option('--region <region>', "--cloudrun: a region to list (repeatable; '-' or none: every location of the project)", collect)
    .addOption(new Option('--cloudrun-endpoint <url>', '--cloudrun: the Admin API base URL, for tests and emulators (default https://run.googleapis.com)').env('PYTUNER_CLOUDRUN_ENDPOINT').hideHelp());
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A usage problem with the Cloud Run flags, as a message; undefined when they are consistent. */
export function cloudRunUsageError(flags: CloudRunFlags & { cluster?: boolean }, hasFiles: boolean): string | undefined {
  if (flags.cloudrun === undefined) return flags.region === undefined ? undefined : 'error: --region needs --cloudrun';
  if (hasFiles) return 'error: give -f or --cloudrun, not both (join Dockerfiles to the services with --source IMAGE_OR_NAME=PATH)';
  if (flags.cluster === true) return 'error: give --cluster or --cloudrun, not both';
  if (flags.cloudrunEndpoint !== undefined && !URL.canParse(flags.cloudrunEndpoint)) return `error: --cloudrun-endpoint: expected an absolute URL, got ${flags.cloudrunEndpoint}`;
  return undefined;
}

/** The report's inputs from the project, its notes, and whether it is partial; an exit code when it cannot be read at all. */
export async function loadCloudRunInputs(flags: CloudRunFlags & { cloudrun: string }, sources: readonly SourceMapping[], io: { stderr: NodeJS.WritableStream }): Promise<{ loaded: LoadedInputs; notes: string[]; partial: boolean } | number> {
  const { CloudRunError, readCloudRun } = await import('../input/cloudrun.ts');
  let read;
  try {
    read = await readCloudRun({
      project: flags.cloudrun,
      regions: flags.region ?? ['-'],
      ...(flags.bearerTokenFile === undefined ? {} : { bearerTokenFile: flags.bearerTokenFile }),
      ...(flags.cloudrunEndpoint === undefined ? {} : { endpoint: flags.cloudrunEndpoint }),
    });
  } catch (error) {
    if (!(error instanceof CloudRunError)) throw error;
    io.stderr.write(`pytuner: error: ${error.message}\n`);
    return EXIT_INPUT;
  }
  const joined = sources.length === 0 ? undefined : await loadReportInputs([], [...sources]);
  const loaded: LoadedInputs = {
    documents: [],
    cloudRunServices: read.services,
    sources: joined?.sources ?? [],
    errors: [...read.errors, ...(joined?.errors ?? [])],
    files: joined?.files ?? 0,
  };
  return { loaded, notes: read.notes, partial: read.partial };
}
