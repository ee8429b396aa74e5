/**
 * @module zod schema of the fields pytuner reads from a Cloud Run Admin API v2 `Service` (proto3 JSON, as
 * `GET https://run.googleapis.com/v2/projects/P/locations/L/services` returns it), and of the list response around
 * it. As with the Kubernetes schemas (`schemas.ts`), everything else passes through unchecked: a field Google adds
 * must not drop a service. A service that fails becomes InputErrors naming the service and the v2 field.
 */
import { z } from 'zod';
import type { InputError } from '../model/finding.ts';
import { parseCpuQuantity } from './quantity.ts';
import { formatFieldPath } from './fieldPath.ts';

const object = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape, { error: 'expected an object' });
const text = z.string({ error: 'expected a string' });
const stringMap = z.record(z.string(), text, { error: 'expected a map of strings' });
/** proto3 JSON writes int32 as a number; int64 as a string (it may read either). */
const int32 = z.int({ error: 'expected an integer' });

/** A proto3 JSON `google.protobuf.Duration`: `"300s"`, `"1.5s"`. */
const duration = z.string().regex(/^-?\d+(\.\d{1,9})?s$/, { error: 'expected a duration like "300s"' });

const probeSchema = object({
  initialDelaySeconds: int32.optional(),
  timeoutSeconds: int32.optional(),
  periodSeconds: int32.optional(),
  failureThreshold: int32.optional(),
  httpGet: object({ path: text.optional(), port: int32.optional() }).optional(),
  tcpSocket: object({ port: int32.optional() }).optional(),
  grpc: object({ port: int32.optional(), service: text.optional() }).optional(),
});

const cpuQuantity = text.refine((q) => parseCpuQuantity(q) !== undefined, { error: 'expected a CPU quantity like "1", "2" or "1000m"' });

const containerSchema = object({
  name: text.optional(),
  image: text.optional(),
  command: z.array(text).optional(),
  args: z.array(text).optional(),
  env: z.array(object({ name: text, value: text.optional(), valueSource: object({}).optional() })).optional(),
  resources: object({
    limits: object({ cpu: cpuQuantity.optional(), memory: text.optional() }).optional(),
    cpuIdle: z.boolean({ error: 'expected true or false' }).optional(),
    startupCpuBoost: z.boolean({ error: 'expected true or false' }).optional(),
  }).optional(),
  ports: z.array(object({ name: text.optional(), containerPort: int32.optional() })).optional(),
  startupProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  livenessProbe: probeSchema.optional(),
});

const scalingSchema = object({ minInstanceCount: int32.optional(), maxInstanceCount: int32.optional() });

/** `google.cloud.run.v2.Service`: the fields pytuner reads. `name` is the full resource name. */
export const cloudRunServiceSchema = object({
  name: text.regex(/^projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+$/, { error: 'expected projects/P/locations/L/services/S' }),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  scaling: object({ minInstanceCount: int32.optional(), scalingMode: text.optional(), manualInstanceCount: int32.optional() }).optional(),
  template: object({
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
    scaling: scalingSchema.optional(),
    timeout: duration.optional(),
    serviceAccount: text.optional(),
    maxInstanceRequestConcurrency: int32.min(0).max(1000).optional(),
    containers: z.array(containerSchema, { error: 'expected a list of containers' }).min(1, { error: 'expected at least one container' }),
  }),
});

export type CloudRunService = z.output<typeof cloudRunServiceSchema>;
export type CloudRunContainer = CloudRunService['template']['containers'][number];
export type CloudRunProbe = NonNullable<CloudRunContainer['startupProbe']>;

/** `ListServicesResponse`: the items are checked one by one, so one bad service does not drop the page. */
export const listServicesResponseSchema = object({
  services: z.array(z.unknown()).optional(),
  nextPageToken: text.optional(),
});

/** `google.rpc.Status` in Google's JSON error body: `{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED"}}`. */
export const googleErrorSchema = object({ error: object({ code: int32.optional(), message: text.optional(), status: text.optional() }) });

/** v1 `ListLocationsResponse` (`GET /v1/projects/P/locations`): the regions `--region -` lists. */
export const listLocationsResponseSchema = object({
  locations: z.array(object({ locationId: text })).optional(),
  nextPageToken: text.optional(),
});

/** A service as read: its project and location (from its name), and the validated resource. */
export interface CloudRunServiceInput {
  project: string;
  location: string;
  /** The service id, the last segment of `name`. */
  id: string;
  service: CloudRunService;
}

/** Validates one list item; errors name the service (`projects/p/locations/r/services/s`) and the v2 field. */
export function validateCloudRunService(item: unknown): { service: CloudRunServiceInput } | { errors: InputError[] } {
  const result = cloudRunServiceSchema.safeParse(item);
  if (result.success) {
    const [, project, , location, , id] = result.data.name.split('/') as [string, string, string, string, string, string];
    return { service: { project, location, id, service: result.data } };
  }
  const name = typeof item === 'object' && item !== null && typeof (item as Record<string, unknown>)['name'] === 'string' ? ((item as Record<string, unknown>)['name'] as string) : '(no name)';
  return { errors: result.error.issues.map((issue) => ({ object: `Cloud Run service ${name}`, field: formatFieldPath(issue.path) || '(service)', message: issue.message })) };
}

/** Seconds of a proto3 JSON Duration (`"300s"` → 300). */
export function durationSeconds(text: string): number {
  return Number(text.slice(0, -1));
}
