/**
 * @module `pytuner controller …` without the rest of the CLI: main.ts takes this path when the first argument is
 * `controller`, so a controller pod loads commander and the controller, never the report pipeline, its formatters
 * or the metrics client (bench/startup.ts measures the difference; the budget is 150 ms of CPU to ready).
 * The command, its flags and its help are the very ones program.ts registers (`addControllerCommand`).
 */
import { addControllerCommand } from './controller.ts';
import { EXIT_OK } from './exitCodes.ts';
import type { CliIo } from './io.ts';
// For main.ts and snapshot.ts, which load this module alone: the process's streams come with it.
export { processIo } from './io.ts';
import { rootCommand, runCommand } from './root.ts';

/** Runs `args` (`controller …`) and returns the exit code, as program.ts's `run` does for every command. */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = rootCommand(io);
  addControllerCommand(program, io, (code) => {
    exitCode = code;
  });
  return runCommand(program, args, io, () => exitCode);
}
