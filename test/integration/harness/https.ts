import { request } from 'node:https';

export interface HttpsRequestOptions {
  method?: string;
  /** PEM of the CA that signed the server's certificate. */
  ca?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Skip certificate verification: only for reading the health of a loopback server, with no credentials. */
  insecure?: boolean;
  body?: string;
  contentType?: string;
  timeoutMs?: number;
}

export interface HttpsResponse {
  status: number;
  body: string;
}

/**
 * One HTTPS request with a custom CA, which Node's fetch cannot take without an extra dependency. The harness
 * talks to kube-apiserver with it directly, rather than through @kubernetes/client-node, because the client's
 * typed serializer drops the keys its models spell differently (`x-kubernetes-int-or-string`, `$ref`) from raw
 * YAML objects such as CRDs.
 */
export function httpsRequest(url: string, options: HttpsRequestOptions = {}): Promise<HttpsResponse> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.contentType) headers['content-type'] = options.contentType;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', ca: options.ca, rejectUnauthorized: !options.insecure, headers, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${options.method ?? 'GET'} ${url} within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
