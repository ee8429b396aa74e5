/**
 * @module The contract of a server plug-in: one module per Python server declares everything pytuner knows about it
 * (how to recognise it on a command line, how it reads its options, its concurrency model, and which of its
 * settings pytuner may write and where). The registry (`registry.ts`) lists one plug-in per `ServerKind`, typed so
 * that a kind without a plug-in fails `tsc`.
 */
import type { Evidence } from '../evidence.ts';
import type { GunicornConf } from '../image.ts';
import type { ServerConfig, ServerKind } from '../server.ts';
import type { ServerInvocation } from './argv.ts';

/** How a server is started: executable names, `python -m` modules, and `program subcommand` launchers (`fastapi run`). */
export interface ServerDetection {
  /** Executable basenames (`gunicorn`, `gunicorn3`). */
  programs: readonly string[];
  /** Modules run with `python -m` (`gunicorn`, `gunicorn.app.wsgiapp`). */
  modules: readonly string[];
  /**
   * `program subcommand` pairs that start this server (`fastapi run`, `litestar run`): the program is found as an
   * executable or a `python -m` module. The plug-in's `read` sees the pair as `ServerInvocation.launcher`.
   */
  subcommands?: ReadonlyArray<{ program: string; subcommand: string; programOptionsWithValue?: readonly string[] }>;
}

/**
 * How a server turns processes into request slots, in words, for the README's server table and for people: how
 * many processes, how many threads per process, whether requests run on an event loop, and what a free-threaded
 * (PEP 703) interpreter changes.
 */
export interface ConcurrencyDeclaration {
  processes: string;
  threads: string;
  eventLoop: 'always' | 'never' | 'by worker class';
  freeThreaded: string;
}

/** What to write when nothing sets a setting: an env var the server reads, or words appended to an env var of options. */
export type UnsetWrite = { env: string } | { envWords: string; words: (value: number) => string };

/**
 * One setting pytuner may change, and where: the command-line flag (long and short spelling), the config-file key
 * (`gunicorn.conf.py` name, uWSGI ini key), the env vars the server also reads it from (lowest precedence first),
 * and the write that sets it when only the server's default is in force (`undefined`: no write, no fix).
 */
export interface KnobDeclaration {
  /** Absent for a setting only env sets (Functions Framework's `THREADS`). */
  flag?: { long: string; short?: string };
  /** Absent for a server without a config file. */
  confKey?: string;
  /** The server's executable name, found before the flag in shell text. */
  anchor: string;
  env: readonly string[];
  whenUnset?: UnsetWrite;
  /** The default and where it is documented or defined (file and version of the server's source). */
  default: { value: number | string; source: string };
}

/** What kind of program it is: a production web server, a development server, or an interactive app server. */
export type ServerRole = 'production' | 'development' | 'interactive';

/** A Python server, as one module declares it. */
export interface ServerPlugin<K extends ServerKind = ServerKind> {
  kind: K;
  /** How people write its name (`uWSGI`, `Functions Framework`). */
  title: string;
  role: ServerRole;
  detection: ServerDetection;
  concurrency: ConcurrencyDeclaration;
  /** Settings pytuner may write; a server without worker processes or threads has none for them. */
  knobs: { workers?: KnobDeclaration; threads?: KnobDeclaration };
  /** The server's own source or docs that its defaults and precedence were checked against (file, version). */
  sources: readonly string[];
  /**
   * Reads the server's effective settings from the invocation `detection` found, its env and, for gunicorn, the
   * `gunicorn.conf.py` pytuner read. `undefined` when the command does not serve (`--help`, `--version`).
   */
  read(server: ServerInvocation, evidence: Evidence, conf?: GunicornConf): ServerConfig | undefined;
}
