/**
 * @module `gcloud run deploy SERVICE --image IMAGE | --source DIR [flags]` read into the settings it gives the Cloud
 * Run service, each with the flag as written (https://cloud.google.com/sdk/gcloud/reference/run/deploy). The argv
 * comes split already (a Cloud Build step's args, or shell text split by `buildConfig.ts`); substitutions the caller
 * could resolve are resolved, and a value still holding one (`--concurrency=${_CONCURRENCY}`) is kept as text, with
 * no number. Flags pytuner does not use are ignored. Pure.
 */
import { posix } from 'node:path';
import { parseDuration } from './duration.ts';
import { parseCpuQuantity } from './quantity.ts';

/** One flag's value: `value` undefined when the text holds a substitution or is not a value gcloud accepts. */
export interface DeployFlag<T> {
  value: T | undefined;
  /** The flag as written (`--concurrency=8`, `--cpu 2`). */
  text: string;
}

/** What a `gcloud run deploy` command sets, by flag. Absent: the command does not say. */
export interface RunDeploySettings {
  /** `--concurrency N`, or `default` (Cloud Run's 80). */
  concurrency?: DeployFlag<number | 'default'>;
  /** vCPUs. */
  cpu?: DeployFlag<number>;
  memory?: DeployFlag<string>;
  /** Request timeout in seconds (`--timeout 300`, `--timeout 5m`). */
  timeoutSeconds?: DeployFlag<number>;
  port?: DeployFlag<number>;
  serviceAccount?: DeployFlag<string>;
  cpuBoost?: DeployFlag<boolean>;
  /** `--cpu-throttling` true, `--no-cpu-throttling` false (CPU always allocated). */
  cpuThrottling?: DeployFlag<boolean>;
  executionEnvironment?: DeployFlag<string>;
  minInstances?: DeployFlag<number | 'default'>;
  maxInstances?: DeployFlag<number | 'default'>;
  /** `--command`/`--args`: comma lists, as the container's command and args. */
  command?: DeployFlag<string[]>;
  args?: DeployFlag<string[]>;
  /** `--set-env-vars`/`--update-env-vars` entries in order; a later one wins. `value` undefined: a substitution is left in it. */
  env: Array<{ name: string; value: string | undefined; text: string }>;
}

/** One `gcloud run deploy` (or `gcloud run services update`) command and where it was read. */
export interface RunDeployCommand {
  /**
   * `gcloud run services update SERVICE [flags]`: it changes the settings of a service deployed elsewhere
   * (https://cloud.google.com/sdk/gcloud/reference/run/services/update), with the deploy command's flags but `--source`.
   */
  update?: true;
  /** The service name as written (it may hold a substitution); absent when the command names none. */
  service?: string;
  image?: string;
  /** `--source DIR`, joined to the command's working directory and posix-normalised. */
  source?: string;
  settings: RunDeploySettings;
  file: string;
  line?: number;
  /** What holds the command: `steps[2].args`, `jobs.deploy.steps[3].run`, a script's line. */
  field: string;
  /** The lines of the file the command is written on, as read: where a fix changes or adds a flag. */
  lines?: Array<{ line: number; text: string }>;
}

/** withLines gives a command the lines `from`..`to` (1-based, inclusive) of its file's text. */
export function withLines(command: RunDeployCommand, text: string, from: number | undefined, to: number | undefined): RunDeployCommand {
  if (from === undefined) return command;
  const all = text.split(/\r?\n/);
  const last = Math.max(from, to ?? from);
  command.lines = all.slice(from - 1, last).map((line, i) => ({ line: from + i, text: line }));
  return command;
}

/** gcloud's global flags that take a value when written apart (`gcloud --project p run deploy`). */
const GLOBAL_VALUED = new Set(['--project', '--account', '--configuration', '--verbosity', '--impersonate-service-account', '--billing-project', '--format', '--flags-file']);

/** `run deploy` flags that take a value; the others are switches (`--no-allow-unauthenticated`). */
const VALUED = new Set([
  '--image', '--source', '--concurrency', '--cpu', '--memory', '--timeout', '--port', '--service-account', '--execution-environment',
  '--min-instances', '--max-instances', '--command', '--args', '--set-env-vars', '--update-env-vars', '--region', '--platform',
  '--project', '--env-vars-file', '--remove-env-vars', '--set-secrets', '--update-secrets', '--labels', '--update-labels', '--tag',
  '--vpc-connector', '--vpc-egress', '--ingress', '--network', '--subnet', '--network-tags', '--set-cloudsql-instances',
  '--add-cloudsql-instances', '--revision-suffix', '--description', '--key', '--gpu', '--gpu-type', '--base-image', '--function',
  '--container', '--depends-on', '--binary-authorization', '--session-affinity', '--scaling', '--max', '--min', '--service-min-instances',
  '--breakglass', '--clear-env-vars', '--set-config-maps', '--update-config-maps', '--add-volume', '--add-volume-mount',
]);

/** The gcloud command `deploy` is, as a user types it. */
export function deployCommandName(deploy: RunDeployCommand): string {
  return deploy.update === true ? 'gcloud run services update' : 'gcloud run deploy';
}

/**
 * runDeployOf reads an argv that is a `gcloud [alpha|beta] run deploy` or `gcloud [alpha|beta] run services update`
 * command; undefined for any other. `cwd` is the directory the command runs in, for `--source`.
 */
