/**
 * @module Findings on a service deployed from source (no manifest; see `model/extract/sourceDeploy.ts`): there is no
 * object to patch, so a fix keeps its source edits (Dockerfile, Procfile, gunicorn.conf.py) and its service-level
 * changes become `gcloud run services update` commands, or, for a service a `gcloud run deploy` command deploys, edits
 * of that command's flags (the next deploy would undo an update); the finding's evidence says which platform was
 * assumed and why.
 *
 * The object changes are read back from the fix's JSON Patch: a stopgap until fixes are built from typed changes
 * (issue 13), which will render these commands directly.
 */
import type { Finding, Fix, JsonPatchOp } from '../model/finding.ts';
import type { Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import type { DeployFlagChange } from './deployCommandEdits.ts';
import { deployCommandEdits } from './deployCommandEdits.ts';

/** A rule whose findings on source-deployed services carry the assumed platform and fixes a user can run. */
export function forSourceDeploys(rule: Rule): Rule {
  return {
    ...rule,
    check: (inventory) => {
      const findings = rule.check(inventory);
      const assumed = inventory.workloads.filter((w) => w.assumed !== undefined);
      if (assumed.length === 0) return findings;
      return findings.map((finding) => {
        const workload = assumed.find((w) => w.ref.file === finding.target.file && w.ref.name === finding.target.name && w.ref.kind === finding.target.kind);
        return workload === undefined ? finding : onSourceDeploy(finding, workload);
      });
    },
  };
}

function onSourceDeploy(finding: Finding, workload: Workload): Finding {
  const assumed = workload.assumed!;
  const out: Finding = { ...finding, evidence: [...finding.evidence, { ...assumed.evidence, text: assumed.why }] };
  if (finding.fix !== undefined) {
    const fix = sourceFix(finding.fix, workload);
    if (fix === undefined) delete out.fix;
    else out.fix = fix;
  }
  return out;
}

/** The fix without object patches: its edits and created objects, and the service changes as commands or notes. */
function sourceFix(fix: Fix, workload: Workload): Fix | undefined {
  const out: Fix = {};
  if (fix.edits !== undefined) out.edits = fix.edits;
  if (fix.create !== undefined) out.create = fix.create;
  const commands = [...(fix.commands ?? [])];
  const notes = (fix.notes ?? []).filter((note) => !/JSON patch|apply fragment|server-side apply/i.test(note));
  const flags: DeployFlagChange[] = [];
  for (const op of fix.jsonPatch ?? []) {
    if (op.op === 'test' || op.op === 'remove') continue;
    const flag = workload.platform === 'cloudrun' ? gcloudFlag(op) : undefined;
    if (flag !== undefined) flags.push(flag);
    else notes.push(`no manifest was read for ${workload.ref.name}: set ${op.path.replace('/spec/template/spec/', '')} to ${JSON.stringify(op.value)} where the service is defined`);
  }
  if (flags.length > 0 && workload.deployedBy !== undefined) {
    const changed = deployCommandEdits(workload.deployedBy, flags);
    if (changed.edits.length > 0) out.edits = [...(out.edits ?? []), ...changed.edits];
    notes.push(...changed.notes);
  } else if (flags.length > 0) commands.push(`gcloud run services update ${workload.ref.name} ${flags.map(commandWords).join(' ')}`);
  if (commands.length > 0) out.commands = commands;
  if (notes.length > 0) out.notes = notes;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** A flag change as words of a shell command line: `--concurrency 8`, `--update-env-vars NAME='a b'`. */
function commandWords(change: DeployFlagChange): string {
  const { name, value } = change;
  if (value === undefined) return name;
  if (name !== '--update-env-vars') return `${name} ${value}`;
  const eq = value.indexOf('=');
  return `${name} ${value.slice(0, eq)}=${quote(value.slice(eq + 1))}`;
}

const CONTAINER = /^\/spec\/template\/spec\/containers\/\d+/;

/** The gcloud flag for one patch op, when gcloud has one. */
function gcloudFlag(op: Extract<JsonPatchOp, { value: unknown }>): DeployFlagChange | undefined {
  const { path, value } = op;
  if (path === '/spec/template/spec/containerConcurrency') return { name: '--concurrency', value: String(value) };
  if (path === '/spec/template/spec/timeoutSeconds') return { name: '--timeout', value: String(value) };
  const env = envOf(path, value);
  if (env !== undefined) return { name: '--update-env-vars', value: `${env.name}=${env.value}` };
  if (CONTAINER.test(path) && path.endsWith('/resources/limits/cpu')) return { name: '--cpu', value: String(value) };
  if (path.endsWith('/annotations/run.googleapis.com~1cpu-throttling')) return { name: value === 'false' ? '--no-cpu-throttling' : '--cpu-throttling' };
  if (path.endsWith('/metadata/annotations') && isRecord(value) && value['run.googleapis.com/cpu-throttling'] !== undefined) {
    return { name: value['run.googleapis.com/cpu-throttling'] === 'false' ? '--no-cpu-throttling' : '--cpu-throttling' };
  }
  return undefined;
}

function envOf(path: string, value: unknown): { name: string; value: string } | undefined {
  if (!CONTAINER.test(path) || !path.includes('/env')) return undefined;
  const entries = Array.isArray(value) ? value : [value];
  const entry = entries[0];
  if (isRecord(entry) && typeof entry.name === 'string' && typeof entry.value === 'string') return { name: entry.name, value: entry.value };
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Single-quotes a value for a POSIX shell when it holds anything but safe characters. */
function quote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replaceAll("'", `'"'"'`)}'`;
}
