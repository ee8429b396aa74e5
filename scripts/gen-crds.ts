// Writes crds/pytuner.dev_*.yaml from the zod schemas in src/api/v1alpha1 (see src/api/crdgen.ts).
// `node scripts/gen-crds.ts --check` writes nothing and exits 1 when a committed file differs from a fresh generation.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCrdFiles } from '../src/api/crdgen.ts';

const crdDir = join(import.meta.dirname, '..', 'crds');
const check = process.argv.includes('--check');
let stale = 0;
for (const [name, text] of generateCrdFiles()) {
  const path = join(crdDir, name);
  const committed = await readFile(path, 'utf8').catch(() => undefined);
  if (committed === text) continue;
  if (check) {
    process.stderr.write(`${path} is out of date: run npm run gen:crds\n`);
    stale++;
  } else {
    await writeFile(path, text);
    process.stdout.write(`wrote ${path}\n`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
