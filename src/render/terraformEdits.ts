/**
 * @module The fixes of Cloud Run services read from Terraform, as edits of their `.tf` attributes in place. A rule
 * writes its fix as a JSON Patch of the service's Knative form (`parse/terraform.ts` maps the resource to it); here
 * each op becomes a change of the attribute or block it stands for (`max_instance_request_concurrency = 4`, an `env`
 * block, an element of `args`, a `startup_probe` block), by source range, leaving every other byte of the file as it
 * was. The changes of all findings on one resource are rendered together: changes on the same lines become one line
 * edit that every finding wanting part of it carries, so `report --fix` applies them as one. An op with no Terraform
 * form (an annotation v2 has no field for) leaves its finding without an in-place fix, and says why.
 *
 * A resource inside a local module (its target's namespace is `module.<call>`) is edited where its value was written:
 * a value the module takes as `var.x` is changed in the calling `module` block's argument; a value pytuner cannot write
 * there (the variable's default, an argument written as an expression) leaves advice instead. Text of the module's own
 * file is shared by every call of the module, so it is written only when the files read hold exactly one call, and
 * the fix says that the module file changes. Pure.
 */
import type { Finding, Fix, JsonPatchOp, SourceEdit } from '../model/finding.ts';
import { posix } from 'node:path';
import type { HclAttribute, HclBlock, HclFile, HclValue } from '../parse/hcl.ts';
import { attribute, blocks } from '../parse/hcl.ts';
import type { ModuleCall, ModuleVariables } from '../parse/terraform.ts';
import { CLOUD_RUN_V2, cloudRunResources, moduleCalls, moduleVariable, moduleVariables } from '../parse/terraform.ts';
import { planFixes } from './fixPlan.ts';

const TERRAFORM = 'terraform';

/** A change of one file's text: `[start, end)` replaced by `text` (an insert when start = end). */
interface Splice {
  file: string;
  start: number;
  end: number;
  text: string;
}

type Rendered = { ok: true; splices: Splice[]; notes?: string[] } | { ok: false; reason: string };

/** The module call a resource's finding belongs to, and how many calls of that module the files read hold. */
interface ModuleContext {
  call: ModuleCall;
  calls: number;
  variables: ModuleVariables;
}

