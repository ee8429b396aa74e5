/**
 * @module Interactive app servers, streamlit (`streamlit run app.py`, a Tornado server) and gradio (`gradio app.py`,
 * its reload mode; or a script calling `demo.launch()`): each serves one stateful UI over websockets. They have no
 * WSGI/ASGI worker or thread settings to tune, so pytuner recognises them and says so instead of staying silent.
 * @see https://docs.streamlit.io/develop/api-reference/cli/run
 * @see https://www.gradio.app/guides/developing-faster-with-reload-mode
 */
import type { Evidence } from '../evidence.ts';
import { byDefault } from '../evidence.ts';
import type { ServerConfig } from '../server.ts';
import type { ServerInvocation } from './argv.ts';
import { serverArgv } from './argv.ts';
import { located } from './options.ts';
import type { ConcurrencyDeclaration, ServerPlugin } from './plugin.ts';

const CONCURRENCY: ConcurrencyDeclaration = {
  processes: 'always 1',
  threads: 'one event loop; each session runs its script in a thread',
  eventLoop: 'always',
  freeThreaded: 'no change for tuning',
};

/** streamlit. */
export const streamlitPlugin: ServerPlugin<'streamlit'> = {
  kind: 'streamlit',
  title: 'streamlit',
  role: 'interactive',
  detection: { programs: [], modules: [], subcommands: [{ program: 'streamlit', subcommand: 'run' }] },
  concurrency: CONCURRENCY,
  knobs: {},
  sources: ['https://docs.streamlit.io/develop/api-reference/cli/run', 'https://docs.streamlit.io/develop/api-reference/configuration/config.toml'],
  read: (server, evidence) => interactive('streamlit', server, evidence, '0.0.0.0:8501', 'streamlit default (server.address unset: all interfaces, server.port 8501)'),
};

/** gradio's CLI, which runs an app in reload mode. */
export const gradioPlugin: ServerPlugin<'gradio'> = {
  kind: 'gradio',
  title: 'gradio',
  role: 'interactive',
  detection: { programs: ['gradio'], modules: [] },
  concurrency: { ...CONCURRENCY, threads: 'one event loop; event handlers run in a thread pool (default_concurrency_limit 1 per event)' },
  knobs: {},
  sources: ['https://www.gradio.app/guides/developing-faster-with-reload-mode', 'https://www.gradio.app/guides/setting-up-a-demo-for-maximum-performance'],
  read: (server, evidence) => {
    const config = interactive('gradio', server, evidence, '127.0.0.1:7860', 'gradio default (GRADIO_SERVER_NAME, GRADIO_SERVER_PORT)');
    // `gradio app.py` watches the source and reloads: the docs' development mode.
    if (server.launcher === 'server') config.development = located(evidence, 'gradio', serverArgv(server).join(' '));
    return config;
  },
};

function interactive(kind: 'streamlit' | 'gradio', server: ServerInvocation, evidence: Evidence, bind: string, what: string): ServerConfig {
  return {
    kind,
    argv: serverArgv(server),
    evidence,
    model: 'async',
    workers: byDefault(1, `${kind} runs one process`),
    threads: byDefault(1, `${kind} runs one event loop`),
    bind: byDefault(bind, what),
    unreadConfig: [...server.unread],
    interactive: `${kind} is an interactive app server: one process serving a UI over websockets, with no WSGI/ASGI worker or thread settings; pytuner does not tune it`,
  };
}
