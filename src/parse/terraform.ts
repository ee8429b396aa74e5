/**
 * @module Cloud Run services in Terraform (`google_cloud_run_v2_service`, `google_cloud_run_service`) → the same
 * Knative-shaped object a Cloud Run YAML export is, so every rule reads them as it reads a Cloud Run service. Each
 * field keeps the line and the Terraform attribute it came from (evidence names `template.max_instance_request_concurrency`,
 * not the Knative path). Values pytuner cannot know without evaluating Terraform (`var.x`, `local.y`, module outputs,
 * `dynamic` blocks) are left out of the object and listed as `unresolved`: they are unknown, not guessed. Pure.
 *
 * Attribute names: the Google provider's `google_cloud_run_v2_service` and `google_cloud_run_service` resources
 * (https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/cloud_run_v2_service).
 */
import { posix } from 'node:path';
import type { InputError } from '../model/finding.ts';
import type { HclAttribute, HclBlock, HclFile, HclItem, HclRange, HclValue } from './hcl.ts';
import { attribute, blocks } from './hcl.ts';
import { formatFieldPath } from './fieldPath.ts';
import type { PathSegment } from './fieldPath.ts';
import type { ParsedDocument } from './types.ts';

export const CLOUD_RUN_V2 = 'google_cloud_run_v2_service';
export const CLOUD_RUN_V1 = 'google_cloud_run_service';

/** A value written as an expression pytuner does not evaluate, with the Knative field it would fill. */
export interface UnresolvedValue {
  /** The Knative path it would fill (`spec.template.spec.containerConcurrency`, `...containers[0].env[1].value`). */
  path: string;
  /** The Terraform attribute (`template.max_instance_request_concurrency`). */
  attribute: string;
  text: string;
  line: number;
  /** Why it stays unknown, when pytuner tried (a module variable whose caller passes an expression). */
  why?: string;
}

/** What a Terraform resource adds to a ParsedDocument. */
export interface TerraformOrigin {
  /** `google_cloud_run_v2_service`. */
  type: string;
  /** The resource's local name (`api`). */
  name: string;
  /** Terraform attribute path of each Knative field read, keyed like `fieldLines`. */
  attributes: ReadonlyMap<string, string>;
  unresolved: UnresolvedValue[];
  /** Set for a resource inside a local module: the `module` block that called it (one document per call). */
  module?: { call: string; file: string; line: number };
}

export interface TerraformRead {
  documents: ParsedDocument[];
  errors: InputError[];
  /** What could not be read and why (module calls, `dynamic` blocks): for the report's notes. */
  notes: string[];
}

/** How many module calls that deploy no service a note names before it only counts them. */
const UNRELATED_MODULES_LISTED = 5;

/**
 * Reads the Cloud Run services of all parsed `.tf` files. A file in the directory of a local module (`source =
 * "./modules/run"`) that a file read calls is read once per call, with `var.x` taken from that call's literal argument
 * or else the variable's literal default (`resolveModuleVariables`); a module no file read calls is read as it is,
 * its variables unknown.
 */
