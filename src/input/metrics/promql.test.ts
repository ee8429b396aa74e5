import { describe, expect, it } from 'vitest';
import { escapeLabelValue, fillTemplate, labelEquals, matchers, promqlDuration, selector, templatePlaceholders } from './promql.ts';

describe('PromQL strings', () => {
  it.each([
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['back\\slash', 'back\\\\slash'],
    ['line\nbreak', 'line\\nbreak'],
    ['\\"', '\\\\\\"'],
    ["it's", "it's"],
  ])('escapes %j as %j', (value, escaped) => {
    expect(escapeLabelValue(value)).toBe(escaped);
  });

  it('builds matchers and selectors, leaving out undefined values', () => {
    expect(labelEquals('namespace', 'q"x')).toBe('namespace="q\\"x"');
    expect(matchers({ namespace: 'shop', service: undefined }, ['container!=""'])).toBe('namespace="shop", container!=""');
    expect(selector('up', '')).toBe('up');
    expect(selector('run_googleapis_com:request_count', 'a="b"')).toBe('run_googleapis_com:request_count{a="b"}');
  });

  it('writes durations in whole seconds, rounding up', () => {
    expect(promqlDuration(300)).toBe('300s');
    expect(promqlDuration(0.5)).toBe('1s');
  });
});

describe('query templates', () => {
  it('names the placeholders a template uses, and rejects unknown ones', () => {
    expect(templatePlaceholders('rate(x{ns="{{namespace}}", app="{{ name }}"}[{{window}}])')).toEqual({ used: new Set(['namespace', 'name', 'window']) });
    expect(templatePlaceholders('x{a="{{deployment}}"}')).toEqual({ error: 'unknown placeholder {{deployment}} (known: {{namespace}}, {{name}}, {{window}})' });
  });

  it('fills placeholders with escaped label values and the rate window', () => {
    const filled = fillTemplate('sum(rate(x{namespace="{{namespace}}", app="{{name}}"}[{{window}}]))', { namespace: 'we"ird\\ns', name: 'a\nb', windowSeconds: 300 });
    expect(filled).toBe('sum(rate(x{namespace="we\\"ird\\\\ns", app="a\\nb"}[300s]))');
  });
});
