/**
 * @module The command a container runs, resolved as Kubernetes does from the manifest's `command`/`args` and the
 * image's ENTRYPOINT/CMD (or a buildpacks Procfile), and the gunicorn.conf.py that command loads. Nothing is run.
 */
import { posix } from 'node:path';
import type { Evidence } from '../evidence.ts';
import type { GunicornConf, ImageFacts } from '../image.ts';
import { shellWords } from '../server/detect.ts';

/** A manifest's `command` or `args`, with the evidence of the field. */
export interface ManifestArgv {
  argv: string[];
  evidence: Evidence;
}

/** The argv a container starts with, and the input that said so. */
export interface ResolvedCommand {
  argv: string[];
  evidence: Evidence;
}

/**
 * resolveCommand applies Kubernetes semantics (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/):
 * `command` replaces ENTRYPOINT and drops CMD unless `args` is given; `args` alone replaces CMD; neither runs
 * ENTRYPOINT + CMD. An image with neither ENTRYPOINT nor CMD but a Procfile `web:` entry (a buildpacks build) runs
 * that entry through the shell; it is passed on as its shell words (operators kept as words, `$VAR` unexpanded), the
 * form `detectServer` reads for a Procfile source. With no image facts, `args` alone is taken as the whole command:
 * the image's ENTRYPOINT is unknown, and Python base images set none.
 */
export function resolveCommand(manifest: { command?: ManifestArgv; args?: ManifestArgv }, image?: ImageFacts): ResolvedCommand | undefined {
  const { command, args } = manifest;
  if (command !== undefined) {
    const argv = [...command.argv, ...(args?.argv ?? [])];
    // The server's flags are usually in `args` when `command` only names the program.
    const evidence = args !== undefined && command.argv.length <= 1 ? args.evidence : command.evidence;
    return nonEmpty({ argv, evidence });
  }
  if (args !== undefined) return nonEmpty({ argv: [...(image?.entrypoint?.argv ?? []), ...args.argv], evidence: args.evidence });
  if (image === undefined) return undefined;
  if (image.entrypoint !== undefined || image.cmd !== undefined) {
    const argv = [...(image.entrypoint?.argv ?? []), ...(image.cmd?.argv ?? [])];
    return nonEmpty({ argv, evidence: (image.cmd ?? image.entrypoint)?.evidence as Evidence });
  }
  if (image.procfileWeb !== undefined) return nonEmpty({ argv: shellWords(image.procfileWeb.command), evidence: image.procfileWeb.evidence });
  return undefined;
}

function nonEmpty(resolved: ResolvedCommand): ResolvedCommand | undefined {
  return resolved.argv.length === 0 ? undefined : resolved;
}

/** gunicorn's own default config file, loaded from the working directory when no `-c` is given. */
const DEFAULT_CONF_NAME = 'gunicorn.conf.py';

const SHELL = /(?:^|\/)(?:ba|da|z)?sh$/;
const COMMAND_SEPARATORS = new Set([';', '&&', '||', '|', '&']);

/**
 * gunicornConfFor picks the config file a gunicorn command loads among those joined: the one named by
 * `-c`/`--config` (by file name; `python:pkg.conf` means `conf.py`), or `gunicorn.conf.py` when no `-c` is given,
 * since gunicorn loads `./gunicorn.conf.py` by default. Undefined when the command is not gunicorn.
 */
export function gunicornConfFor(argv: readonly string[], confs: readonly GunicornConf[]): GunicornConf | undefined {
  if (confs.length === 0) return undefined;
  const words = commandWords(argv);
  const at = words.findIndex((word) => posix.basename(word) === 'gunicorn');
  if (at === -1) return undefined;
  const option = configOption(words.slice(at + 1));
  const wanted = option === undefined ? DEFAULT_CONF_NAME : configFileName(option);
  return confs.find((conf) => posix.basename(conf.file) === wanted);
}

/** commandWords unwraps `sh -c "text"` into the words of the text. */
function commandWords(argv: readonly string[]): string[] {
  const [program, flag, script] = argv;
  if (program !== undefined && SHELL.test(program) && flag !== undefined && /^-[a-z]*c[a-z]*$/.test(flag) && script !== undefined) return shellWords(script);
  return [...argv];
}

function configOption(words: readonly string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (COMMAND_SEPARATORS.has(word)) return undefined;
    if (word === '-c' || word === '--config') return words[i + 1];
    if (word.startsWith('--config=')) return word.slice('--config='.length);
    if (/^-c[^-]/.test(word)) return word.slice(2);
  }
  return undefined;
}

function configFileName(option: string): string {
  if (option.startsWith('python:')) return `${option.slice('python:'.length).split('.').at(-1) ?? ''}.py`;
  return posix.basename(option.replace(/^file:/, ''));
}
