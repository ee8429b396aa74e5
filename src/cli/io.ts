/**
 * @module The process streams and environment the CLI uses. Its own module so that every command (report,
 * controller, importtime) can name it without importing the report program that registers them all.
 */

/** The process streams and environment the CLI uses, passed in so nothing below reads globals. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The process's own streams and environment, for an entry point (main.ts, snapshot.ts). stdout's EPIPE ends the
 * process quietly: `pytuner report | head` closes it early, the reader's choice, not an error worth a stack trace.
 */
export function processIo(): CliIo {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // A getter: Node builds process.stdin on first access, and for a stdin that is /dev/null or a file (a Kubernetes
    // container's, without `stdin: true`) that loads its fs stream classes, a few ms of CPU before ready in a command
    // that never reads stdin (only `report -f -` does).
    get stdin() {
      return process.stdin;
    },
    env: process.env,
  };
}
