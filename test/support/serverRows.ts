/**
 * @module Table-driven tests of the server detectors (`src/model/server/*.test.ts`): a row is a command line, its
 * container env and the settings the detector must report. The evidence helpers fix where each input sits
 * (the Dockerfile CMD on line 12, env var i on line 20 + i of service.yaml), so rows state exact evidence.
 */
import { expect } from 'vitest';
import type { Evidence } from '../../src/model/evidence.ts';
import type { GunicornConf } from '../../src/model/image.ts';
import type { ServerConfig, ServerKind } from '../../src/model/server.ts';
import type { DetectEnv } from '../../src/model/server/detect.ts';
import { detectServer } from '../../src/model/server/detect.ts';

/** Where a row's command line comes from unless it says otherwise: the Dockerfile's CMD. */
export const DOCKERFILE: Evidence = { source: 'Dockerfile', file: 'Dockerfile', line: 12, field: 'CMD' };

/** Evidence of a flag on the Dockerfile's CMD line. */
export function cmd(field: string, text: string): Evidence {
  return { ...DOCKERFILE, field, text };
}

/** A command line run by `/bin/sh -c`, as a Dockerfile shell-form CMD runs it. */
export function sh(script: string): string[] {
  return ['/bin/sh', '-c', script];
}

/** Container env as the extractor passes it: variable i declared on line 20 + i of service.yaml; `undefined` = valueFrom. */
export function containerEnv(vars: Record<string, string | undefined>): DetectEnv {
  return new Map(
    Object.entries(vars).map(([name, value], i) => {
      const evidence: Evidence = { source: 'manifest', file: 'service.yaml', line: 20 + i, field: `spec.template.spec.containers[0].env[${i}]` };
      return [name, value === undefined ? { evidence } : { value, evidence }];
    }),
  );
}

/** Evidence of env var i of `containerEnv`, as a setting read from it names it. */
export function envVar(i: number, name: string, text: string): Evidence {
  return { source: 'manifest', file: 'service.yaml', line: 20 + i, field: `env ${name}`, text };
}

/** One case: a command line (from the Dockerfile unless `source` says otherwise), its env and conf, and the settings expected. */
export interface ServerRow {
  name: string;
  argv: string[];
  env?: Record<string, string | undefined>;
  conf?: GunicornConf;
  source?: Evidence;
  /** Only these fields are compared, each exactly. */
  expected: Partial<ServerConfig>;
}

/** Detects the row's server and asserts it is `kind` (when given) with every expected field equal. */
export function expectServerConfig(row: ServerRow, kind?: ServerKind): void {
  const config = detectServer(row.argv, containerEnv(row.env ?? {}), row.source ?? DOCKERFILE, row.conf);
  if (kind !== undefined) expect(config?.kind).toBe(kind);
  for (const [key, value] of Object.entries(row.expected)) expect(config?.[key as keyof ServerConfig], key).toEqual(value);
}
