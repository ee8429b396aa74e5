/**
 * @module What a Dockerfile (or Procfile, or gunicorn.conf.py) says about a container image, read as text.
 */
import type { Evidence } from './evidence.ts';
import type { ServerConfig } from './server.ts';

/** One `FROM` of the final stage, split into its parts. */
export interface BaseImage {
  /** As written, e.g. `python:3.12-bookworm`, `docker.io/library/python:3.12`. */
  ref: string;
  /** Repository without registry (`python`, `library/python` becomes `python`). */
  repository: string;
  tag?: string;
  digest?: string;
  evidence: Evidence;
}

/** A line of the Dockerfile, kept so a fix can say "replace line N with ...". */
export interface SourceLine {
  file: string;
  line: number;
  text: string;
}

/** Facts from one Dockerfile's final stage (and its build stages where a rule needs them). */
export interface ImageFacts {
  file: string;
  /** The final stage's base image, followed through `FROM <earlier stage>`; absent for `FROM scratch`. */
  base?: BaseImage;
  /** Environment from `ENV` in the final stage (and inherited stages), in order. */
  env: Map<string, { value: string; evidence: Evidence }>;
  /** `ENTRYPOINT` and `CMD` of the final stage as argv (shell form becomes `["/bin/sh","-c",text]`). */
  entrypoint?: { argv: string[]; evidence: Evidence };
  cmd?: { argv: string[]; evidence: Evidence };
  /** All `RUN` lines across stages, by stage index (the last is the final stage). */
  runs: Array<{ stage: number; final: boolean; text: string; evidence: Evidence }>;
  /** Procfile `web:` entry joined to this image (buildpacks use it when no command is given). */
  procfileWeb?: { command: string; evidence: Evidence };
  /** Lines naming `google-cloud-profiler` in the requirements*.txt / pyproject.toml / Pipfile beside the Dockerfile. */
  profilerRequirements?: Evidence[];
  /** gunicorn.conf.py top-level assignments, as read (values the file computes are `undefined`). */
  gunicornConf?: GunicornConf;
  /** The server detected from the image's own ENTRYPOINT/CMD/Procfile, for a Dockerfile checked on its own. */
  server?: ServerConfig;
  lines: SourceLine[];
  /** The final stage's `WORKDIR` (`/` when none). */
  workdir?: string;
  /** `COPY`/`ADD` from the build context in the stages the final image is built on: what of the context is in the image, and where. */
  copies?: Array<{ sources: string[]; dest: string; workdir: string }>;
}

/** Plain top-level assignments of a gunicorn.conf.py. `undefined` = assigned but computed (reported as unknown). */
export interface GunicornConf {
  file: string;
  settings: Map<string, { value: string | number | boolean | undefined; evidence: Evidence }>;
}
