// The Cloud Run Admin API's published schema, as shipped in Google's client package: the .proto files of
// `@google-cloud/run` (google/cloud/run/v2/*.proto) and google-gax's (google/cloud/location/locations.proto, the
// well-known types), loaded by `@grpc/proto-loader` and handed to `@bufbuild/protobuf`, whose proto3 JSON reader
// (conformance-tested) refuses unknown fields, wrong types, bad enum names and malformed Durations/Timestamps. The
// loopback API server checks every body it sends against it, so a test body that the real API could not send fails.
//
// Two conversions between the libraries: protobufjs (under proto-loader) writes field type names relative to their
// scope, which are qualified here by proto's scoping rule (innermost scope first), and it writes custom options as
// extension fields named `.google.api.*`, which a JSON reader does not need and are dropped.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { create, createFileRegistry, fromBinary, fromJson, type Registry } from '@bufbuild/protobuf';
import type { DescriptorProto, FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { loadSync } from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
const runProtos = join(dirname(require.resolve('@google-cloud/run/package.json')), 'build/protos');
// google-gax does not export package.json; its protos sit beside its build output.
const gaxProtos = join(dirname(require.resolve('google-gax')), '..', 'protos');

/** The message types the loopback server sends. */
export const CLOUD_RUN_TYPES = {
  listServices: 'google.cloud.run.v2.ListServicesResponse',
  service: 'google.cloud.run.v2.Service',
  listLocations: 'google.cloud.location.ListLocationsResponse',
} as const;

let registry: Registry | undefined;

function cloudRunRegistry(): Registry {
  if (registry !== undefined) return registry;
  const definition = loadSync(['google/cloud/run/v2/service.proto', 'google/cloud/location/locations.proto'], { includeDirs: [runProtos, gaxProtos] });
  const files = new Map<string, FileDescriptorProto>();
  for (const type of Object.values(CLOUD_RUN_TYPES)) {
    const entry = definition[type] as { fileDescriptorProtos: Buffer[] };
    for (const bytes of entry.fileDescriptorProtos) {
      const file = fromBinary(FileDescriptorProtoSchema, bytes);
      const seen = files.get(file.name);
      if (seen === undefined) files.set(file.name, file);
      else merge(seen, file);
    }
  }
  const known = new Set<string>();
  for (const file of files.values()) collectNames(`.${file.package}`, file.messageType, file.enumType.map((e) => e.name), known);
  for (const file of files.values()) {
    file.extension = [];
    file.service = [];
    for (const message of file.messageType) qualify(`.${file.package}`, message, known);
  }
  registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependencyOrder([...files.values()]) }));
  return registry;
}

/** protobufjs writes one file per package, holding what the asking type needed: merge the parts. */
function merge(into: FileDescriptorProto, from: FileDescriptorProto): void {
  for (const message of from.messageType) if (!into.messageType.some((m) => m.name === message.name)) into.messageType.push(message);
  for (const item of from.enumType) if (!into.enumType.some((e) => e.name === item.name)) into.enumType.push(item);
  for (const dependency of from.dependency) if (!into.dependency.includes(dependency)) into.dependency.push(dependency);
}

function collectNames(scope: string, messages: readonly DescriptorProto[], enums: readonly string[], known: Set<string>): void {
  for (const name of enums) known.add(`${scope}.${name}`);
  for (const message of messages) {
    const full = `${scope}.${message.name}`;
    known.add(full);
    collectNames(full, message.nestedType, message.enumType.map((e) => e.name), known);
  }
}

/** Qualifies each field's type name from the message's scope outwards, as protoc resolves it; drops extension fields. */
function qualify(scope: string, message: DescriptorProto, known: ReadonlySet<string>): void {
  const own = `${scope}.${message.name}`;
  message.field = message.field.filter((field) => !field.name.startsWith('.'));
  for (const field of message.field) {
    if (field.typeName === '' || field.typeName.startsWith('.')) continue;
    const parts = own.split('.');
    for (let n = parts.length; n >= 1; n--) {
      const candidate = `${parts.slice(0, n).join('.')}.${field.typeName}`;
      if (known.has(candidate)) {
        field.typeName = candidate;
        break;
      }
    }
  }
  for (const nested of message.nestedType) qualify(own, nested, known);
}

/**
 * The files with each one's `dependency` list set from the types its fields name, dependencies first: protobufjs's
 * per-package files do not list them, and the registry resolves a file's types when it adds the file.
 */
function dependencyOrder(files: FileDescriptorProto[]): FileDescriptorProto[] {
  const owner = (typeName: string) => files.filter((f) => typeName.startsWith(`.${f.package}.`)).sort((a, b) => b.package.length - a.package.length)[0];
  const needs = new Map<FileDescriptorProto, Set<FileDescriptorProto>>();
  const visit = (file: FileDescriptorProto, messages: readonly DescriptorProto[]) => {
    for (const message of messages) {
      for (const field of message.field) {
        const dependency = field.typeName === '' ? undefined : owner(field.typeName);
        if (dependency !== undefined && dependency !== file) needs.get(file)?.add(dependency);
      }
      visit(file, message.nestedType);
    }
  };
  for (const file of files) {
    needs.set(file, new Set());
    visit(file, file.messageType);
    file.dependency = [...(needs.get(file) ?? [])].map((d) => d.name);
  }
  const ordered: FileDescriptorProto[] = [];
  const done = new Set<FileDescriptorProto>();
  const walk = (file: FileDescriptorProto, path: Set<FileDescriptorProto>) => {
    if (done.has(file) || path.has(file)) return;
    path.add(file);
    for (const dependency of needs.get(file) ?? []) walk(dependency, path);
    done.add(file);
    ordered.push(file);
  };
  for (const file of files) walk(file, new Set());
  return ordered;
}

/** Throws (naming the field) unless `json` is a valid proto3 JSON encoding of the message type. */
export function assertCloudRunJson(type: string, json: unknown): void {
  const schema = cloudRunRegistry().getMessage(type);
  if (schema === undefined) throw new Error(`no message type ${type} in the Cloud Run protos`);
  fromJson(schema, json as Parameters<typeof fromJson>[1], { registry: cloudRunRegistry() });
}
