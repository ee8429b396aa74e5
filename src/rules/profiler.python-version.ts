/**
 * @module `profiler.python-version`: the Cloud Profiler Python agent (`google-cloud-profiler`) on an interpreter it does
 * not support. Its README says Python 3.11 is not supported (GoogleCloudPlatform/cloud-profiler-python#133); its
 * tracker reports the agent failing above 3.10 (#142) and its wheel failing to build on 3.13 (#149); the last release,
 * 4.1.0 (August 2023), predates 3.12. A free-threaded build (`3.13t`, `PYTHON_GIL=0`) is outside what its C extension
 * was written for.
 * @see docs/rules/profiler.python-version.md
 */
import type { Finding, Fix } from '../model/finding.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { profilerSignals, targetOf, uniqueEvidence } from './facts.ts';
import { sourceLineOf } from './fixes.ts';
import { changeTarget, propose } from './changes.ts';
import type { Location } from '../model/change.ts';
import { applySpans } from '../model/change.ts';

const ID = 'profiler.python-version';

/** The newest Python the agent's README supports (3.11 "is not currently supported"). */
const NEWEST_SUPPORTED = { major: 3, minor: 10 };
/** From this version `pip install google-cloud-profiler` fails to build its extension (issue #149). */
const BUILD_FAILS = { major: 3, minor: 13 };

export const profilerPythonVersion: Rule = {
  id: ID,
  severity: 'critical',
  summary: 'the Cloud Profiler Python agent on a Python it does not support (above 3.10; its build fails on 3.13) or a free-threaded build',
  check: (inventory) => inventory.workloads.flatMap((workload) => workload.containers.flatMap((container) => checkContainer(workload, container))),
};

function checkContainer(workload: Workload, container: ContainerFacts): Finding[] {
  const base = container.dockerfile?.base;
  if (base?.repository !== 'python' || base.tag === undefined) return [];
  const m = /^(\d+)\.(\d+)(t?)/.exec(base.tag);
  if (m === null) return [];
  const version = { major: Number(m[1]), minor: Number(m[2]) };
  const gil = container.env.get('PYTHON_GIL');
  const freeThreaded = m[3] === 't' || (gil?.value === '0' && !gil.fromRef);
  const unsupported = after(version, NEWEST_SUPPORTED);
  if (!unsupported && !freeThreaded) return [];
  const signals = profilerSignals(workload, container);
  if (signals.length === 0) return [];
  const buildFails = !after(BUILD_FAILS, version);
  const severity = buildFails || freeThreaded ? 'critical' : 'warning';
  const why = freeThreaded
    ? 'a free-threaded build, which the agent’s C extension was not written for'
    : buildFails
      ? `Python ${version.major}.${version.minor}, on which the agent's wheel fails to build (cloud-profiler-python#149)`
      : `Python ${version.major}.${version.minor}, which the agent does not support (its README: 3.11 is not supported; cloud-profiler-python#142)`;
  const finding: Finding = {
    rule: ID,
    severity,
    target: targetOf(workload, container),
    message: `the Cloud Profiler agent runs on ${why}: profiles stop or the image does not build; use Python ${NEWEST_SUPPORTED.major}.${NEWEST_SUPPORTED.minor} for this service or remove google-cloud-profiler`,
    current: { python: `${version.major}.${version.minor}${m[3] ?? ''}`, freeThreaded },
    recommended: { python: `${NEWEST_SUPPORTED.major}.${NEWEST_SUPPORTED.minor}` },
    evidence: uniqueEvidence([base.evidence, ...(gil === undefined || !freeThreaded ? [] : [gil.evidence]), ...signals]),
  };
  const write = fixOf(container, m[0]);
  finding.fix = write.fix;
  if (write.change !== undefined) {
    const { from, to, location } = write.change;
    finding.changes = [propose('baseImage', from, to, { target: changeTarget(workload, container), rule: ID, location })];
  }
  return [finding];
}

function after(a: { major: number; minor: number }, b: { major: number; minor: number }): boolean {
  return a.major > b.major || (a.major === b.major && a.minor > b.minor);
}

/**
 * The `FROM` line with the supported version (`python:3.13-slim` → `python:3.10-slim`), when the base is on a line
 * pytuner kept, and the change of the base image with the characters of the line it rewrites (the version alone, so
 * that image.slim-base's change of the same line combines with it).
 */
function fixOf(container: ContainerFacts, written: string): { fix: Fix; change?: { from: string; to: string; location: Location } } {
  const image = container.dockerfile!;
  const base = image.base!;
  const line = sourceLineOf(image, base.evidence);
  const at = line?.text.indexOf(`:${written}`) ?? -1;
  const notes = ['or remove google-cloud-profiler (and ENABLE_PROFILER) from this image: the agent has had no release since 4.1.0 (August 2023)'];
  if (line === undefined || at === -1) return { fix: { notes } };
  const supported = `${NEWEST_SUPPORTED.major}.${NEWEST_SUPPORTED.minor}`;
  const span = { start: at + 1, end: at + 1 + written.length, text: supported };
  const after = applySpans(line.text, [span])!;
  const fix: Fix = { edits: [{ file: line.file, line: line.line, before: line.text, after }], notes: [`check that the app and its dependencies run on Python ${supported} (end of life in October 2026)`, ...notes] };
  const to = base.ref.replace(`:${written}`, `:${supported}`);
  return { fix, change: { from: base.ref, to, location: { kind: 'source', file: line.file, line: line.line, span } } };
}
