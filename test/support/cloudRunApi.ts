// A loopback stand-in for the Cloud Run Admin API that answers exactly the calls `pytuner report --cloudrun` makes:
// `GET /v2/projects/P/locations/L/services` (paged with pageSize/pageToken) and, for `--region -`, v1's
// `GET /v1/projects/P/locations`. Every 200 body is checked against the API's published schema (the protos shipped in
// `@google-cloud/run`, see cloudRunSchema.ts) before it is sent; a body that fails is answered with 500 and recorded
// in `schemaErrors`, so a test cannot pass on a shape the real API would not send. Errors use Google's JSON error
// body. Cloud Run itself cannot be reached from the test machines.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertCloudRunJson, CLOUD_RUN_TYPES } from './cloudRunSchema.ts';

/** A region's answer: its services (proto3 JSON, as the API returns them), or an HTTP error. */
export type RegionAnswer = { services: Record<string, unknown>[] } | { status: 403 | 500; message: string };

export interface CloudRunApiOptions {
  project: string;
  /** The bearer token the server accepts; any other gets 401. */
  token: string;
  regions: Record<string, RegionAnswer>;
  /** Services per page at most (the server's own cap, below what pytuner asks for, so paging is exercised). */
  pageSize: number;
}

export interface CloudRunApi {
  url: string;
  /** Every request's path and query, in order. */
  requests: string[];
  schemaErrors: string[];
  close(): Promise<void>;
}

export async function startCloudRunApi(options: CloudRunApiOptions): Promise<CloudRunApi> {
  const requests: string[] = [];
  const schemaErrors: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    answer(options, request, response, schemaErrors);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    schemaErrors,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error)))),
  };
}

function answer(options: CloudRunApiOptions, request: IncomingMessage, response: ServerResponse, schemaErrors: string[]): void {
  const url = new URL(request.url ?? '/', 'http://loopback');
  if (request.method !== 'GET') return googleError(response, 405, 'METHOD_NOT_ALLOWED', 'pytuner only reads');
  if (request.headers.authorization !== `Bearer ${options.token}`) {
    return googleError(response, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
  }
  const locations = /^\/v1\/projects\/([^/]+)\/locations$/.exec(url.pathname);
  const services = /^\/v2\/projects\/([^/]+)\/locations\/([^/]+)\/services$/.exec(url.pathname);
  const project = decodeURIComponent((locations ?? services)?.[1] ?? '');
  if (locations === null && services === null) return googleError(response, 404, 'NOT_FOUND', `no such method: ${url.pathname}`);
  if (project !== options.project) return googleError(response, 404, 'NOT_FOUND', `Project '${project}' not found or deleted.`);
  if (locations !== null) {
    const body = { locations: Object.keys(options.regions).map((id) => ({ name: `projects/${project}/locations/${id}`, locationId: id })) };
    return sendValid(response, CLOUD_RUN_TYPES.listLocations, body, schemaErrors);
  }
  const region = decodeURIComponent(services?.[2] ?? '');
  const regionAnswer = options.regions[region];
  if (regionAnswer === undefined) return googleError(response, 404, 'NOT_FOUND', `Location '${region}' not found.`);
  if ('status' in regionAnswer) return googleError(response, regionAnswer.status, regionAnswer.status === 403 ? 'PERMISSION_DENIED' : 'INTERNAL', regionAnswer.message);
  const asked = Number(url.searchParams.get('pageSize') ?? options.pageSize);
  const size = Math.min(asked > 0 ? asked : options.pageSize, options.pageSize);
  const token = url.searchParams.get('pageToken');
  const start = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString());
  const page = regionAnswer.services.slice(start, start + size);
  const body: Record<string, unknown> = { services: page };
  if (start + size < regionAnswer.services.length) body['nextPageToken'] = Buffer.from(String(start + size)).toString('base64url');
  return sendValid(response, CLOUD_RUN_TYPES.listServices, body, schemaErrors);
}

function sendValid(response: ServerResponse, type: string, body: unknown, schemaErrors: string[]): void {
  try {
    assertCloudRunJson(type, body);
  } catch (error) {
    schemaErrors.push(`${type}: ${error instanceof Error ? error.message : String(error)}`);
    return googleError(response, 500, 'INTERNAL', 'the loopback server refused to send a body its schema rejects');
  }
  response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify(body));
}

function googleError(response: ServerResponse, code: number, status: string, message: string): void {
  response.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify({ error: { code, message, status } }));
}
