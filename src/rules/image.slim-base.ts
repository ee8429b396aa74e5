/**
 * @module `image.slim-base`: the final stage is based on the full `python` image where a `-slim` variant of the same
 * tag exists. The Cloud Run Python guide: "If you are using the python image from Docker Hub, use the slim version ...
 * the python image comes with the GNU C compiler, preprocessor and core utilities".
 * @see docs/rules/image.slim-base.md
 */
import type { Finding } from '../model/finding.ts';
import type { BaseImage, ImageFacts } from '../model/image.ts';
import type { Inventory } from '../model/workload.ts';
import { changeTarget, propose } from './changes.ts';
import type { TextSpan } from '../model/change.ts';
import { applySpans } from '../model/change.ts';
import type { Evidence } from '../model/evidence.ts';
import type { ContainerFacts, Workload } from '../model/workload.ts';
import { parseImageRef } from '../parse/dockerfile.ts';
import type { Rule } from './types.ts';
import { dockerfileTarget, targetOf } from './facts.ts';
import { sourceLineOf } from './fixes.ts';

const ID = 'image.slim-base';

/** Debian suites the official image publishes with `-slim-<suite>` variants. */
const SUITES = 'bookworm|bullseye|buster|trixie';
const VERSION = String.raw`\d+(?:\.\d+){0,2}(?:(?:a|b|rc)\d+)?`;
/** `3`, `3.12`, `3.12.4`, `3.14.0rc1`, each optionally `-<suite>`; or a suite alone. */
const FULL_TAG = new RegExp(`^(?:(?<version>${VERSION})(?:-(?<suite>${SUITES}))?|(?<suiteOnly>${SUITES}))$`);

/** `image.slim-base`: a full `python:` base image where `-slim` exists. */
export const slimBase: Rule = {
  id: ID,
  severity: 'info',
  summary: 'the final stage uses the full python image where the python:*-slim variant exists',
  check: (inventory) => [...dockerfiles(inventory).flatMap(checkImage), ...inventory.workloads.flatMap((w) => w.containers.flatMap((c) => checkContainerImage(w, c)))],
};

/**
 * A container that runs the official `python` image itself (`image: python:3.12`), with no Dockerfile joined: the
 * manifest's image is the base, and the fix replaces it there.
 */
function checkContainerImage(workload: Workload, container: ContainerFacts): Finding[] {
  if (container.image === undefined || container.dockerfile !== undefined) return [];
  const evidence: Evidence = { source: 'manifest', field: `spec.template.spec.containers[${container.index}].image`, text: container.image };
  if (workload.ref.file !== undefined) evidence.file = workload.ref.file;
  if (workload.ref.line !== undefined) evidence.line = workload.ref.line;
  const base = parseImageRef(container.image, evidence);
  const tag = slimTag(base);
  if (tag === undefined) return [];
  const slim = withTag(base, tag);
  const pointer = `${workload.podSpecPointer}/containers/${container.index}/image`;
  return [
    {
      rule: ID,
      severity: 'info',
      target: targetOf(workload, container),
      message: `container runs ${base.ref}, the full Debian image with compilers and headers it does not need at run time; ${slim} has the same Python in a smaller image`,
      current: { image: base.ref },
      recommended: { image: slim },
      evidence: [evidence],
      changes: [propose('baseImage', base.ref, slim, { target: changeTarget(workload, container), rule: ID, location: { kind: 'field', pointer } })],
      fix: {
        jsonPatch: [
          { op: 'test', path: pointer, value: container.image },
          { op: 'replace', path: pointer, value: slim },
        ],
        notes: ['slim has no gcc: packages the container installs at start-up without a wheel for the platform will not build there'],
      },
    },
  ];
}

/** Every Dockerfile once: those joined to workloads, then those no workload claimed. */
export function dockerfiles(inventory: Inventory): ImageFacts[] {
  const byFile = new Map<string, ImageFacts>();
  for (const workload of inventory.workloads) {
    for (const container of workload.containers) {
      if (container.dockerfile !== undefined && !byFile.has(container.dockerfile.file)) byFile.set(container.dockerfile.file, container.dockerfile);
    }
  }
  for (const image of inventory.standaloneImages) if (!byFile.has(image.file)) byFile.set(image.file, image);
  return [...byFile.values()];
}

/**
 * The slim tag for a full `python` tag: `3.12` → `3.12-slim`, `3.12-bookworm` → `3.12-slim-bookworm`, `bookworm` →
 * `slim-bookworm`, no tag or `latest` → `slim`. `undefined` for slim, alpine and Windows tags, tags built from
 * `ARG`s, digests (the slim image has another digest, which pytuner cannot know), and other repositories.
 */
export function slimTag(base: BaseImage): string | undefined {
  if (base.repository !== 'python' || base.digest !== undefined) return undefined;
  if (base.tag === undefined || base.tag === 'latest') return 'slim';
  const m = FULL_TAG.exec(base.tag);
  if (m === null) return undefined;
  const version = m.groups?.version;
  const suite = m.groups?.suite ?? m.groups?.suiteOnly;
  return [version, 'slim', suite].filter((part) => part !== undefined).join('-');
}

/** The image reference with its tag replaced (or added). */
function withTag(base: BaseImage, tag: string): string {
  return base.tag === undefined ? `${base.ref}:${tag}` : `${base.ref.slice(0, base.ref.lastIndexOf(`:${base.tag}`))}:${tag}`;
}

function checkImage(image: ImageFacts): Finding[] {
  const base = image.base;
  if (base === undefined) return [];
  const tag = slimTag(base);
  if (tag === undefined) return [];
  const slim = withTag(base, tag);
  const line = sourceLineOf(image, base.evidence);
  const finding: Finding = {
    rule: ID,
    severity: 'info',
    target: dockerfileTarget(image, base.evidence.line),
    message: `final stage is based on ${base.ref}, the full Debian image with compilers and headers it does not need at run time; ${slim} has the same Python in a smaller image`,
    current: { base: base.ref },
    recommended: { base: slim },
    evidence: [base.evidence],
  };
  if (line !== undefined && line.text.includes(base.ref)) {
    const span = changedSpan(base.ref, slim, line.text.indexOf(base.ref));
    finding.changes = [
      propose('baseImage', base.ref, slim, { target: { kind: 'Dockerfile', name: image.file }, rule: ID, location: { kind: 'source', file: line.file, line: line.line, span } }),
    ];
    finding.fix = {
      edits: [{ file: line.file, line: line.line, before: line.text, after: applySpans(line.text, [span])! }],
      notes: ['slim has no gcc: packages without a wheel for your platform need a build stage on the full image that builds wheels, copied into the slim stage'],
    };
  }
  return [finding];
}

/**
 * The characters of `before` (found at `offset` in its line) that differ from `after`, as a span of the line: only
 * the tag's variant (`-slim` after `3.12`), so that a change of the version on the same line combines with it.
 */
function changedSpan(before: string, after: string, offset: number): TextSpan {
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  const room = Math.min(before.length, after.length) - prefix;
  while (suffix < room && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix++;
  return { start: offset + prefix, end: offset + before.length - suffix, text: after.slice(prefix, after.length - suffix) };
}
