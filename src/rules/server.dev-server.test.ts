// The gunicorn command server.dev-server writes for `python file.py` must import what the file defines.
import { describe, expect, it } from 'vitest';
import type { LoadedInputs, SourceText } from '../parse/types.ts';
import { buildInventory } from '../model/extract/inventory.ts';
import { devServer } from './server.dev-server.ts';

const dockerfile = (file: string, ...lines: string[]): SourceText => ({ kind: 'Dockerfile', file, text: `${lines.join('\n')}\n` });
const context = (file: string, ...lines: string[]): SourceText => ({ kind: 'build-context', file, text: `${lines.join('\n')}\n` });

function commandFor(...sources: SourceText[]): string | undefined {
  const loaded: LoadedInputs = { documents: [], sources, errors: [], files: sources.length };
  const { inventory } = buildInventory(loaded, [], { platform: 'cloudrun' });
  const [finding, ...others] = devServer.check(inventory);
  expect(others).toEqual([]);
  return finding?.fix?.edits?.[0]?.after;
}

describe('server.dev-server: the app gunicorn imports from a python file.py', () => {
  const image = dockerfile('web/Dockerfile', 'FROM python:3.12-slim', 'WORKDIR /srv', 'COPY . .', 'CMD ["python", "site.py"]');

  it('calls the factory when the app is made only under __main__ (module:create_app())', () => {
    const after = commandFor(
      image,
      context('web/site.py', 'from flask import Flask', 'def create_app():', '    app = Flask(__name__)', '    return app', 'if __name__ == "__main__":', '    app = create_app()', '    app.run(port=8080)'),
    );
    expect(after).toBe("CMD exec gunicorn --bind :$PORT --workers 1 --threads 80 --timeout 0 'site:create_app()'");
  });

  it('names a module-level app by its own name, not always app', () => {
    const after = commandFor(image, context('web/site.py', 'import flask', 'application = flask.Flask(__name__)', 'if __name__ == "__main__":', '    application.run(port=8080)'));
    expect(after).toBe('CMD exec gunicorn --bind :$PORT --workers 1 --threads 80 --timeout 0 site:application');
  });
});
