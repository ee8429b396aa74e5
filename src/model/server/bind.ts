/**
 * @module The address a server listens on, from repeatable `--bind`/`--listen` options or a `--host`/`--port` pair.
 */
import type { Evidence, Setting } from '../evidence.ts';
import { explicit } from '../evidence.ts';
import type { OptionHit } from './options.ts';
import { unknownVia, valueSetting } from './options.ts';
import type { Scope } from './words.ts';
import { nonBlank, parseCount } from './words.ts';

/** Repeated address options (gunicorn/hypercorn `-b`, waitress `--listen`): the server listens on each, listed space-separated. */
export function addressesSetting<K extends string>(hits: readonly OptionHit<K>[], base: Evidence, scope: Scope): Setting<string> {
  const settings = hits.map((h) => valueSetting(h, base, scope, nonBlank));
  const last = settings.at(-1) as Setting<string>;
  if (settings.length === 1) return last;
  const evidence = { ...last.evidence, text: hits.map((h) => h.text).join(' ') };
  const unknownOne = settings.find((s) => s.value === undefined);
  return unknownOne === undefined ? explicit(settings.map((s) => s.value).join(' '), evidence) : unknownVia(evidence, unknownOne.viaEnv);
}

/**
 * `host:port` from `--host` and `--port` options (at least one given), each falling back to the server's default.
 * The evidence is the port's (or the host's) location with both options' text; the value is unknown when either given value is.
 */
export function hostPortSetting<K extends string>(
  hostHit: OptionHit<K> | undefined,
  portHit: OptionHit<K> | undefined,
  defaults: { host: string; port: number },
  base: Evidence,
  scope: Scope,
): Setting<string> {
  const host = hostHit === undefined ? undefined : valueSetting(hostHit, base, scope, nonBlank);
  const port = portHit === undefined ? undefined : valueSetting(portHit, base, scope, parseCount);
  const evidence = { ...((port ?? host)?.evidence ?? base), text: [hostHit, portHit].flatMap((h) => (h === undefined ? [] : [h.text])).join(' ') };
  const hostValue = host === undefined ? defaults.host : host.value;
  const portValue = port === undefined ? defaults.port : port.value;
  if (portValue === undefined) return unknownVia(evidence, port?.viaEnv);
  if (hostValue === undefined) return unknownVia(evidence, host?.viaEnv);
  // An IPv6 host is written in brackets before a port (`[::]:8000`).
  const address = `${hostValue.includes(':') ? `[${hostValue}]` : hostValue}:${portValue}`;
  return explicit(address, evidence, port?.viaEnv ?? host?.viaEnv);
}
