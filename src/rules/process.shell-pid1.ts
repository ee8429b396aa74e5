/**
 * @module `process.shell-pid1`: the container's command is a shell script (a shell-form `CMD`/`ENTRYPOINT`, or
 * `sh -c "..."`) that runs other commands before the server without `exec`. The shell stays PID 1 and the server is
 * its child: the SIGTERM Kubernetes and Cloud Run send on scale-down reaches the shell, which does not forward it, so
 * the server is killed with SIGKILL after the grace period instead of finishing its requests.
 * @see docs/rules/process.shell-pid1.md
 */
import type { Finding, Fix } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import { shellScript } from '../model/server/shell.ts';
import { leadingText } from '../model/server/words.ts';
import type { Rule } from './types.ts';
import { targetOf } from './facts.ts';
import { sourceLineOf } from './fixes.ts';

const ID = 'process.shell-pid1';

const SHELL = /(^|\/)(sh|bash|dash|ash)$/;
/** The characters of every operator that splits shell text into commands (`;`, `&`, `&&`, `|`, `||`, `(`, `)`), and a newline. */
const COMMAND_SEPARATOR = /[;&|()\n]/;

export const shellPid1: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'a shell script starts the server without exec: /bin/sh stays PID 1 and SIGTERM does not reach the server',
  check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(workload, container))),
};

/** The container's command as run: the manifest's, else the image's ENTRYPOINT + CMD. */
function commandOf(container: ContainerFacts): { argv: string[]; from: 'manifest' | 'image' } | undefined {
  if (container.command !== undefined) return { argv: [...container.command, ...(container.args ?? [])], from: 'manifest' };
  const image = container.dockerfile;
  if (image === undefined) return undefined;
  const argv = [...(image.entrypoint?.argv ?? []), ...(container.args ?? image.cmd?.argv ?? [])];
  return argv.length === 0 ? undefined : { argv, from: container.args === undefined ? 'image' : 'manifest' };
}

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const server = container.server;
  if (server === undefined) return [];
  const command = commandOf(container);
  if (command === undefined || !SHELL.test(command.argv[0] ?? '')) return [];
  const c = command.argv.indexOf('-c');
  const text = c === -1 ? undefined : command.argv[c + 1];
  // Only a control operator or a newline ends a command: text without one is at most one command, and parsing it again
  // (the server's detection parsed it already) costs more than this whole rule does elsewhere.
  if (text === undefined || !COMMAND_SEPARATOR.test(text)) return [];
  const script = shellScript(text);
  // A single command is exec'd by the shell itself (dash ≥ 0.5.11, bash, busybox ash run the last command of -c in place).
  if (script === undefined || script.commands.length < 2) return [];
  const last = script.commands.at(-1);
  if (last === undefined || last.length === 0 || leadingText(last[0]!) === 'exec') return [];
  const program = leadingText(last[0]!);
  const finding: Finding = {
    rule: ID,
    severity: 'warning',
    target: targetOf(workload, container),
    message: `the container runs ${server.kind} from a shell script without exec (sh -c "…; ${program} …"): the shell stays PID 1, SIGTERM on scale-down does not reach ${server.kind}, and in-flight requests are cut when the grace period ends; start it with exec ${program}`,
    current: { pid1: 'sh' },
    recommended: { pid1: server.kind },
    evidence: [server.evidence],
  };
  const fix = fixOf(container, command.from, program);
  if (fix !== undefined) finding.fix = fix;
  return [finding];
}

/** Puts `exec` before the last command on the Dockerfile line; a manifest's command is given in notes. */
function fixOf(container: ContainerFacts, from: 'manifest' | 'image', program: string): Fix | undefined {
  const image = container.dockerfile;
  const at = image?.cmd ?? image?.entrypoint;
  const line = from === 'image' && image !== undefined && at !== undefined ? sourceLineOf(image, at.evidence) : undefined;
  const index = line === undefined ? -1 : line.text.lastIndexOf(program);
  if (line === undefined || index === -1) return { notes: [`put exec before ${program} in the container's command (the last command of the script)`] };
  const after = `${line.text.slice(0, index)}exec ${line.text.slice(index)}`;
  return { edits: [{ file: line.file, line: line.line, before: line.text, after }] };
}
