/**
 * @module `pytuner report --cloudrun PROJECT`: lists the services of a Google Cloud project with the Cloud Run Admin
 * API v2 (`GET /v2/projects/P/locations/L/services`, paged with `pageToken`), read-only, over plain REST. Each
 * service is validated at the edge (`parse/cloudRunV2.ts`) and handed on as `LoadedInputs.cloudRunServices`.
 *
 * Credentials: a bearer token from `--bearer-token-file`, else Application Default Credentials through
 * `google-auth-library`, loaded only when needed. `--region -` lists every location of the project first (the v2
 * list refuses the `-` wildcard; the locations list is v1's `GET /v1/projects/P/locations`). A region the identity
 * may not read (403) or that does not answer becomes a note and the others go on; a refused token (401) stops.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { InputError } from '../model/finding.ts';
import type { CloudRunServiceInput } from '../parse/cloudRunV2.ts';
import { googleErrorSchema, listLocationsResponseSchema, listServicesResponseSchema, validateCloudRunService } from '../parse/cloudRunV2.ts';

/** Google's endpoint; `--cloudrun-endpoint` / `PYTUNER_CLOUDRUN_ENDPOINT` point elsewhere (tests, emulators). */
export const CLOUD_RUN_ENDPOINT = 'https://run.googleapis.com';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** The v2 list's page size maximum is not documented; 100 keeps each answer small. */
const PAGE_SIZE = 100;

export interface CloudRunOptions {
  project: string;
  /** Regions to list; `['-']` for every location of the project. */
  regions: readonly string[];
  bearerTokenFile?: string;
  endpoint?: string;
  pageSize?: number;
}

export interface CloudRunInputs {
  services: CloudRunServiceInput[];
  /** Services the schema refused (named by service and v2 field); the others are reported. */
  errors: InputError[];
  /** One sentence per region not read, or read in part, and why. */
  notes: string[];
  partial: boolean;
}

/** The project could not be read at all (no credentials, token refused, endpoint unreachable, no region readable). */
export class CloudRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudRunError';
  }
}

/** Lists the services of every region asked for. Throws CloudRunError only when nothing can be read. */
export async function readCloudRun(options: CloudRunOptions): Promise<CloudRunInputs> {
  const endpoint = (options.endpoint ?? CLOUD_RUN_ENDPOINT).replace(/\/+$/, '');
  const token = await accessToken(options.bearerTokenFile);
  const get = (path: string, query: Record<string, string>) => getJson(endpoint, token, path, query);
  const regions = options.regions.includes('-') ? await allLocations(get, options.project) : [...new Set(options.regions)];
  const out: CloudRunInputs = { services: [], errors: [], notes: [], partial: false };
  let readable = 0;
  for (const region of regions) {
    const listed = await listServices(get, options.project, region, options.pageSize ?? PAGE_SIZE);
    out.services.push(...listed.services);
    out.errors.push(...listed.errors);
    if (listed.note === undefined) readable++;
    else {
      out.notes.push(listed.note);
      out.partial = true;
      if (listed.services.length > 0) readable++;
    }
  }
  if (readable === 0 && regions.length > 0) throw new CloudRunError(`no region of project ${options.project} could be read: ${out.notes.join('; ')}`);
  return out;
}

type Get = (path: string, query: Record<string, string>) => Promise<{ status: number; body: unknown }>;

async function accessToken(file: string | undefined): Promise<string> {
  if (file !== undefined) {
    let text;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CloudRunError(`cannot read the bearer token file ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const token = text.trim();
    if (token === '') throw new CloudRunError(`the bearer token file ${file} is empty`);
    return token;
  }
  try {
    const { GoogleAuth } = await import('google-auth-library');
    const token = await new GoogleAuth({ scopes: SCOPE }).getAccessToken();
    if (token === null || token === undefined || token === '') throw new Error('no access token was returned');
    return token;
  } catch (error) {
    throw new CloudRunError(`no Application Default Credentials (run \`gcloud auth application-default login\`, or pass --bearer-token-file): ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function getJson(endpoint: string, token: string, path: string, query: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const url = `${endpoint}${path}?${new URLSearchParams(query).toString()}`;
  let response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  } catch (error) {
    throw new CloudRunError(`cannot reach the Cloud Run Admin API at ${endpoint}: ${causeOf(error)}`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (response.status === 401) throw new CloudRunError(`the Cloud Run Admin API refused the credentials (401): ${errorMessage(body)}`);
  return { status: response.status, body };
}

/** Every location of the project (v1 locations list, paged). */
async function allLocations(get: Get, project: string): Promise<string[]> {
  const locations: string[] = [];
  let pageToken: string | undefined;
  do {
    const { status, body } = await get(`/v1/projects/${encodeURIComponent(project)}/locations`, pageToken === undefined ? {} : { pageToken });
    if (status !== 200) throw new CloudRunError(`cannot list the locations of project ${project} (${status}): ${errorMessage(body)}`);
    const page = parsed(listLocationsResponseSchema, body, `the locations of project ${project}`);
    locations.push(...(page.locations ?? []).map((l) => l.locationId));
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined && pageToken !== '');
  return locations;
}

async function listServices(get: Get, project: string, region: string, pageSize: number): Promise<{ services: CloudRunServiceInput[]; errors: InputError[]; note?: string }> {
  const path = `/v2/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(region)}/services`;
  const services: CloudRunServiceInput[] = [];
  const errors: InputError[] = [];
  let pageToken: string | undefined;
  do {
    const query: Record<string, string> = { pageSize: String(pageSize) };
    if (pageToken !== undefined) query['pageToken'] = pageToken;
    const { status, body } = await get(path, query);
    if (status !== 200) return { services, errors, note: regionNote(project, region, status, body, services.length) };
    const page = listServicesResponseSchema.safeParse(body);
    if (!page.success) return { services, errors, note: `Cloud Run services of project ${project} in ${region} were not read in full: the list answer is not a ListServicesResponse` };
    for (const item of page.data.services ?? []) {
      const checked = validateCloudRunService(item);
      if ('service' in checked) services.push(checked.service);
      else errors.push(...checked.errors);
    }
    pageToken = page.data.nextPageToken;
  } while (pageToken !== undefined && pageToken !== '');
  return { services, errors };
}

function regionNote(project: string, region: string, status: number, body: unknown, got: number): string {
  const message = errorMessage(body);
  if (status === 403) return `Cloud Run services of project ${project} in ${region} were not read: this identity may not list them (403: ${message}; needs run.services.list, e.g. roles/run.viewer)`;
  if (status === 404) return `Cloud Run services of project ${project} in ${region} were not read: project or location not found (404: ${message})`;
  const after = got === 0 ? '' : ` after ${got} of them`;
  return `Cloud Run services of project ${project} in ${region} were not read in full${after}: ${status} ${message}`;
}

function parsed<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw new CloudRunError(`unexpected answer for ${what}: ${result.error.issues[0]?.message ?? 'not the documented shape'}`);
  return result.data;
}

/** The message of Google's JSON error body, else the body's text. */
function errorMessage(body: unknown): string {
  const error = googleErrorSchema.safeParse(body);
  if (error.success) return [error.data.error.status, error.data.error.message].filter((s) => s !== undefined).join(': ') || 'no message';
  return typeof body === 'string' && body !== '' ? body.slice(0, 200) : 'no message';
}

function causeOf(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
