import { describe, expect, it } from 'vitest';
import type { Evidence } from '../model/evidence.ts';
import { uniqueEvidence } from './facts.ts';

describe('uniqueEvidence', () => {
  it('keeps the first of evidence equal in source, file, line, field and text, in order', () => {
    const workers: Evidence = { source: 'manifest', file: 'a.yaml', line: 3, field: '--workers', text: '--workers 4' };
    const threads: Evidence = { source: 'manifest', file: 'a.yaml', line: 3, field: '--threads', text: '--threads 2' };
    const copy: Evidence = { ...workers };
    const absentText: Evidence = { source: 'default', field: '--preload default' };
    const absentTextAgain: Evidence = { source: 'default', field: '--preload default', text: undefined };
    expect(uniqueEvidence([workers, threads, copy, absentText, workers, absentTextAgain])).toEqual([workers, threads, absentText]);
  });

  it('keeps evidence of one field that differs in any other part', () => {
    const base: Evidence = { source: 'manifest', file: 'a.yaml', line: 3, field: 'spec.x', text: '1' };
    const variants: Evidence[] = [base, { ...base, source: 'Dockerfile' }, { ...base, file: 'b.yaml' }, { ...base, line: 4 }, { ...base, text: '2' }, { source: 'manifest', file: 'a.yaml', line: 3, field: 'spec.x' }];
    expect(uniqueEvidence([...variants, ...variants])).toEqual(variants);
  });
});
