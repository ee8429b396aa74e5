/**
 * @module The credentials of an authenticated Prometheus (Google Managed Prometheus, one behind kube-rbac-proxy or
 * an OAuth proxy): a bearer token given as text or read from a file, and a PEM CA bundle read from a file. Shared by
 * `pytuner report --prometheus` (its flags) and the controller (its `--prometheus-*` flags). The files are read on
 * every call, so a projected service-account token or a mounted Secret that the kubelet rotates is picked up.
 */
import { readFile } from 'node:fs/promises';

/** Where the credentials come from, and the names (flags) to use for them in errors. */
export interface CredentialSources {
  bearerToken?: string;
  bearerTokenFile?: string;
  caFile?: string;
  /** How errors name the token file and the CA file: `--bearer-token-file`, `--ca-file` unless given. */
  names?: { bearerTokenFile?: string; caFile?: string };
}

/** What createPrometheusClient takes. */
export interface PrometheusCredentials {
  bearerToken?: string;
  caPem?: string;
}

/** A credential file that cannot be read or is empty; the message names the flag and the file. */
export class CredentialFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialFileError';
  }
}

/** Reads the token and the CA bundle now (trimmed; an empty token file is an error, not an anonymous request). */
export async function readPrometheusCredentials(sources: CredentialSources): Promise<PrometheusCredentials> {
  const tokenName = sources.names?.bearerTokenFile ?? '--bearer-token-file';
  const caName = sources.names?.caFile ?? '--ca-file';
  const credentials: PrometheusCredentials = {};
  if (sources.bearerToken !== undefined) credentials.bearerToken = sources.bearerToken.trim();
  else if (sources.bearerTokenFile !== undefined) {
    const token = (await readCredentialFile(tokenName, sources.bearerTokenFile)).trim();
    if (token === '') throw new CredentialFileError(`${tokenName} ${sources.bearerTokenFile} is empty`);
    credentials.bearerToken = token;
  }
  if (sources.caFile !== undefined) credentials.caPem = await readCredentialFile(caName, sources.caFile);
  return credentials;
}

async function readCredentialFile(name: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CredentialFileError(`cannot read ${name} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
