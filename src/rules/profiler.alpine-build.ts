/**
 * @module `profiler.alpine-build`: Cloud Profiler's Python agent has native code; on Alpine (musl) it is compiled at
 * install time, which needs `build-base`, and Alpine images without `ca-certificates` cannot reach the Profiler API
 * ("x509: failed to load system roots and no roots provided"). The profiler guide, "Running with Alpine Linux",
 * recommends a build stage that makes wheels and `apk add --no-cache ca-certificates` in the final image.
 * @see docs/rules/profiler.alpine-build.md
 */
import type { Evidence } from '../model/evidence.ts';
import type { Finding, Fix } from '../model/finding.ts';
import type { BaseImage, ImageFacts, SourceLine } from '../model/image.ts';
import type { Inventory, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { dockerfileTarget, imageProfilerSignals, profilerInstalled, profilerSignals, uniqueEvidence } from './facts.ts';
import { dockerfiles } from './image.slim-base.ts';

const ID = 'profiler.alpine-build';

/** `profiler.alpine-build`: the profiler on an Alpine final stage without build-base or ca-certificates. */
export const alpineBuild: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'Cloud Profiler on an Alpine image without build-base in a build stage or without ca-certificates in the final image',
  check: (inventory) => dockerfiles(inventory).flatMap((image) => checkImage(image, joinedWorkloads(inventory, image))),
};

/** Alpine-based: `python:*-alpine*` (which ships ca-certificates) or `alpine:*` (which does not). */
function alpineKind(base: BaseImage | undefined): 'python' | 'alpine' | undefined {
  if (base === undefined) return undefined;
  if (base.repository === 'alpine') return 'alpine';
  if (base.repository === 'python' && base.tag?.includes('alpine') === true) return 'python';
  return undefined;
}

function joinedWorkloads(inventory: Inventory, image: ImageFacts): Array<{ workload: Workload; signals: Evidence[] }> {
  return inventory.workloads.flatMap((workload) =>
    workload.containers.filter((c) => c.dockerfile?.file === image.file).map((container) => ({ workload, signals: profilerSignals(workload, container) })),
  );
}

/**
 * An `apk add` of a compiler toolchain in any stage: `build-base`, `g++` (Alpine's g++ package depends on gcc and
 * musl-dev, so it brings a whole C/C++ toolchain), or `gcc` with `musl-dev`.
 */
function installsToolchain(image: ImageFacts): boolean {
  return image.runs.some(
    (run) => /\bapk\s+add\b/.test(run.text) && (/\bbuild-base\b/.test(run.text) || /(^|\s)g\+\+(\s|$)/.test(run.text) || (/\bgcc\b/.test(run.text) && /\bmusl-dev\b/.test(run.text))),
  );
}

/** An `apk add ... ca-certificates` in the final stage or a stage it is built on (`FROM <stage>`). */
function installsCaCertificates(image: ImageFacts): boolean {
  return image.runs.some((run) => run.final && /\bapk\s+add\b/.test(run.text) && /\bca-certificates\b/.test(run.text));
}

function checkImage(image: ImageFacts, joined: Array<{ workload: Workload; signals: Evidence[] }>): Finding[] {
  const kind = alpineKind(image.base);
  if (kind === undefined) return [];
  const base = image.base!;
  const signals = uniqueEvidence([...imageProfilerSignals(image), ...joined.flatMap((j) => j.signals)]);
  if (signals.length === 0) return [];
  // Only an installed agent is compiled: an ENV ENABLE_PROFILER=1 alone builds nothing.
  if (!profilerInstalled(undefined, image) && !joined.some((j) => profilerInstalled(j.workload, image))) return [];
  const needsToolchain = !installsToolchain(image);
  const needsCerts = kind === 'alpine' && !installsCaCertificates(image);
  if (!needsToolchain && !needsCerts) return [];
  const problems: string[] = [];
  if (needsToolchain) problems.push('no stage installs build-base to compile its native agent');
  if (needsCerts) problems.push('the final image lacks ca-certificates, so its TLS calls fail with "x509: failed to load system roots"');
  const onCloudRun = joined.some((j) => j.workload.platform === 'cloudrun');
  return [
    {
      rule: ID,
      severity: 'warning',
      target: dockerfileTarget(image, base.evidence.line),
      message: `Cloud Profiler on ${base.ref}: ${problems.join(', and ')}`,
      current: { base: base.ref, 'build-base': !needsToolchain, 'ca-certificates': !needsCerts },
      recommended: { 'build-base': true, 'ca-certificates': true },
      evidence: uniqueEvidence([base.evidence, ...signals]),
      fix: fixFor(image, base, needsToolchain, needsCerts, onCloudRun),
    },
  ];
}

function finalFromLine(image: ImageFacts): SourceLine | undefined {
  return image.lines.filter((l) => l.file === image.file && /^\s*FROM\s/i.test(l.text)).at(-1);
}

function fixFor(image: ImageFacts, base: BaseImage, needsToolchain: boolean, needsCerts: boolean, onCloudRun: boolean): Fix {
  const fix: Fix = {};
  const notes: string[] = [];
  const from = finalFromLine(image);
  if (needsCerts && from !== undefined) {
    fix.edits = [{ file: from.file, line: from.line, before: from.text, after: `${from.text}\nRUN apk add --no-cache ca-certificates` }];
  }
  if (needsToolchain) {
    notes.push(
      [
        'build the agent in a separate stage and install the wheel in the final one:',
        `FROM ${base.ref} AS profiler-wheels`,
        // Bare alpine has no Python of its own: the build stage needs the headers and pip of the apk python3.
        base.repository === 'alpine' ? 'RUN apk add --no-cache build-base linux-headers python3-dev py3-pip' : 'RUN apk add --no-cache build-base linux-headers',
        base.repository === 'alpine' ? 'RUN pip3 wheel --wheel-dir=/tmp/wheels google-cloud-profiler' : 'RUN pip wheel --wheel-dir=/tmp/wheels google-cloud-profiler',
        `then, after the final FROM: COPY --from=profiler-wheels /tmp/wheels /tmp/wheels`,
        'and RUN pip install --no-index --find-links=/tmp/wheels google-cloud-profiler',
      ].join('\n'),
    );
  }
  if (onCloudRun) notes.push("Google documents the Python agent on Alpine for GKE only; on Cloud Run prefer a Debian-based python:*-slim image");
  if (notes.length > 0) fix.notes = notes;
  return fix;
}
