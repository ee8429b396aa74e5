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
