/**
 * @module The one list of server plug-ins. Its type requires a plug-in for every `ServerKind` (and each under its own
 * kind): adding a kind to `ServerKind` without a plug-in here fails `tsc`. Detection tables are built from it.
 */
import type { ServerKind } from '../server.ts';
import type { ServerTable } from './argv.ts';
import type { ServerPlugin } from './plugin.ts';
import { daphnePlugin } from './daphne.ts';
import { djangoRunserverPlugin } from './djangoRunserver.ts';
import { flaskDevPlugin } from './flaskDev.ts';
import { functionsFrameworkPlugin } from './functionsFramework.ts';
import { granianPlugin } from './granian.ts';
import { gunicornPlugin } from './gunicorn.ts';
import { hypercornPlugin } from './hypercorn.ts';
import { gradioPlugin, streamlitPlugin } from './interactive.ts';
import { litestarPlugin } from './litestar.ts';
import { uvicornPlugin } from './uvicorn.ts';
import { uwsgiPlugin } from './uwsgi.ts';
import { waitressPlugin } from './waitress.ts';

/** Every server plug-in, by kind. */
export const SERVER_PLUGINS = {
  gunicorn: gunicornPlugin,
  uvicorn: uvicornPlugin,
  uwsgi: uwsgiPlugin,
  waitress: waitressPlugin,
  hypercorn: hypercornPlugin,
  granian: granianPlugin,
  'functions-framework': functionsFrameworkPlugin,
  daphne: daphnePlugin,
  litestar: litestarPlugin,
  'flask-dev': flaskDevPlugin,
  'django-runserver': djangoRunserverPlugin,
  streamlit: streamlitPlugin,
  gradio: gradioPlugin,
} as const satisfies { [K in ServerKind]: ServerPlugin<K> };

/** The plug-in of a server kind. */
export function serverPlugin<K extends ServerKind>(kind: K): ServerPlugin<K> {
  return SERVER_PLUGINS[kind] as ServerPlugin<K>;
}

/** Every plug-in, in registry order. */
export const ALL_SERVER_PLUGINS: readonly ServerPlugin[] = Object.values(SERVER_PLUGINS);

/** Which program, module and `program subcommand` starts which server, from the plug-ins' detection declarations. */
export const SERVER_TABLE: ServerTable = buildTable(ALL_SERVER_PLUGINS);

function buildTable(plugins: readonly ServerPlugin[]): ServerTable {
  const programs = new Map<string, ServerKind>();
  const modules = new Map<string, ServerKind>();
  const subcommands = new Map<string, { servers: Map<string, ServerKind>; valued: Set<string> }>();
  for (const plugin of plugins) {
    for (const name of plugin.detection.programs) programs.set(name, plugin.kind);
    for (const name of plugin.detection.modules) modules.set(name, plugin.kind);
    for (const { program, subcommand, programOptionsWithValue } of plugin.detection.subcommands ?? []) {
      const entry = subcommands.get(program) ?? { servers: new Map<string, ServerKind>(), valued: new Set<string>() };
      entry.servers.set(subcommand, plugin.kind);
      for (const option of programOptionsWithValue ?? []) entry.valued.add(option);
      subcommands.set(program, entry);
    }
  }
  return { programs, modules, subcommands };
}
