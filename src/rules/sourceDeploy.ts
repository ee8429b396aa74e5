/**
 * @module Findings on a service deployed from source (no manifest; see `model/extract/sourceDeploy.ts`): there is no
 * object to patch, so a fix keeps its source edits (Dockerfile, Procfile, gunicorn.conf.py) and its service-level
 * changes become `gcloud run services update` commands, or, for a service a `gcloud run deploy` command deploys, edits
 * of that command's flags (the next deploy would undo an update); the finding's evidence says which platform was
 * assumed and why.
 *
 * The object changes are read back from the fix's JSON Patch: a stopgap until fixes are built from typed changes
 * (issue 13), which will render these commands directly. A service no deploy command deploys keeps its JSON Patch
 * through the solver, which retargets and combines it with the other fixes of the service (containerConcurrency
 * following the workers another finding sets, one `GUNICORN_CMD_ARGS` for several findings' words); its commands are
 * rendered after the solver (`renderSourceDeployFindings`), so that they say the values the solver settled on.
 */
import type { Finding, Fix, JsonPatchOp } from '../model/finding.ts';
import type { Inventory, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import type { DeployEdits, DeployFlagChange } from './deployCommandEdits.ts';
import { deployCommandEdits, serviceCommandFor } from './deployCommandEdits.ts';
import type { RunDeployCommand } from '../parse/gcloudRunDeploy.ts';
import { gcloudList, shellQuote } from '../render/gcloudWords.ts';

/** A rule whose findings on source-deployed services carry the assumed platform and fixes a user can run. */
export function forSourceDeploys(rule: Rule): Rule {
  return {
    ...rule,
    check: (inventory) => {
      const findings = rule.check(inventory);
      const assumed = byTarget(inventory.workloads.filter((w) => w.assumed !== undefined));
      if (assumed.size === 0) return findings;
      return findings.map((finding) => {
        const workload = assumed.get(targetKey(finding.target));
        return workload === undefined ? finding : onSourceDeploy(finding, workload);
      });
    },
  };
}

function onSourceDeploy(finding: Finding, workload: Workload): Finding {
  const assumed = workload.assumed!;
  const out: Finding = { ...finding, evidence: [...finding.evidence, { ...assumed.evidence, text: assumed.why }] };
  // The deploy command's edits are combined across findings by the solver (one edit of a line); the rest is rendered after it.
  return workload.deployedBy === undefined ? out : withSourceFix(out, workload);
}

/**
 * The findings with the fixes of source-deployed services no deploy command deploys rendered as commands and notes:
 * run after the solver, so that a command says the solver's values and not the rule's first ones.
 */
export function renderSourceDeployFindings(inventory: Inventory, findings: readonly Finding[]): Finding[] {
  const assumed = byTarget(inventory.workloads.filter((w) => w.assumed !== undefined && w.deployedBy === undefined));
  if (assumed.size === 0) return [...findings];
  return findings.map((finding) => {
    const workload = assumed.get(targetKey(finding.target));
    return workload === undefined ? finding : withSourceFix(finding, workload);
  });
}

/**
 * The workloads by the target their findings name: file, kind and name, as two services deployed from different
 * files (a script and a workflow) may carry one name.
 */
function byTarget(workloads: readonly Workload[]): Map<string, Workload> {
  const out = new Map<string, Workload>();
  // The first workload wins, as a search of the list in order would find it.
  for (const w of workloads) {
    const key = targetKey(w.ref);
    if (!out.has(key)) out.set(key, w);
  }
  return out;
}

function targetKey(target: { file?: string | undefined; kind: string; name: string }): string {
  return JSON.stringify([target.file ?? null, target.kind, target.name]);
}

function withSourceFix(finding: Finding, workload: Workload): Finding {
  if (finding.fix === undefined) return finding;
  const out: Finding = { ...finding };
  const fix = sourceFix(finding.fix, workload);
  if (fix === undefined) delete out.fix;
  else out.fix = fix;
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
    const opFlags = workload.platform === 'cloudrun' ? gcloudFlags(op) : [];
    if (opFlags.length > 0) flags.push(...opFlags);
    else notes.push(`no manifest was read for ${workload.ref.name}: set ${op.path.replace('/spec/template/spec/', '')} to ${JSON.stringify(op.value)} where the service is defined`);
  }
  if (flags.length > 0 && workload.deployedBy !== undefined) {
    const changed = serviceCommandEdits(workload.deployedBy, workload.updatedBy, flags);
    if (changed.edits.length > 0) out.edits = [...(out.edits ?? []), ...changed.edits];
    notes.push(...changed.notes);
    if (changed.envVarNotes.length > 0) out.envVarNotes = changed.envVarNotes;
  } else if (flags.length > 0) commands.push(`gcloud run services update ${workload.ref.name} ${commandFlags(flags)}`);
  if (commands.length > 0) out.commands = commands;
  if (notes.length > 0) out.notes = notes;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** The edits that write each flag in the command that decides it: the deploy, or an update of the service run after it. */
function serviceCommandEdits(deploy: RunDeployCommand, updates: readonly RunDeployCommand[] | undefined, flags: readonly DeployFlagChange[]): DeployEdits {
  const byCommand = new Map<RunDeployCommand, DeployFlagChange[]>();
  for (const flag of flags) {
    const command = serviceCommandFor(deploy, updates ?? [], flag);
    byCommand.set(command, [...(byCommand.get(command) ?? []), flag]);
  }
  const out: DeployEdits = { edits: [], notes: [], envVarNotes: [] };
  for (const [command, changes] of byCommand) {
    const changed = deployCommandEdits(command, changes);
    out.edits.push(...changed.edits);
    out.notes.push(...changed.notes);
    out.envVarNotes.push(...changed.envVarNotes);
  }
  return out;
}

/**
 * The flag changes as words of a shell command line: `--concurrency 8 --update-env-vars NAME='a b',OTHER=c`. The env
 * vars go in one `--update-env-vars` (with gcloud's alternate delimiter `^@^` when a value holds a comma): one list
 * of all of them, where repeated flags would leave the choice to gcloud.
 */
function commandFlags(changes: readonly DeployFlagChange[]): string {
  const words: string[] = [];
  const env: string[] = [];
  for (const { name, value } of changes) {
    if (name === '--update-env-vars' && value !== undefined) env.push(value);
    else words.push(value === undefined ? name : `${name} ${value}`);
  }
  if (env.length === 0) return words.join(' ');
  const items = env.map((v) => `${v.slice(0, v.indexOf('='))}=${shellQuote(v.slice(v.indexOf('=') + 1))}`);
  return [...words, `--update-env-vars ${gcloudList(items)}`].join(' ');
}

const CONTAINER = /^\/spec\/template\/spec\/containers\/\d+/;

/** The gcloud flags for one patch op (an `env` list sets several vars), none when gcloud has no flag for it. */
function gcloudFlags(op: Extract<JsonPatchOp, { value: unknown }>): DeployFlagChange[] {
  const env = envOf(op.path, op.value);
  if (env !== undefined) return env.map((e) => ({ name: '--update-env-vars', value: `${e.name}=${e.value}` }));
  const flag = gcloudFlag(op);
  return flag === undefined ? [] : [flag];
}

/** The gcloud flag for one patch op of a service setting, when gcloud has one. */
function gcloudFlag(op: Extract<JsonPatchOp, { value: unknown }>): DeployFlagChange | undefined {
  const { path, value } = op;
  if (path === '/spec/template/spec/containerConcurrency') return { name: '--concurrency', value: String(value) };
  if (path === '/spec/template/spec/timeoutSeconds') return { name: '--timeout', value: String(value) };
  if (CONTAINER.test(path) && path.endsWith('/resources/limits/cpu')) return { name: '--cpu', value: String(value) };
  if (path.endsWith('/annotations/run.googleapis.com~1cpu-throttling')) return { name: value === 'false' ? '--no-cpu-throttling' : '--cpu-throttling' };
  if (path.endsWith('/metadata/annotations') && isRecord(value) && value['run.googleapis.com/cpu-throttling'] !== undefined) {
    return { name: value['run.googleapis.com/cpu-throttling'] === 'false' ? '--no-cpu-throttling' : '--cpu-throttling' };
  }
  return undefined;
}

/** The env entries an op writes (one entry, or a whole list), undefined when it is not an env write gcloud can make. */
function envOf(path: string, value: unknown): { name: string; value: string }[] | undefined {
  if (!CONTAINER.test(path) || !path.includes('/env')) return undefined;
  const entries = Array.isArray(value) ? value : [value];
  const out = entries.flatMap((entry) => (isRecord(entry) && typeof entry.name === 'string' && typeof entry.value === 'string' ? [{ name: entry.name, value: entry.value }] : []));
  return out.length === entries.length && out.length > 0 ? out : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
