/**
 * @module Which build-context files a Dockerfile's command runs, read as text and never executed: a shell script the
 * image `COPY`s and names in `ENTRYPOINT`/`CMD`, `python app.py`, a uWSGI `--ini` file, s6-overlay `run` scripts.
 * Pure: maps paths in the image to paths in the build context through the Dockerfile's `COPY`/`ADD` and `WORKDIR`.
 */
import { posix } from 'node:path';
import type { ImageFacts } from '../model/image.ts';

/** Files in the image named by its command that may hold the real server command or its config. */
const REFERENCED = /\.(sh|bash|py|ini|ya?ml)$/;

/** Where s6-overlay v3 (`s6-rc.d`) and v2 (`services.d`) keep a service's `run` script. */
export const S6_RUN = /(?:^|\/)(?:s6-rc\.d|services\.d)\/[^/]+\/run$/;

/**
 * Build-context paths (joined to the Dockerfile's directory) of the files the image's ENTRYPOINT/CMD names, most
 * likely first. Files that do not exist are the reader's to skip.
 */
export function referencedContextFiles(image: ImageFacts): string[] {
  const words = [...(image.entrypoint?.argv ?? []), ...(image.cmd?.argv ?? [])].flatMap((word) => word.split(/[\s;&|()'"=]+/));
  // `python .` and `uv run .` run the directory's `__main__.py`.
  const paths = words.flatMap((word) => (word === '.' ? ['./__main__.py'] : REFERENCED.test(word) || word.startsWith('./') ? [word] : []));
  return unique(paths.flatMap((path) => contextPathsOf(image, path)));
}

/** Build-context paths of the files a script from the build context names (`exec uwsgi --ini /app/uwsgi.ini`). */
export function scriptReferences(image: ImageFacts, text: string): string[] {
  const words = text.split(/[\s;&|()'"=]+/).filter((word) => REFERENCED.test(word));
  return unique(words.flatMap((path) => contextPathsOf(image, path)));
}

/**
 * Build-context directories to search for s6 `run` scripts: what the image copies to `/` or under `/etc` when it
 * starts s6-overlay's `/init`.
 */
export function s6ContextDirectories(image: ImageFacts): string[] {
  const first = image.entrypoint?.argv[0] ?? image.cmd?.argv[0];
  if (first !== '/init') return [];
  const dir = posix.dirname(image.file);
  return unique(
    (image.copies ?? [])
      .filter((copy) => copy.dest === '/' || copy.dest.startsWith('/etc'))
      .flatMap((copy) => copy.sources.map((src) => posix.normalize(posix.join(dir, src)).replace(/\/$/, ''))),
  );
}

/**
 * The build-context paths a path inside the image may come from: through each `COPY src... dest` that puts a file
 * at that path (a file copied to it, or a directory copied above it), last copy first (a later copy wins).
 */
export function contextPathsOf(image: ImageFacts, pathInImage: string): string[] {
  const dir = posix.dirname(image.file);
  const workdir = image.workdir ?? '/';
  const target = posix.resolve(workdir, pathInImage);
  // A bare name (`start.sh`) is found on PATH: any copy that puts a file of that name in a directory.
  const onPath = !pathInImage.includes('/');
  const out: string[] = [];
  for (const copy of [...(image.copies ?? [])].reverse()) {
    const dest = posix.resolve(copy.workdir, copy.dest);
    // `COPY a.py .`, `COPY a.py /app/` and `COPY a b /app` copy into a directory; `COPY a.py /app` does too when /app exists.
    const destIsDir = copy.dest.endsWith('/') || copy.dest === '.' || copy.sources.length > 1;
    for (const src of copy.sources) {
      if (/[*?[]/.test(src)) continue;
      // `COPY entrypoint.sh /entrypoint.sh`, or `COPY entrypoint.sh /usr/local/bin/`.
      const copiedName = destIsDir ? posix.basename(src) : posix.basename(dest);
      if (target === dest || target === posix.join(dest, posix.basename(src)) || (onPath && copiedName === pathInImage)) out.push(posix.join(dir, src));
      // `COPY . /app`, `COPY src/ /app/`: the file sits under the copied directory.
      else if (target.startsWith(`${dest}/`) || dest === '/') out.push(posix.join(dir, src, posix.relative(dest, target)));
    }
  }
  return unique(out.map((p) => posix.normalize(p)));
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
