/**
 * Runs the built `pytuner` binary in a child process, the way a user or CI does, with the Node that runs
 * the tests (Node 24). Colour is left to the environment the test gives; by default none is forced.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');
/** The built executable. */
export const BIN = resolve(ROOT, 'dist/cli/main.js');

/** What a run printed and returned. */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `pytuner ...args` in `cwd` (the repository root by default), with `input` on stdin. */
export function pytuner(args: readonly string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): RunResult {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env };
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    env: env as NodeJS.ProcessEnv,
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
