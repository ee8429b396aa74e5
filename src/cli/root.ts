/**
 * @module The root `pytuner` command as every entry point configures it (output streams, errors, help), and the
 * run loop that turns commander's outcome into an exit code. Light on purpose: `pytuner controller` starts through
 * `controllerOnly.ts` with this and nothing of the report pipeline.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_INPUT, EXIT_INTERNAL, EXIT_OK } from './exitCodes.ts';
import type { CliIo } from './io.ts';

/** A root `pytuner` command writing to `io`, throwing instead of exiting, with pytuner's error prefix. */
export function rootCommand(io: CliIo): Command {
  return new Command('pytuner')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`pytuner: ${text}`),
    })
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true);
}

/**
 * Parses `args` (without `node` and the script) with `program`, runs the chosen action and returns the exit code the
 * action set (`exitCode()` is read afterwards). Never throws: usage errors give 2, anything else 3 with a hint.
 */
export async function runCommand(program: Command, args: readonly string[], io: CliIo, exitCode: () => number): Promise<number> {
  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_INPUT;
    io.stderr.write(`pytuner: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (io.env['PYTUNER_DEBUG'] !== undefined && error instanceof Error && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
    else io.stderr.write('pytuner: this is a bug; set PYTUNER_DEBUG=1 for a stack trace and report it\n');
    return EXIT_INTERNAL;
  }
}
