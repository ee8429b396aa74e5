import { describe, expect, it } from 'vitest';
import { ALL_SERVER_PLUGINS, SERVER_PLUGINS, SERVER_TABLE } from './registry.ts';

describe('server plug-in registry', () => {
  it('files each plug-in under its own kind', () => {
    for (const [kind, plugin] of Object.entries(SERVER_PLUGINS)) expect(plugin.kind).toBe(kind);
  });

  it('gives every program and module name to one server only', () => {
    const seen = new Map<string, string>();
    for (const plugin of ALL_SERVER_PLUGINS) {
      for (const name of [...plugin.detection.programs.map((p) => `program ${p}`), ...plugin.detection.modules.map((m) => `module ${m}`)]) {
        expect(seen.get(name), `${name} is claimed by ${seen.get(name)} and ${plugin.kind}`).toBeUndefined();
        seen.set(name, plugin.kind);
      }
    }
  });

  it('cites a source for every server and every default it declares', () => {
    for (const plugin of ALL_SERVER_PLUGINS) {
      expect(plugin.sources.length, plugin.kind).toBeGreaterThan(0);
      for (const [name, knob] of Object.entries(plugin.knobs)) expect(knob.default.source, `${plugin.kind} ${name}`).not.toBe('');
    }
  });

  it('builds the detection table from the declarations', () => {
    expect(SERVER_TABLE.programs.get('gunicorn3')).toBe('gunicorn');
    expect(SERVER_TABLE.modules.get('gunicorn.app.wsgiapp')).toBe('gunicorn');
    expect(SERVER_TABLE.subcommands.get('fastapi')?.servers.get('run')).toBe('uvicorn');
    expect(SERVER_TABLE.programs.get('nginx')).toBeUndefined();
  });
});