export function runDeployOf(argv: readonly string[], cwd: string, at: { file: string; line?: number; field: string }): RunDeployCommand | undefined {
  const after = afterRunDeploy(argv);
  if (after === undefined) return undefined;
  const { rest, update } = after;
  const settings: RunDeploySettings = { env: [] };
  const positional: string[] = [];
  const command: RunDeployCommand = { settings, file: at.file, field: at.field };
  if (update) command.update = true;
  if (at.line !== undefined) command.line = at.line;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const eq = arg.indexOf('=');
    let name = arg;
    let value: string | undefined;
    let text = arg;
    if (arg.startsWith('--') && eq > 0) {
      name = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    } else if (VALUED.has(arg) && i + 1 < rest.length) {
      value = rest[++i] as string;
      text = `${arg} ${value}`;
    } else if (!arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    if (!(update && name === '--source')) readFlag(command, name, value, text, cwd);
  }
  if (positional[0] !== undefined) command.service = positional[0];
  return command;
}

/**
 * The words after `run deploy` or `run services update`, past gcloud's global flags and release track; undefined when
 * it is neither command.
 */
function afterRunDeploy(argv: readonly string[]): { rest: string[]; update: boolean } | undefined {
  if (posix.basename(argv[0] ?? '') !== 'gcloud') return undefined;
  const words: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] as string;
    if (GLOBAL_VALUED.has(word)) i++;
    else if (!word.startsWith('-')) words.push(word);
    const [a, b, c] = words[0] === 'alpha' || words[0] === 'beta' ? words.slice(1) : words;
    if (a !== undefined && a !== 'run') return undefined;
    if (b === 'deploy') return { rest: argv.slice(i + 1), update: false };
    if (b !== undefined && b !== 'services') return undefined;
    if (c === 'update') return { rest: argv.slice(i + 1), update: true };
    if (c !== undefined) return undefined;
  }
  return undefined;
}

// eslint-disable-next-line complexity -- one case per gcloud flag pytuner reads
function readFlag(command: RunDeployCommand, name: string, value: string | undefined, text: string, cwd: string): void {
  const { settings } = command;
  if (value === undefined) {
    if (name === '--cpu-boost' || name === '--no-cpu-boost') settings.cpuBoost = { value: name === '--cpu-boost', text };
    else if (name === '--cpu-throttling' || name === '--no-cpu-throttling') settings.cpuThrottling = { value: name === '--cpu-throttling', text };
    return;
  }
  switch (name) {
    case '--image': command.image = value; break;
    case '--source': command.source = posix.join(cwd, value); break;
    case '--concurrency': settings.concurrency = { value: countOrDefault(value), text }; break;
    case '--min-instances': settings.minInstances = { value: countOrDefault(value), text }; break;
    case '--max-instances': settings.maxInstances = { value: countOrDefault(value), text }; break;
    case '--cpu': settings.cpu = { value: literal(value) ? parseCpuQuantity(value) : undefined, text }; break;
    case '--memory': settings.memory = { value: literal(value) ? value : undefined, text }; break;
    case '--timeout': settings.timeoutSeconds = { value: seconds(value), text }; break;
    case '--port': settings.port = { value: count(value), text }; break;
    case '--service-account': settings.serviceAccount = { value: literal(value) ? value : undefined, text }; break;
    case '--execution-environment': settings.executionEnvironment = { value: literal(value) ? value : undefined, text }; break;
    case '--command': settings.command = { value: list(value), text }; break;
    case '--args': settings.args = { value: list(value), text }; break;
    case '--set-env-vars':
    case '--update-env-vars': settings.env.push(...envPairs(value, text)); break;
    case '--cpu-boost': case '--cpu-throttling': {
      const on = /^(true|yes|1)$/i.test(value) ? true : /^(false|no|0)$/i.test(value) ? false : undefined;
      const flag = { value: on, text };
      if (name === '--cpu-boost') settings.cpuBoost = flag;
      else settings.cpuThrottling = flag;
      break;
    }
  }
}

/** A value with no substitution left in it. */
function literal(value: string): boolean {
  return !/\$\{?[A-Za-z_{]/.test(value);
}

function count(value: string): number | undefined {
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

function countOrDefault(value: string): number | 'default' | undefined {
  return value === 'default' ? 'default' : count(value);
}

/** gcloud's `--timeout`: seconds, or a duration (`5m`, `1h`). */
function seconds(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = parseDuration(value);
  return ms === undefined ? undefined : ms / 1000;
}

/**
 * A gcloud list (`a,b,c`), with gcloud's alternate delimiter (`^:^a,b:c` splits at `:`), so a value may hold commas
 * (`gcloud topic escaping`). Undefined when a substitution is left in it: which words it makes is not known.
 */
function list(value: string): string[] | undefined {
  return literal(value) ? listItems(value) : undefined;
}

function listItems(value: string): string[] {
  const escaped = /^\^([^^]+)\^/.exec(value);
  const delimiter = escaped === null ? ',' : (escaped[1] as string);
  const body = escaped === null ? value : value.slice(escaped[0].length);
  return body === '' ? [] : body.split(delimiter);
}

/** `KEY=VALUE` pairs of an env-vars flag (a gcloud list); a value with a substitution left in it is unknown. */
function envPairs(value: string, text: string): RunDeploySettings['env'] {
  const pairs: RunDeploySettings['env'] = [];
  for (const entry of listItems(value)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const raw = entry.slice(eq + 1);
    pairs.push({ name: entry.slice(0, eq), value: literal(raw) ? raw : undefined, text });
  }
  return pairs;
}
