/**
 * @module Small PromQL text builders: string literals with escaped label values, label matchers, durations, and the
 * user's query templates (`--request-rate-query` …) with their `{{namespace}}`/`{{name}}`/`{{window}}` placeholders.
 * Pure: text in, text out.
 */

/** Prometheus refuses a range query of more than 11,000 points per series (`exceeded maximum resolution`). */
export const PROMETHEUS_MAX_POINTS = 11_000;

/** The resolution of the range queries, `report --step` and the controller alike: 5 m (2,016 points over 7 days). */
export const DEFAULT_STEP_SECONDS = 300;

/**
 * A label value escaped for a double-quoted PromQL string. PromQL strings follow Go's escapes; only `\`, `"` and
 * line breaks need one (a `\'` inside double quotes is a parse error, so single quotes are left as they are).
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** A double-quoted PromQL string literal holding exactly `value`. */
export function promqlString(value: string): string {
  return `"${escapeLabelValue(value)}"`;
}

/** `label="value"`, escaped. */
export function labelEquals(label: string, value: string): string {
  return `${label}=${promqlString(value)}`;
}

/** Equality matchers joined for a selector body; undefined values are left out. */
export function matchers(pairs: Record<string, string | undefined>, extra: readonly string[] = []): string {
  const parts = Object.entries(pairs)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([label, value]) => labelEquals(label, value));
  return [...parts, ...extra].join(', ');
}

/** `name{matchers}`, or the bare name when there are none. A `:` in the name (Cloud Monitoring's mapping) is valid PromQL. */
export function selector(metric: string, body: string): string {
  return body === '' ? metric : `${metric}{${body}}`;
}

/** Seconds as a PromQL duration (`300s`); PromQL durations are integers, so fractions round up. */
export function promqlDuration(seconds: number): string {
  return `${Math.ceil(seconds)}s`;
}

/** The placeholders a query template may use. */
export const TEMPLATE_PLACEHOLDERS = ['namespace', 'name', 'window'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The placeholders a template names, or the unknown ones as an error message. */
export function templatePlaceholders(template: string): { used: Set<TemplatePlaceholder> } | { error: string } {
  const used = new Set<TemplatePlaceholder>();
  const unknown: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1] as string;
    if ((TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) used.add(name as TemplatePlaceholder);
    else unknown.push(`{{${name}}}`);
  }
  if (unknown.length > 0) return { error: `unknown placeholder ${unknown.join(', ')} (known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')})` };
  return { used };
}

/**
 * Fills a template. `{{namespace}}` and `{{name}}` become escaped label values, for use inside double quotes
 * (`namespace="{{namespace}}"`); `{{window}}` becomes a PromQL duration (`[{{window}}]`).
 */
export function fillTemplate(template: string, values: { namespace?: string; name: string; windowSeconds: number }): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'namespace') return escapeLabelValue(values.namespace ?? '');
    if (name === 'name') return escapeLabelValue(values.name);
    if (name === 'window') return promqlDuration(values.windowSeconds);
    return whole;
  });
}
