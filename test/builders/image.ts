/**
 * @module Builds ImageFacts the way the Dockerfile reader would, one instruction per line, so rule tests can say
 * `dockerfile().from('python:3.12-alpine').run('pip install google-cloud-profiler').cmd('gunicorn main:app')`.
 */
import { parseImageRef } from '../../src/parse/dockerfile.ts';
import type { Evidence } from '../../src/model/evidence.ts';
import type { BaseImage, ImageFacts, SourceLine } from '../../src/model/image.ts';

interface StageDraft {
  index: number;
  name?: string;
  parent?: number;
  base?: BaseImage;
  env: Map<string, { value: string; evidence: Evidence }>;
  cmd?: { argv: string[]; evidence: Evidence };
}

/** A Dockerfile under construction; each call appends one line. */
export class DockerfileBuilder {
  readonly file: string;
  #line = 0;
  #stages: StageDraft[] = [];
  #runs: Array<{ stage: number; text: string; evidence: Evidence }> = [];
  #lines: SourceLine[] = [];

  constructor(file: string) {
    this.file = file;
  }

  /** `FROM ref [AS name]`; a ref naming an earlier stage inherits it. */
  from(ref: string, as?: string): this {
    const text = as === undefined ? `FROM ${ref}` : `FROM ${ref} AS ${as}`;
    const evidence = this.#append('FROM', text);
    const parent = this.#stages.find((s) => s.name === ref);
    const stage: StageDraft = { index: this.#stages.length, env: new Map(parent?.env ?? []) };
    if (as !== undefined) stage.name = as;
    if (parent !== undefined) {
      stage.parent = parent.index;
      if (parent.base !== undefined) stage.base = parent.base;
      if (parent.cmd !== undefined) stage.cmd = parent.cmd;
    } else {
      stage.base = parseImageRef(ref, evidence);
    }
    this.#stages.push(stage);
    return this;
  }

  run(text: string): this {
    const evidence = this.#append('RUN', `RUN ${text}`);
    this.#runs.push({ stage: this.#current().index, text, evidence });
    return this;
  }

  env(name: string, value: string): this {
    const evidence = this.#append('ENV', `ENV ${name}=${value}`);
    this.#current().env.set(name, { value, evidence: { ...evidence, text: `${name}=${value}` } });
    return this;
  }

  /** `CMD` in exec form (an array) or shell form (a string, run by `/bin/sh -c`). */
  cmd(command: string | string[]): this {
    const text = typeof command === 'string' ? `CMD ${command}` : `CMD ${JSON.stringify(command)}`;
    const evidence = this.#append('CMD', text);
    this.#current().cmd = { argv: typeof command === 'string' ? ['/bin/sh', '-c', command] : command, evidence };
    return this;
  }

  build(): ImageFacts {
    const final = this.#stages.at(-1);
    const chain = new Set<number>();
    for (let s = final; s !== undefined; s = s.parent === undefined ? undefined : this.#stages[s.parent]) chain.add(s.index);
    const image: ImageFacts = {
      file: this.file,
      env: new Map(final?.env ?? []),
      runs: this.#runs.map((run) => ({ ...run, final: chain.has(run.stage) })),
      lines: [...this.#lines],
    };
    if (final?.base !== undefined) image.base = final.base;
    if (final?.cmd !== undefined) image.cmd = final.cmd;
    return image;
  }

  #current(): StageDraft {
    const stage = this.#stages.at(-1);
    if (stage === undefined) throw new Error(`${this.file}: an instruction before the first FROM`);
    return stage;
  }

  #append(keyword: string, text: string): Evidence {
    this.#line += 1;
    if (['FROM', 'CMD', 'ENTRYPOINT', 'ENV'].includes(keyword)) this.#lines.push({ file: this.file, line: this.#line, text });
    return { source: 'Dockerfile', file: this.file, line: this.#line, field: keyword, text };
  }
}

/** A Dockerfile at `file` (default `Dockerfile`). */
export function dockerfile(file = 'Dockerfile'): DockerfileBuilder {
  return new DockerfileBuilder(file);
}
