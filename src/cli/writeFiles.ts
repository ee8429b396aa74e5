/**
 * @module Writes the planned `--emit-patches` files: the one place output touches the filesystem.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PatchFile } from '../output/index.ts';

/**
 * Writes each file under `dir` (created as needed, like `mkdir -p`), replacing files of the same name and
 * leaving other files alone. Paths come from `planPatchFiles`, which keeps them inside `dir`.
 */
export async function writePatchFiles(dir: string, files: readonly PatchFile[]): Promise<void> {
  for (const file of files) {
    const target = path.join(dir, ...file.path.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content, 'utf8');
  }
}
