// `pytuner report` (and the CLI's start-up in general) must not load the controller's dependencies: the Kubernetes
// client alone takes a few hundred milliseconds to import. A child Node process records every module the CLI resolves
// (module.registerHooks) while it runs a command, and the test looks for the controller's packages among them.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const programUrl = new URL('./program.ts', import.meta.url).href;
const CONTROLLER_ONLY = /@kubernetes\/client-node|prom-client|\/pino\/|src\/controller\/|src\/actuator\//;

/** Runs `pytuner <args>` in a child process and returns the URLs it resolved that only the controller needs. */
async function controllerModulesLoadedBy(args: string[]): Promise<{ loaded: string[]; stdout: string }> {
  const script = `
    import { registerHooks } from 'node:module';
    const resolved = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); resolved.push(r.url); return r; } });
    const { run } = await import(${JSON.stringify(programUrl)});
    let stdout = '';
    const out = { write: (t) => { stdout += t; return true; } };
    await run(${JSON.stringify(args)}, { stdout: out, stderr: out, stdin: process.stdin, env: {} });
    process.stdout.write(JSON.stringify({ resolved, stdout }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  const { resolved, stdout: output } = JSON.parse(stdout) as { resolved: string[]; stdout: string };
  return { loaded: resolved.filter((url) => CONTROLLER_ONLY.test(url)), stdout: output };
}

describe('pytuner start-up', () => {
  it('does not load the Kubernetes client, prom-client, pino or the controller for report', async () => {
    const { loaded, stdout } = await controllerModulesLoadedBy(['report', '-f', 'examples/knative-orders/service.yaml', '-o', 'json']);
    expect(JSON.parse(stdout)).toMatchObject({ version: 1 });
    expect(loaded).toEqual([]);
  });

  it('lists the controller command and its flags without loading the controller', async () => {
    const { loaded, stdout } = await controllerModulesLoadedBy(['controller', '--help']);
    expect(stdout).toContain('--leader-elect');
    expect(stdout).toContain('--lease-duration <duration>');
    expect(stdout).toContain('--metrics-interval <duration>');
    expect(loaded).toEqual([]);
  });
});
