import { describe, expect, it } from 'vitest';
import { applySpans } from '../model/change.ts';
import { envListPlacement } from './deployEnvLists.ts';

/** The lines with the placement's edit applied, or the placement when it is no edit. */
function placed(texts: string[], name: string, value: string): string[] | ReturnType<typeof envListPlacement> {
  const lines = texts.map((text, i) => ({ line: i + 1, text }));
  const placement = envListPlacement(lines, name, value);
  if (placement.kind !== 'edit' || placement.edit === 'as-is') return placement;
  const { line, span } = placement.edit;
  return lines.map((l) => (l.line === line ? applySpans(l.text, [span])! : l.text));
}

describe('envListPlacement', () => {
  it('rewrites the var inside a quoted --set-env-vars list, keeping the other vars', () => {
    expect(placed(['gcloud run deploy s --set-env-vars "A=1,GUNICORN_CMD_ARGS=--workers 2,B=2"'], 'GUNICORN_CMD_ARGS', '--workers 2 --preload')).toEqual([
      'gcloud run deploy s --set-env-vars "A=1,GUNICORN_CMD_ARGS=--workers 2 --preload,B=2"',
    ]);
  });

  it('appends to a list with gcloud`s ^DELIM^ form using its delimiter', () => {
    expect(placed(["  args: ['run', 'deploy', 's', '--set-env-vars=^|^A=x,y|B=2']"], 'G', '--timeout 0')).toEqual(["  args: ['run', 'deploy', 's', '--set-env-vars=^|^A=x,y|B=2|G=--timeout 0']"]);
  });

  it('quotes a bare shell word the new value needs quoted, and keeps a YAML block item plain', () => {
    expect(placed(['gcloud run deploy s --set-env-vars=A=1'], 'G', '--timeout 0')).toEqual(["gcloud run deploy s '--set-env-vars=A=1,G=--timeout 0'"]);
    expect(placed(['      - --set-env-vars', '      - A=1'], 'G', '--timeout 0')).toEqual(['      - --set-env-vars', '      - A=1,G=--timeout 0']);
  });

  it('appends to the sole --update-env-vars list, and says `as-is` for a var with the value already', () => {
    expect(placed(['gcloud run deploy s --update-env-vars=A=1'], 'B', '2')).toEqual(['gcloud run deploy s --update-env-vars=A=1,B=2']);
    expect(envListPlacement([{ line: 1, text: 'gcloud run deploy s --set-env-vars=A=1' }], 'A', '1')).toEqual({ kind: 'edit', edit: 'as-is' });
  });

  it('is exclusive (no --update-env-vars may join) for a file, and for a list that cannot hold the value', () => {
    expect(envListPlacement([{ line: 1, text: 'gcloud run deploy s --env-vars-file=env.yaml' }], 'A', '1')).toEqual({ kind: 'exclusive', flag: '--env-vars-file', note: 'env.yaml' });
    // A comma in the value of a `,`-delimited list, an expansion single quotes would stop.
    expect(envListPlacement([{ line: 1, text: 'gcloud run deploy s --set-env-vars=A=1' }], 'B', 'x,y')).toEqual({ kind: 'exclusive', flag: '--set-env-vars' });
    expect(envListPlacement([{ line: 1, text: 'gcloud run deploy s --set-env-vars=A=$MODE' }], 'B', 'x y')).toEqual({ kind: 'exclusive', flag: '--set-env-vars' });
    // A bare word inside a quoted YAML string, or in the action's flags input, is not given quotes of its own.
    expect(envListPlacement([{ line: 1, text: "  flags: '--cpu=2 --set-env-vars=A=1'" }], 'B', 'x y')).toEqual({ kind: 'exclusive', flag: '--set-env-vars' });
    expect(envListPlacement([{ line: 1, text: '  flags: --set-env-vars=A=1' }], 'B', 'x y')).toEqual({ kind: 'exclusive', flag: '--set-env-vars' });
    expect(envListPlacement([{ line: 1, text: 'gcloud run deploy s --clear-env-vars' }], 'B', '1')).toEqual({ kind: 'exclusive', flag: '--clear-env-vars' });
    expect(envListPlacement([{ line: 1, text: 'gcloud run deploy s --source .' }], 'B', '1')).toEqual({ kind: 'none' });
  });

  it('writes the deploy-cloudrun step`s env_vars input: a block value`s line, a one-line list`s item', () => {
    expect(placed(['        with:', '          env_vars: |', '            A=1', '            G=--workers 2', '          flags: --cpu=2'], 'G', '--workers 2 --preload')).toEqual([
      '        with:',
      '          env_vars: |',
      '            A=1',
      '            G=--workers 2 --preload',
      '          flags: --cpu=2',
    ]);
    expect(placed(['          env_vars: |', '            A=1', '          source: .'], 'G', '--preload')).toEqual(['          env_vars: |', '            A=1\n            G=--preload', '          source: .']);
    expect(placed(['          env_vars: A=1,B=2'], 'G', '--timeout 0')).toEqual(['          env_vars: A=1,B=2,G=--timeout 0']);
    // The action splits the input at commas: a value holding one is left to a note.
    expect(envListPlacement([{ line: 1, text: '          env_vars: A=1' }], 'G', 'a,b')).toEqual({ kind: 'exclusive', flag: 'env_vars' });
  });
});
