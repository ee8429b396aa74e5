import { describe, expect, it } from 'vitest';
import { formatFieldPath, lineAt } from './fieldPath.ts';

describe('lineAt', () => {
  const packed = { packed: '\nspec\t3\nspec.template\t5\nspec.template.metadata.annotations["run.googleapis.com/cpu-throttling"]\t8\nspec.template.spec.containers[0]\t12\nspec.template.spec.containers[0].args\t14\n' };
  const asMap = new Map([...packed.packed.matchAll(/\n([^\t]+)\t(\d+)/g)].map((m) => [m[1] as string, Number(m[2])]));

  it('gives the line of the field, else of its nearest enclosing field that has one, from packed lines or a Map', () => {
    for (const lines of [packed, asMap]) {
      expect(lineAt(lines, ['spec', 'template', 'spec', 'containers', 0, 'args'])).toBe(14);
      expect(lineAt(lines, ['spec', 'template', 'spec', 'containers', 0, 'env', 2, 'value'])).toBe(12);
      expect(lineAt(lines, ['spec', 'template', 'spec', 'containerConcurrency'])).toBe(5);
      expect(lineAt(lines, ['spec', 'template', 'metadata', 'annotations', 'run.googleapis.com/cpu-throttling'])).toBe(8);
      expect(lineAt(lines, ['spec', 'template', 'metadata', 'annotations', 'autoscaling.knative.dev/maxScale'])).toBe(5);
      expect(lineAt(lines, ['metadata', 'name'])).toBeUndefined();
      expect(lineAt(lines, [])).toBeUndefined();
    }
    expect(lineAt(undefined, ['spec'])).toBeUndefined();
  });

  it('looks each enclosing path up as formatFieldPath writes it', () => {
    const segments = ['spec', 'template', 'metadata', 'annotations', 'run.googleapis.com/cpu-throttling'];
    expect(formatFieldPath(segments)).toBe('spec.template.metadata.annotations["run.googleapis.com/cpu-throttling"]');
    expect(lineAt(new Map([[formatFieldPath(segments.slice(0, 3)), 7]]), segments)).toBe(7);
  });

  it('with the field already formatted, gives the same lines and looks each path up once', () => {
    const cases: PropertyKey[][] = [['spec', 'template', 'spec', 'containers', 0, 'args'], ['spec', 'template', 'spec', 'containers', 0, 'env', 2, 'value'], ['metadata', 'name'], ['spec']];
    for (const segments of cases) {
      const asked: string[] = [];
      const counting = new (class extends Map<string, number> {
        override get(key: string): number | undefined {
          asked.push(key);
          return super.get(key);
        }
      })(asMap);
      expect(lineAt(counting, segments, formatFieldPath(segments))).toBe(lineAt(asMap, segments));
      expect(new Set(asked).size, asked.join(' | ')).toBe(asked.length);
    }
  });
});
