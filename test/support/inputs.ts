/** Inputs for `analyse` from source files alone (Dockerfiles, Procfiles, deploy scripts): no manifests, no errors. */
import type { LoadedInputs } from '../../src/parse/types.ts';

export function sourcesOnly(...sources: LoadedInputs['sources']): LoadedInputs {
  return { documents: [], sources, errors: [], files: sources.length };
}