/** Findings on Terraform resources get `.tf` edits instead of their JSON Patch; the others are returned as they are. */
export function withTerraformEdits(findings: readonly Finding[], files: readonly HclFile[]): Finding[] {
  const out = [...findings];
  const groups = new Map<string, number[]>();
  out.forEach((f, i) => {
    if (f.target.apiVersion !== TERRAFORM || (f.fix?.jsonPatch?.length ?? 0) === 0) return;
    const key = `${f.target.file ?? ''}\u0000${f.target.namespace ?? ''}\u0000${f.target.kind}.${f.target.name}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const indexes of groups.values()) {
    const first = out[indexes[0] as number] as Finding;
    const hcl = files.find((f) => f.file === first.target.file);
    const resource = hcl === undefined ? undefined : cloudRunResources(hcl.body).get(`${first.target.kind}.${first.target.name}`);
    const module = moduleContext(files, first.target.file, first.target.namespace);
    // Fixes that disagree are left unfixed, as for a YAML object (render/fixPlan.ts): choosing one would be a guess.
    const clashes = new Map<Finding, string>();
    for (const { findings: pair, where } of planFixes(indexes.map((i) => out[i] as Finding)).conflicts) {
      for (const f of pair) clashes.set(f, `${pair.map((p) => p.rule).join(' and ')} change ${where} differently; apply one by hand, then run pytuner again`);
    }
    const rendered = indexes.map((i): Rendered => {
      const finding = out[i] as Finding;
      const clash = clashes.get(finding);
      if (clash !== undefined) return { ok: false, reason: clash };
      return hcl === undefined || resource === undefined ? fail('the resource was not found in the parsed file') : renderOps(hcl, resource, finding.fix?.jsonPatch ?? [], module, files);
    });
    const splices = rendered.flatMap((r) => (r.ok ? r.splices : []));
    const edits = files.flatMap((file) => lineEdits(file, splices.filter((s) => s.file === file.file)));
    indexes.forEach((i, n) => {
      const finding = out[i] as Finding;
      const result = rendered[n] as Rendered;
      out[i] = { ...finding, fix: terraformFix(finding.fix as Fix, result, result.ok ? edits.filter((e) => result.splices.some((s) => e.splices.includes(s))).map((e) => e.edit) : []) };
    });
  }
  return out;
}

function terraformFix(fix: Fix, result: Rendered, edits: SourceEdit[]): Fix {
  const { jsonPatch: _patch, applyFragment: _fragment, ...kept } = fix;
  if (!result.ok) return { ...kept, notes: [...(kept.notes ?? []), `not written to the .tf file: ${result.reason}`] };
  const notes = [...(kept.notes ?? []), ...(result.notes ?? [])];
  return { ...kept, edits: [...(kept.edits ?? []), ...edits], ...(notes.length > 0 ? { notes } : {}) };
}

/** The call of a module resource's finding (namespace `module.<call>`, file in the module's directory). */
function moduleContext(files: readonly HclFile[], file: string | undefined, namespace: string | undefined): ModuleContext | undefined {
  const name = /^module\.(.+)$/.exec(namespace ?? '')?.[1];
  if (name === undefined || file === undefined) return undefined;
  const dir = posix.dirname(file);
  const all = moduleCalls(files).filter((c) => c.dir === dir);
  const call = all.find((c) => c.name === name);
  if (call === undefined) return undefined;
  return { call, calls: all.length, variables: moduleVariables(files, dir) };
}

/** Groups splices whose lines touch into one line edit each. */
function lineEdits(hcl: HclFile, splices: readonly Splice[]): { edit: SourceEdit; splices: Splice[] }[] {
  const unique: Splice[] = [];
  for (const s of splices) if (!unique.some((u) => u.start === s.start && u.end === s.end && u.text === s.text)) unique.push(s);
  const starts = lineStarts(hcl.text);
  const lineOf = (offset: number): number => {
    let line = 0;
    while (line + 1 < starts.length && (starts[line + 1] as number) <= offset) line++;
    return line;
  };
  const spans = unique.map((s) => ({ s, from: lineOf(s.start), to: lineOf(Math.max(s.start, s.end - 1)) })).sort((a, b) => a.from - b.from || a.s.start - b.s.start);
  const groups: { from: number; to: number; splices: Splice[] }[] = [];
  for (const span of spans) {
    const last = groups.at(-1);
    if (last !== undefined && span.from <= last.to) {
      last.to = Math.max(last.to, span.to);
      last.splices.push(span.s);
    } else groups.push({ from: span.from, to: span.to, splices: [span.s] });
  }
  return groups.map(({ from, to, splices: group }) => {
    const start = starts[from] as number;
    const next = starts[to + 1];
    const end = next === undefined ? hcl.text.length : next - 1;
    let after = hcl.text.slice(start, end);
    // Right to left, so earlier offsets stay valid; inserts at one offset keep finding order.
    for (const s of [...group].reverse().sort((a, b) => b.start - a.start)) after = after.slice(0, s.start - start) + s.text + after.slice(s.end - start);
    return { edit: { file: hcl.file, line: from + 1, before: hcl.text.slice(start, end), after }, splices: group };
  });
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

const CONTAINERS = /^\/spec\/template\/spec\/containers\/(\d+)(\/.*)?$/;
const ANNOTATIONS = '/spec/template/metadata/annotations';

/** The splices of one finding's ops on one resource, or why they cannot be written. */
function renderOps(hcl: HclFile, resource: HclBlock, ops: readonly JsonPatchOp[], module: ModuleContext | undefined, files: readonly HclFile[]): Rendered {
  const editor = new ResourceEditor(hcl, resource, module, files);
  const splices: Splice[] = [];
  for (const op of ops) {
    if (op.op === 'test') continue;
    const result = op.op === 'remove' ? ({ ok: false, reason: `removing ${op.path} is not supported` } as Rendered) : editor.op(op.path, op.value);
    if (!result.ok) return result;
    splices.push(...result.splices);
  }
  return moduleChecked(splices, hcl.file, module);
}

/**
 * Splices of a module resource: those in the module's own file change it for every call, so they stand only when the
 * files read hold one call of the module, and the fix says so; the caller's arguments are that call's alone.
 */
function moduleChecked(splices: Splice[], moduleFile: string, module: ModuleContext | undefined): Rendered {
  if (module === undefined || !splices.some((s) => s.file === moduleFile)) return { ok: true, splices };
  const at = `module.${module.call.name} (${module.call.file}:${module.call.line})`;
  if (module.calls > 1) {
    return fail(`the change is in ${moduleFile}, which the ${module.calls} calls of this module share; pass the value as a variable of the module, set it in ${at}`);
  }
  return { ok: true, splices, notes: [`this edits the module's own file ${moduleFile}: every call of the module gets it (the files read hold one, ${at})`] };
}

/** Edits one `google_cloud_run_v2_service` or `google_cloud_run_service` resource. */
class ResourceEditor {
  private readonly text: string;
  private readonly file: string;
  private readonly resource: HclBlock;
  private readonly v2: boolean;
  private readonly module: ModuleContext | undefined;
  private readonly files: readonly HclFile[];

  constructor(hcl: HclFile, resource: HclBlock, module: ModuleContext | undefined, files: readonly HclFile[]) {
    this.text = hcl.text;
    this.file = hcl.file;
    this.resource = resource;
    this.v2 = resource.labels[0] === CLOUD_RUN_V2;
    this.module = module;
    this.files = files;
  }

  /**
   * Replaces a written value. Inside a module a value written as `var.x` is the call's: the caller's argument is
   * changed instead (`workers = 2` → `workers = 1`, a number kept a number), or, where pytuner cannot write it there,
   * why not.
   */
  private replaceValue(value: HclValue, text: string): Rendered {
    const name = this.module === undefined || value.kind !== 'expression' ? undefined : /^var\.([A-Za-z_][A-Za-z0-9_-]*)$/.exec(value.text.trim())?.[1];
    if (this.module === undefined || name === undefined) return ok({ file: this.file, start: value.range.start, end: value.range.end, text });
    const { call, variables } = this.module;
    const source = moduleVariable(call, variables, name);
    const at = `module.${call.name} (${call.file}:${call.line})`;
    if (!source.resolved) return fail(`the value is var.${name}, and ${source.why}`);
    if (source.from === 'default') return fail(`the value is var.${name}'s default (${source.file}:${source.line}), shared by every call; set ${name} = ${text} in ${at}`);
    const callerText = source.value.kind === 'number' && /^-?\d+(\.\d+)?$/.test(unquoted(text)) ? unquoted(text) : text;
    if (!this.files.some((f) => f.file === source.file)) return fail(`${source.file} was not read`);
    return ok({ file: source.file, start: source.range.start, end: source.range.end, text: callerText });
  }

  op(path: string, value: unknown): Rendered {
    const template = blocks(this.resource.body, 'template')[0];
    if (template === undefined) return fail('the resource has no template block');
    const spec = this.v2 ? template : blocks(template.body, 'spec')[0];
    if (spec === undefined) return fail('the resource has no template.spec block');
    if (path === '/spec/template/spec/containerConcurrency' && typeof value === 'number') {
      return this.setAttribute(spec, this.v2 ? 'max_instance_request_concurrency' : 'container_concurrency', String(value));
    }
    if (path === '/spec/template/spec/timeoutSeconds' && typeof value === 'number') {
      return this.v2 ? this.setAttribute(spec, 'timeout', JSON.stringify(`${value}s`)) : this.setAttribute(spec, 'timeout_seconds', String(value));
    }
    if (path.startsWith(ANNOTATIONS)) return this.annotations(template, path, value);
    const container = CONTAINERS.exec(path);
    if (container !== null) {
      const block = blocks(spec.body, 'containers')[Number(container[1])];
      if (block === undefined) return fail(`container ${container[1]} is not a containers block of the resource`);
      return this.containerOp(block, container[2] ?? '', value);
    }
    return fail(`${path} has no Terraform attribute pytuner writes`);
  }

  private containerOp(container: HclBlock, rest: string, value: unknown): Rendered {
    const list = /^\/(args|command)\/(\d+)$/.exec(rest);
    if (list !== null && typeof value === 'string') {
      const attr = attribute(container.body, list[1] as string);
      const item = attr?.value.kind === 'tuple' ? attr.value.items[Number(list[2])] : undefined;
      if (item === undefined) return fail(`${list[1]}[${list[2]}] is not a literal list element`);
      return this.replaceValue(item, JSON.stringify(value));
    }
    if (rest === '/image' && typeof value === 'string') return this.setAttribute(container, 'image', JSON.stringify(value));
    if (rest.startsWith('/env')) return this.envOp(container, rest, value);
    if (rest === '/startupProbe' && typeof value === 'object' && value !== null) {
      const existing = blocks(container.body, 'startup_probe')[0];
      const indent = this.childIndent(container);
      const body = probeBlock(value as Record<string, unknown>, indent);
      if (existing !== undefined) return ok({ file: this.file, start: existing.range.start, end: existing.range.end, text: body.trimStart() });
      return this.insert(container, body);
    }
    return fail(`${rest} of a container has no Terraform attribute pytuner writes`);
  }

  private envOp(container: HclBlock, rest: string, value: unknown): Rendered {
    if (rest === '/env' && Array.isArray(value)) return this.addEnv(container, value as EnvEntry[]);
    if (rest === '/env/-' && isEnvEntry(value)) return this.addEnv(container, [value]);
    const entry = /^\/env\/(\d+)(\/value)?$/.exec(rest);
    if (entry === null) return fail(`${rest} of a container has no Terraform attribute pytuner writes`);
    const block = blocks(container.body, 'env')[Number(entry[1])];
    if (block === undefined) return fail(`env ${entry[1]} is not an env block of the container`);
    if (entry[2] !== undefined && typeof value === 'string') return this.setAttribute(block, 'value', JSON.stringify(value));
    if (isEnvEntry(value)) return ok({ file: this.file, start: block.range.start, end: block.range.end, text: this.envBlock(value, this.indentAt(block.range.start)).trimStart() });
    return fail(`${rest} with this value has no Terraform form pytuner writes`);
  }

  /** Template annotations: a v1 `template.metadata.annotations` entry; on v2 the attribute that replaced it. */
  private annotations(template: HclBlock, path: string, value: unknown): Rendered {
    const entries: [string, string][] =
      path === ANNOTATIONS && typeof value === 'object' && value !== null
        ? Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)])
        : [[path.slice(ANNOTATIONS.length + 1).replaceAll('~1', '/').replaceAll('~0', '~'), String(value)]];
    const splices: Splice[] = [];
    for (const [key, v] of entries) {
      const result = this.v2 ? this.v2Annotation(template, key, v) : this.v1Annotation(template, key, v);
      if (!result.ok) return result;
      splices.push(...result.splices);
    }
    return { ok: true, splices };
  }

  private v2Annotation(template: HclBlock, key: string, value: string): Rendered {
    const bool = V2_RESOURCE_BOOLEANS[key];
    const serving = blocks(template.body, 'containers')[0];
    if (bool !== undefined && serving !== undefined && (value === 'true' || value === 'false')) {
      const resources = blocks(serving.body, 'resources')[0];
      if (resources === undefined) return this.insert(serving, `${this.childIndent(serving)}resources {\n${this.childIndent(serving)}  ${bool} = ${value}\n${this.childIndent(serving)}}`);
      return this.setAttribute(resources, bool, value);
    }
    return fail(`google_cloud_run_v2_service has no attribute for the annotation ${key}`);
  }

  private v1Annotation(template: HclBlock, key: string, value: string): Rendered {
    const entry = `${JSON.stringify(key)} = ${JSON.stringify(value)}`;
    const metadata = blocks(template.body, 'metadata')[0];
    if (metadata === undefined) {
      const i = this.childIndent(template);
      return this.insert(template, `${i}metadata {\n${i}  annotations = {\n${i}    ${entry}\n${i}  }\n${i}}`);
    }
    const annotations = attribute(metadata.body, 'annotations');
    if (annotations === undefined) return this.insert(metadata, `${this.childIndent(metadata)}annotations = {\n${this.childIndent(metadata)}  ${entry}\n${this.childIndent(metadata)}}`);
    if (annotations.value.kind !== 'object') return fail('template.metadata.annotations is an expression pytuner does not evaluate');
    const current = annotations.value.entries.find((e) => e.key === key);
    if (current !== undefined) return this.replaceValue(current.value, JSON.stringify(value));
    const first = annotations.value.entries[0];
    if (first === undefined || first.value.range.line === annotations.range.line) return fail('template.metadata.annotations is written on one line');
    const lineStart = this.text.lastIndexOf('\n', first.value.range.start) + 1;
    return ok({ file: this.file, start: lineStart, end: lineStart, text: `${this.indentAt(first.value.range.start)}${entry}\n` });
  }

  private addEnv(container: HclBlock, entries: readonly EnvEntry[]): Rendered {
    const indent = this.childIndent(container);
    const text = entries.map((e) => this.envBlock(e, indent)).join('');
    const last = blocks(container.body, 'env').at(-1);
    if (last !== undefined) return ok({ file: this.file, start: last.range.end, end: last.range.end, text });
    return this.insert(container, text.slice(1));
  }

  private envBlock(entry: EnvEntry, indent: string): string {
    return `\n${indent}env {\n${indent}  name  = ${JSON.stringify(entry.name)}\n${indent}  value = ${JSON.stringify(entry.value)}\n${indent}}`;
  }

  /** Replaces the value of `name` in `block`, or adds the attribute at the top of the block. */
  private setAttribute(block: HclBlock, name: string, valueText: string): Rendered {
    const existing: HclAttribute | undefined = attribute(block.body, name);
    if (existing !== undefined) return this.replaceValue(existing.value, valueText);
    return this.insert(block, `${this.childIndent(block)}${name} = ${valueText}`);
  }

  /** Inserts `lines` (already indented) as the first item of `block`, on lines of their own. */
  private insert(block: HclBlock, lines: string): Rendered {
    const lineEnd = this.text.indexOf('\n', block.open);
    if (lineEnd === -1 || this.text.slice(block.open, lineEnd).trim() !== '') return fail(`the ${block.name} block is written on one line`);
    return ok({ file: this.file, start: lineEnd, end: lineEnd, text: `\n${lines}` });
  }

  /** The indentation of a block's items: its first item's, else the block's own plus two spaces. */
  private childIndent(block: HclBlock): string {
    const first = block.body[0];
    return first === undefined ? `${this.indentAt(block.range.start)}  ` : this.indentAt(first.range.start);
  }

  private indentAt(offset: number): string {
    const lineStart = this.text.lastIndexOf('\n', offset - 1) + 1;
    return /^[ \t]*/.exec(this.text.slice(lineStart, offset))?.[0] ?? '';
  }
}