export function readTerraformFiles(files: readonly HclFile[]): TerraformRead {
  const out: TerraformRead = { documents: [], errors: [], notes: [] };
  const calls = moduleCalls(files);
  const add = (read: TerraformRead): void => {
    out.documents.push(...read.documents);
    out.errors.push(...read.errors);
    out.notes.push(...read.notes);
  };
  const unrelated: ModuleCall[] = [];
  for (const call of calls) {
    if (call.dir === undefined && !mayDeployService(call)) unrelated.push(call);
    else if (call.dir === undefined) out.notes.push(`${call.file}:${call.line}: module.${call.name} not evaluated: its source ${JSON.stringify(call.source)} is not a local directory, so what it deploys is unknown`);
    else if (!files.some((f) => posix.dirname(f.file) === call.dir)) out.notes.push(`${call.file}:${call.line}: module.${call.name} not evaluated: no .tf file of its source ${call.dir} was read (pass that directory too)`);
  }
  if (unrelated.length > 0) {
    // A repository of infrastructure samples calls dozens (networks, clusters, databases): a few name the kind, the
    // count says the rest, so the note does not bury the notes about services.
    const shown = unrelated.slice(0, UNRELATED_MODULES_LISTED).map((c) => `module.${c.name} (${c.file}:${c.line})`);
    const more = unrelated.length - shown.length;
    const list = `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
    out.notes.push(`${unrelated.length} Terraform module call${unrelated.length === 1 ? '' : 's'} from remote sources not evaluated, none named for Cloud Run or passed an image or container: ${list}`);
  }
  for (const hcl of files) {
    const callers = calls.filter((c) => c.dir === posix.dirname(hcl.file));
    if (callers.length === 0) add(readTerraform(hcl));
    for (const call of callers) add(readTerraform(hcl, { call, variables: moduleVariables(files, call.dir as string) }));
  }
  return out;
}

/**
 * Whether a remote module may deploy a service pytuner tunes: its source names Cloud Run (or Knative, serverless), or
 * the call passes an image or container. Network, cluster and IAM modules are the bulk of remote calls in a real tree,
 * and one note each would bury the notes that matter.
 */
function mayDeployService(call: ModuleCall): boolean {
  if (/cloud-?run|knative|serverless/i.test(call.source)) return true;
  const passes = (items: readonly HclItem[]): boolean => items.some((item) => /image|container/i.test(item.name) || (item.type === 'block' && passes(item.body)));
  return passes(call.block.body);
}

/** A `module` block: its name, where it is, its source directory (undefined unless local) and its arguments. */
export interface ModuleCall {
  name: string;
  file: string;
  line: number;
  source: string;
  /** `./modules/run` resolved against the calling file's directory; undefined for a registry or git source. */
  dir?: string;
  block: HclBlock;
}

/** The `module` blocks of the files read. */
export function moduleCalls(files: readonly HclFile[]): ModuleCall[] {
  const out: ModuleCall[] = [];
  for (const hcl of files) {
    for (const item of hcl.body) {
      if (item.type !== 'block' || item.name !== 'module') continue;
      const source = attribute(item.body, 'source')?.value;
      const text = source?.kind === 'string' ? source.value : source?.kind === 'expression' ? source.text : '';
      const call: ModuleCall = { name: item.labels[0] ?? '?', file: hcl.file, line: item.range.line, source: text, block: item };
      // Terraform reads a source that starts with ./ or ../ as a local path (developer.hashicorp.com/terraform/language/modules/sources#local-paths).
      if (source?.kind === 'string' && /^\.\.?\//.test(text)) call.dir = posix.normalize(posix.join(posix.dirname(hcl.file), text)).replace(/\/$/, '');
      out.push(call);
    }
  }
  return out;
}

/** A module's declared variables: name → where declared, and the literal default if it has one. */
export type ModuleVariables = ReadonlyMap<string, { default?: HclValue; file: string; line: number }>;

/** The `variable` blocks of a module directory's files: name → the literal default, if any. */
export function moduleVariables(files: readonly HclFile[], dir: string): ModuleVariables {
  const out = new Map<string, { default?: HclValue; file: string; line: number }>();
  for (const hcl of files.filter((f) => posix.dirname(f.file) === dir)) {
    for (const item of hcl.body) {
      if (item.type !== 'block' || item.name !== 'variable' || item.labels[0] === undefined) continue;
      const value = attribute(item.body, 'default')?.value;
      out.set(item.labels[0], value === undefined || !isLiteral(value) ? { file: hcl.file, line: item.range.line } : { default: value, file: hcl.file, line: item.range.line });
    }
  }
  return out;
}

/** One call of a module, for reading the module's resources with that call's values. */
interface ModuleInstance {
  call: ModuleCall;
  variables: ModuleVariables;
}

/** Where a module variable's value came from, or why it stays unknown. */
export type VariableSource =
  | { resolved: true; value: HclValue; from: 'argument' | 'default'; file: string; line: number; range: HclRange }
  | { resolved: false; why: string };

const VAR_REF = /^var\.([A-Za-z_][A-Za-z0-9_-]*)$/;

/**
 * The value of `var.name` in one call of a module: the call's argument when it is a literal, else the variable's
 * literal default when the call leaves it out. An argument written as an expression, a variable without a default,
 * or one the module does not declare stays unknown, with the reason.
 */
export function moduleVariable(call: ModuleCall, variables: ModuleVariables, name: string): VariableSource {
  const argument = attribute(call.block.body, name);
  const at = `module.${call.name} (${call.file}:${call.line})`;
  if (argument !== undefined) {
    if (isLiteral(argument.value)) return { resolved: true, value: argument.value, from: 'argument', file: call.file, line: argument.range.line, range: argument.value.range };
    return { resolved: false, why: `${at} passes ${name} = ${argument.value.kind === 'expression' ? argument.value.text : argument.value.kind}, an expression pytuner does not evaluate` };
  }
  const declared = variables.get(name);
  if (declared === undefined) return { resolved: false, why: `the module declares no variable ${JSON.stringify(name)} in the files read` };
  if (declared.default === undefined) return { resolved: false, why: `${at} does not pass ${name} and the variable has no literal default` };
  return { resolved: true, value: declared.default, from: 'default', file: declared.file, line: declared.default.range.line, range: declared.default.range };
}

function isLiteral(value: HclValue): boolean {
  if (value.kind === 'tuple') return value.items.every(isLiteral);
  if (value.kind === 'object') return value.entries.every((e) => isLiteral(e.value));
  return value.kind !== 'expression';
}

/** Reads the Cloud Run services of one parsed `.tf` file; inside a module, with one call's variable values. */
export function readTerraform(hcl: HclFile, instance?: ModuleInstance): TerraformRead {
  const out: TerraformRead = { documents: [], errors: [], notes: [] };
  let index = 0;
  for (const item of hcl.body) {
    if (item.type !== 'block' || item.name === 'module') continue;
    const [type, name] = item.labels;
    if (item.name !== 'resource' || (type !== CLOUD_RUN_V2 && type !== CLOUD_RUN_V1) || name === undefined) continue;
    const reader = new ResourceReader(hcl.file, type, name);
    const where = instance === undefined ? undefined : `module.${instance.call.name}`;
    const resource = instance === undefined ? item : withVariables(item, instance, (note) => out.notes.push(`${hcl.file}:${item.range.line}: ${where}.${type}.${name}: ${note}`), reader.why);
    const object = type === CLOUD_RUN_V2 ? reader.v2(resource) : reader.v1(resource);
    if (object === undefined) {
      out.errors.push({ file: hcl.file, line: item.range.line, object: `${type}.${name}`, field: reader.missing, message: `no ${reader.missing} block: not a service pytuner can read` });
      continue;
    }
    out.notes.push(...reader.notes);
    const terraform: TerraformOrigin = { type, name, attributes: reader.attributes, unresolved: reader.unresolved };
    if (instance !== undefined) terraform.module = { call: instance.call.name, file: instance.call.file, line: instance.call.line };
    out.documents.push({ file: hcl.file, line: item.range.line, docIndex: index++, object, fieldLines: reader.lines, terraform });
  }
  return out;
}

/**
 * A copy of a module's resource block with each value written as exactly `var.name` replaced by that call's literal
 * (keeping the position in the module's file, so evidence points at the line that uses it); each replacement and each
 * variable left unknown is told through `note`, and the reason an unknown one stays unknown is kept in `why`.
 */
function withVariables(block: HclBlock, instance: ModuleInstance, note: (text: string) => void, why: Map<number, string>): HclBlock {
  const seen = new Set<string>();
  const value = (v: HclValue): HclValue => {
    if (v.kind === 'tuple') return { ...v, items: v.items.map(value) };
    if (v.kind === 'object') return { ...v, entries: v.entries.map((e) => ({ key: e.key, value: value(e.value) })) };
    const name = v.kind === 'expression' ? VAR_REF.exec(v.text.trim())?.[1] : undefined;
    if (name === undefined) return v;
    const source = moduleVariable(instance.call, instance.variables, name);
    if (!seen.has(name)) {
      seen.add(name);
      note(source.resolved ? `var.${name} = ${literalText(source.value)} from ${source.from === 'argument' ? 'the module argument' : "the variable's default"} at ${source.file}:${source.line}` : `var.${name} not resolved: ${source.why}`);
    }
    if (!source.resolved) {
      why.set(v.range.start, source.why);
      return v;
    }
    return { ...source.value, range: v.range } as HclValue;
  };
  const items = (body: readonly HclItem[]): HclItem[] =>
    body.map((item) => (item.type === 'attribute' ? { ...item, value: value(item.value) } : { ...item, body: items(item.body) }));
  return { ...block, body: items(block.body) };
}

function literalText(value: HclValue): string {
  if (value.kind === 'string') return JSON.stringify(value.value);
  if (value.kind === 'number' || value.kind === 'bool') return String(value.value);
  if (value.kind === 'null') return 'null';
  return value.kind === 'expression' ? value.text : value.kind;
}

type Json = Record<string, unknown>;

const V2_NAMES: Readonly<Record<string, string>> = {
  'spec.template.spec.containerConcurrency': 'template.max_instance_request_concurrency',
  'spec.template.spec.timeoutSeconds': 'template.timeout',
  'spec.template.spec.serviceAccountName': 'template.service_account',
};
const V1_NAMES: Readonly<Record<string, string>> = {
  'spec.template.spec.containerConcurrency': 'template.spec.container_concurrency',
  'spec.template.spec.timeoutSeconds': 'template.spec.timeout_seconds',
  'spec.template.spec.serviceAccountName': 'template.spec.service_account_name',
};

/** Collects one resource's fields, their lines and Terraform names, and what is unresolved. */
class ResourceReader {
  readonly lines = new Map<string, number>();
  readonly attributes = new Map<string, string>();
  readonly unresolved: UnresolvedValue[] = [];
  readonly notes: string[] = [];
  /** Why an expression stays unknown, by its start offset (module variables pytuner tried to resolve). */
  readonly why = new Map<number, string>();
  missing = 'template';

  private readonly file: string;
  private readonly type: string;
  private readonly name: string;

  constructor(file: string, type: string, name: string) {
    this.file = file;
    this.type = type;
    this.name = name;
  }

  v2(resource: HclBlock): Json | undefined {
    const template = blocks(resource.body, 'template')[0];
    if (template === undefined) return undefined;
    const spec: Json = {};
    const templateAnnotations: Json = {};
    const tpl = ['spec', 'template'];
    this.name_(V2_NAMES);
    this.scalar(template, 'max_instance_request_concurrency', [...tpl, 'spec', 'containerConcurrency'], spec, 'containerConcurrency', 'number');
    const timeout = this.scalar(template, 'timeout', [...tpl, 'spec', 'timeoutSeconds'], undefined, '', 'string');
    if (typeof timeout === 'string') this.setSeconds(timeout, spec, [...tpl, 'spec', 'timeoutSeconds'], template);
    this.scalar(template, 'service_account', [...tpl, 'spec', 'serviceAccountName'], spec, 'serviceAccountName', 'string');
    this.stringMap(template, 'annotations', [...tpl, 'metadata', 'annotations'], templateAnnotations);
    const scaling = blocks(template.body, 'scaling')[0];
    if (scaling !== undefined) {
      this.annotationFrom(scaling, 'max_instance_count', 'autoscaling.knative.dev/maxScale', templateAnnotations, 'template.scaling');
      this.annotationFrom(scaling, 'min_instance_count', 'autoscaling.knative.dev/minScale', templateAnnotations, 'template.scaling');
    }
    this.noteDynamic(template, 'template');
    const containers = blocks(template.body, 'containers').map((c, i) => this.v2Container(c, i, templateAnnotations, i === 0));
    if (containers.length === 0) {
      this.missing = 'template.containers';
      return undefined;
    }
    spec['containers'] = containers;
    return this.service(resource, attribute(resource.body, 'annotations'), templateAnnotations, spec);
  }

  v1(resource: HclBlock): Json | undefined {
    const template = blocks(resource.body, 'template')[0];
    const tspec = template === undefined ? undefined : blocks(template.body, 'spec')[0];
    if (template === undefined || tspec === undefined) {
      this.missing = template === undefined ? 'template' : 'template.spec';
      return undefined;
    }
    const spec: Json = {};
    const templateAnnotations: Json = {};
    const base = ['spec', 'template', 'spec'];
    this.name_(V1_NAMES);
    this.scalar(tspec, 'container_concurrency', [...base, 'containerConcurrency'], spec, 'containerConcurrency', 'number', 'template.spec');
    this.scalar(tspec, 'timeout_seconds', [...base, 'timeoutSeconds'], spec, 'timeoutSeconds', 'number', 'template.spec');
    this.scalar(tspec, 'service_account_name', [...base, 'serviceAccountName'], spec, 'serviceAccountName', 'string', 'template.spec');
    const tmeta = blocks(template.body, 'metadata')[0];
    if (tmeta !== undefined) this.stringMap(tmeta, 'annotations', ['spec', 'template', 'metadata', 'annotations'], templateAnnotations, 'template.metadata');
    this.noteDynamic(tspec, 'template.spec');
    const containers = blocks(tspec.body, 'containers').map((c, i) => this.v1Container(c, i));
    if (containers.length === 0) {
      this.missing = 'template.spec.containers';
      return undefined;
    }
    spec['containers'] = containers;
    const meta = blocks(resource.body, 'metadata')[0];
    return this.service(resource, meta === undefined ? undefined : attribute(meta.body, 'annotations'), templateAnnotations, spec);
  }

  private service(resource: HclBlock, annotationsAttr: HclAttribute | undefined, templateAnnotations: Json, spec: Json): Json {
    const nameAttr = attribute(resource.body, 'name');
    const location = attribute(resource.body, 'location');
    const labels: Json = { 'cloud.googleapis.com/location': location?.value.kind === 'string' ? location.value.value : 'unknown' };
    const annotations: Json = {};
    if (annotationsAttr?.value.kind === 'object') for (const e of annotationsAttr.value.entries) if (e.value.kind === 'string') annotations[e.key] = e.value.value;
    const metadata: Json = { name: nameAttr?.value.kind === 'string' ? nameAttr.value.value : this.name, labels };
    if (Object.keys(annotations).length > 0) metadata['annotations'] = annotations;
    const template: Json = { spec };
    if (Object.keys(templateAnnotations).length > 0) template['metadata'] = { annotations: templateAnnotations };
    return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata, spec: { template } };
  }

  private v2Container(block: HclBlock, index: number, templateAnnotations: Json, serving: boolean): Json {
    const path = ['spec', 'template', 'spec', 'containers', index];
    const tf = `template.containers[${index}]`;
    const c: Json = {};
    this.record(path, tf, block.range.line);
    this.scalar(block, 'name', [...path, 'name'], c, 'name', 'string', tf);
    this.scalar(block, 'image', [...path, 'image'], c, 'image', 'string', tf);
    this.argv(block, 'command', [...path, 'command'], c, tf);
    this.argv(block, 'args', [...path, 'args'], c, tf);
    this.env(block, path, c, tf, 'value_source');
    this.containerPort(block, path, c, tf);
    const resources = blocks(block.body, 'resources')[0];
    if (resources !== undefined) {
      this.limits(resources, path, c, `${tf}.resources`);
      // cpu_idle = false is CPU always allocated; the annotation is per revision, so the serving container's counts.
      if (serving) {
        this.annotationFrom(resources, 'cpu_idle', 'run.googleapis.com/cpu-throttling', templateAnnotations, `${tf}.resources`);
        this.annotationFrom(resources, 'startup_cpu_boost', 'run.googleapis.com/startup-cpu-boost', templateAnnotations, `${tf}.resources`);
      }
    }
    this.probes(block, path, c, tf);
    this.noteDynamic(block, tf);
    return c;
  }

  /** The first `ports { container_port = N }` block, as the container's declared port (v1 and v2 write it alike). */
  private containerPort(block: HclBlock, path: readonly PathSegment[], c: Json, tf: string): void {
    const ports = blocks(block.body, 'ports')[0];
    const port = ports === undefined ? undefined : attribute(ports.body, 'container_port');
    if (port?.value.kind !== 'number') return;
    c['ports'] = [{ containerPort: port.value.value }];
    this.record([...path, 'ports', 0, 'containerPort'], `${tf}.ports.container_port`, port.range.line);
  }

  private v1Container(block: HclBlock, index: number): Json {
    const path = ['spec', 'template', 'spec', 'containers', index];
    const tf = `template.spec.containers[${index}]`;
    const c: Json = {};
    this.record(path, tf, block.range.line);
    this.scalar(block, 'name', [...path, 'name'], c, 'name', 'string', tf);
    this.scalar(block, 'image', [...path, 'image'], c, 'image', 'string', tf);
    this.argv(block, 'command', [...path, 'command'], c, tf);
    this.argv(block, 'args', [...path, 'args'], c, tf);
    this.env(block, path, c, tf, 'value_from');
    this.containerPort(block, path, c, tf);
    const resources = blocks(block.body, 'resources')[0];
    if (resources !== undefined) this.limits(resources, path, c, `${tf}.resources`);
    this.probes(block, path, c, tf);
    this.noteDynamic(block, tf);
    return c;
  }

  /** Names the Terraform attributes of fields that may be unset, so evidence about an unset field names the attribute. */
  private name_(names: Readonly<Record<string, string>>): void {
    for (const [field, tf] of Object.entries(names)) this.attributes.set(field, tf);
  }

  private record(path: readonly PathSegment[], tf: string, line: number): void {
    this.lines.set(formatFieldPath(path), line);
    this.attributes.set(formatFieldPath(path), tf);
  }

  private unknown(path: readonly PathSegment[], tf: string, value: HclValue): void {
    this.record(path, tf, value.range.line);
    const unresolved: UnresolvedValue = { path: formatFieldPath(path), attribute: tf, text: value.kind === 'expression' ? value.text : JSON.stringify(value), line: value.range.line };
    const why = this.why.get(value.range.start);
    if (why !== undefined) unresolved.why = why;
    this.unresolved.push(unresolved);
  }

  /** A literal of the expected type into `into[key]`; an expression is unresolved. Returns the literal. */
  private scalar(block: HclBlock, name: string, path: readonly PathSegment[], into: Json | undefined, key: string, type: 'number' | 'string' | 'bool', prefix = 'template'): unknown {
    const attr = attribute(block.body, name);
    if (attr === undefined) return undefined;
    const tf = `${prefix}.${name}`;
    const literal = literalOf(attr.value, type);
    if (literal === undefined) {
      this.unknown(path, tf, attr.value);
      return undefined;
    }
    this.record(path, tf, attr.range.line);
    if (into !== undefined) into[key] = literal;
    return literal;
  }

  /** v2 `timeout = "300s"` (a protobuf Duration) → whole seconds; any other form is unresolved. */
  private setSeconds(text: string, spec: Json, path: readonly PathSegment[], template: HclBlock): void {
    const match = /^(\d+)(?:\.\d+)?s$/.exec(text);
    const attr = attribute(template.body, 'timeout') as HclAttribute;
    if (match === null) this.unknown(path, 'template.timeout', { kind: 'expression', text: JSON.stringify(text), range: attr.value.range });
    else spec['timeoutSeconds'] = Number(match[1]);
  }

  private stringMap(block: HclBlock, name: string, path: readonly PathSegment[], into: Json, prefix = 'template'): void {
    const attr = attribute(block.body, name);
    if (attr === undefined) return;
    if (attr.value.kind !== 'object') {
      this.unknown(path, `${prefix}.${name}`, attr.value);
      return;
    }
    this.record(path, `${prefix}.${name}`, attr.range.line);
    for (const { key, value } of attr.value.entries) {
      if (value.kind === 'string') {
        into[key] = value.value;
        this.record([...path, key], `${prefix}.${name}["${key}"]`, value.range.line);
      } else this.unknown([...path, key], `${prefix}.${name}["${key}"]`, value);
    }
  }

  /** A v2 attribute that Cloud Run's v1 (Knative) form writes as a template annotation. */
  private annotationFrom(block: HclBlock, name: string, annotation: string, into: Json, prefix: string): void {
    const attr = attribute(block.body, name);
    if (attr === undefined) return;
    const path = ['spec', 'template', 'metadata', 'annotations', annotation];
    const tf = `${prefix}.${name}`;
    if (attr.value.kind === 'number' || attr.value.kind === 'bool') {
      into[annotation] = String(attr.value.value);
      this.record(path, tf, attr.range.line);
    } else this.unknown(path, tf, attr.value);
  }

  private argv(block: HclBlock, name: 'command' | 'args', path: readonly PathSegment[], into: Json, prefix: string): void {
    const attr = attribute(block.body, name);
    if (attr === undefined) return;
    const tf = `${prefix}.${name}`;
    if (attr.value.kind !== 'tuple') {
      this.unknown(path, tf, attr.value);
      return;
    }
    this.record(path, tf, attr.range.line);
    // An element pytuner cannot evaluate stays in the list as `${...}`, which the server parsers read as unknown.
    into[name] = attr.value.items.map((item, i) => {
      if (item.kind === 'string' || item.kind === 'number') return String(item.value);
      this.unknown([...path, i], `${tf}[${i}]`, item);
      return `\${${item.kind === 'expression' ? item.text : 'unknown'}}`;
    });
  }

  private env(block: HclBlock, path: readonly PathSegment[], into: Json, prefix: string, refBlock: 'value_source' | 'value_from'): void {
    const entries = blocks(block.body, 'env');
    if (entries.length === 0) return;
    into['env'] = entries.map((entry, j) => {
      const at = [...path, 'env', j];
      const tf = `${prefix}.env[${j}]`;
      this.record(at, tf, entry.range.line);
      const name = attribute(entry.body, 'name');
      const value = attribute(entry.body, 'value');
      const envName = name?.value.kind === 'string' ? name.value.value : `\${${name === undefined ? 'unnamed' : textOf(name.value)}}`;
      if (blocks(entry.body, refBlock).length > 0 || value === undefined) return { name: envName, valueFrom: { secretKeyRef: { name: refBlock } } };
      const literal = literalOf(value.value, 'string');
      if (literal === undefined) {
        this.unknown([...at, 'value'], `${tf}.value`, value.value);
        return { name: envName, valueFrom: { terraform: textOf(value.value) } };
      }
      this.record([...at, 'value'], `${tf}.value`, value.range.line);
      return { name: envName, value: literal };
    });
  }

  private limits(resources: HclBlock, path: readonly PathSegment[], into: Json, prefix: string): void {
    const out: Json = {};
    for (const kind of ['limits', 'requests'] as const) {
      const attr = attribute(resources.body, kind);
      if (attr === undefined) continue;
      const cpuPath = [...path, 'resources', kind, 'cpu'];
      if (attr.value.kind !== 'object') {
        this.unknown(cpuPath, `${prefix}.${kind}`, attr.value);
        continue;
      }
      const cpu = attr.value.entries.find((e) => e.key === 'cpu');
      if (cpu === undefined) continue;
      if (cpu.value.kind === 'string' || cpu.value.kind === 'number') {
        out[kind] = { cpu: String(cpu.value.value) };
        this.record(cpuPath, `${prefix}.${kind}.cpu`, cpu.value.range.line);
      } else this.unknown(cpuPath, `${prefix}.${kind}.cpu`, cpu.value);
    }
    if (Object.keys(out).length > 0) into['resources'] = out;
  }

  private probes(block: HclBlock, path: readonly PathSegment[], into: Json, prefix: string): void {
    for (const [tfName, key] of [['startup_probe', 'startupProbe'], ['liveness_probe', 'livenessProbe']] as const) {
      const probe = blocks(block.body, tfName)[0];
      if (probe === undefined) continue;
      const at = [...path, key];
      this.record(at, `${prefix}.${tfName}`, probe.range.line);
      const out: Json = {};
      for (const [tfKey, k8sKey] of [['period_seconds', 'periodSeconds'], ['failure_threshold', 'failureThreshold'], ['timeout_seconds', 'timeoutSeconds'], ['initial_delay_seconds', 'initialDelaySeconds']] as const) {
        const attr = attribute(probe.body, tfKey);
        if (attr?.value.kind === 'number') out[k8sKey] = attr.value.value;
      }
      const http = blocks(probe.body, 'http_get')[0];
      const tcp = blocks(probe.body, 'tcp_socket')[0];
      const grpc = blocks(probe.body, 'grpc')[0];
      if (http !== undefined) out['httpGet'] = handler(http, true);
      else if (tcp !== undefined) out['tcpSocket'] = handler(tcp, false);
      else if (grpc !== undefined) out['grpc'] = handler(grpc, false);
      else out['tcpSocket'] = {};
      into[key] = out;
    }
  }

  private noteDynamic(block: HclBlock, prefix: string): void {
    for (const d of blocks(block.body, 'dynamic')) {
      this.notes.push(`${this.file}:${d.range.line}: ${this.type}.${this.name}: dynamic "${d.labels[0] ?? '?'}" block in ${prefix} not read: pytuner does not evaluate Terraform, its entries are unknown`);
    }
  }
}

function handler(block: HclBlock, withPath: boolean): Json {
  const out: Json = {};
  const port = attribute(block.body, 'port');
  if (port?.value.kind === 'number') out['port'] = port.value.value;
  const path = attribute(block.body, 'path');
  if (withPath) out['path'] = path?.value.kind === 'string' ? path.value.value : '/';
  return out;
}

function literalOf(value: HclValue, type: 'number' | 'string' | 'bool'): unknown {
  if (type === 'number' && value.kind === 'number') return value.value;
  if (type === 'string' && (value.kind === 'string' || value.kind === 'number' || value.kind === 'bool')) return String(value.value);
  if (type === 'bool' && value.kind === 'bool') return value.value;
  return undefined;
}

function textOf(value: HclValue): string {
  return value.kind === 'expression' ? value.text : value.kind === 'null' ? 'null' : JSON.stringify('value' in value ? value.value : value.kind);
}

/** The items of a body that are Cloud Run service resources, for the renderer: `type.name` → block. */
export function cloudRunResources(body: readonly HclItem[]): Map<string, HclBlock> {
  const out = new Map<string, HclBlock>();
  for (const item of body) {
    if (item.type === 'block' && item.name === 'resource' && (item.labels[0] === CLOUD_RUN_V2 || item.labels[0] === CLOUD_RUN_V1) && item.labels[1] !== undefined) {
      out.set(`${item.labels[0]}.${item.labels[1]}`, item);
    }
  }
  return out;
}
