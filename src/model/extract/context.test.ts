import { describe, expect, it } from 'vitest';
import type { ParsedDocument } from '../../parse/types.ts';
import { manifestEvidence } from './context.ts';

describe('manifestEvidence', () => {
  const lines = new Map([
    ['spec', 3],
    ['spec.template', 5],
    ['spec.template.spec.containers[0]', 12],
    ['spec.template.spec.containers[0].args', 14],
  ]);
  /** A document whose line map records every path asked for. */
  function documentAsking(asked: string[]): ParsedDocument {
    const fieldLines = new (class extends Map<string, number> {
      override get(key: string): number | undefined {
        asked.push(key);
        return super.get(key);
      }
    })(lines);
    return { file: 'service.yaml', line: 1, docIndex: 0, object: {}, fieldLines };
  }

  it('gives the line of the field, else of the nearest enclosing field, else of the document, looking each path up once', () => {
    const cases: [PropertyKey[], number][] = [
      [['spec', 'template', 'spec', 'containers', 0, 'args'], 14],
      [['spec', 'template', 'spec', 'containerConcurrency'], 5],
      [['metadata', 'name'], 1],
    ];
    for (const [path, line] of cases) {
      const asked: string[] = [];
      expect(manifestEvidence(documentAsking(asked), path as (string | number)[])).toMatchObject({ file: 'service.yaml', line });
      expect(new Set(asked).size, asked.join(' | ')).toBe(asked.length);
    }
  });
});