/** Cloud Run v1 template annotations that v2 writes as booleans of the serving container's `resources` block. */
const V2_RESOURCE_BOOLEANS: Readonly<Record<string, string>> = {
  'run.googleapis.com/cpu-throttling': 'cpu_idle',
  'run.googleapis.com/startup-cpu-boost': 'startup_cpu_boost',
};

interface EnvEntry {
  name: string;
  value: string;
}

function isEnvEntry(value: unknown): value is EnvEntry {
  const v = value as Partial<EnvEntry> | null;
  return typeof v?.name === 'string' && typeof v.value === 'string';
}

/** A Kubernetes startupProbe as a Terraform `startup_probe` block. */
function probeBlock(probe: Record<string, unknown>, indent: string): string {
  const lines = [`${indent}startup_probe {`];
  for (const [k8s, tf] of [['initialDelaySeconds', 'initial_delay_seconds'], ['timeoutSeconds', 'timeout_seconds'], ['periodSeconds', 'period_seconds'], ['failureThreshold', 'failure_threshold']] as const) {
    if (typeof probe[k8s] === 'number') lines.push(`${indent}  ${tf} = ${probe[k8s]}`);
  }
  const http = probe['httpGet'] as { path?: string; port?: unknown } | undefined;
  const tcp = probe['tcpSocket'] as { port?: unknown } | undefined;
  const handler = http !== undefined ? 'http_get' : 'tcp_socket';
  const fields = http ?? tcp ?? {};
  lines.push(`${indent}  ${handler} {`);
  if (http?.path !== undefined) lines.push(`${indent}    path = ${JSON.stringify(http.path)}`);
  if (typeof fields.port === 'number') lines.push(`${indent}    port = ${fields.port}`);
  lines.push(`${indent}  }`, `${indent}}`);
  return lines.join('\n');
}

/** `"4"` → `4`; any other text as it is. */
function unquoted(text: string): string {
  return /^"[^"\\]*"$/.test(text) ? text.slice(1, -1) : text;
}

function ok(splice: Splice): Rendered {
  return { ok: true, splices: [splice] };
}

function fail(reason: string): Rendered {
  return { ok: false, reason: `${reason}; edit it by hand` };
}
