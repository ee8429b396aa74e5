/**
 * @module Python dependency files read as text (never installed or executed): requirements*.txt, pyproject.toml and
 * Pipfile. pytuner looks in them for one package, `google-cloud-profiler`, the Cloud Profiler agent.
 */
import type { Evidence } from '../model/evidence.ts';

/** The package name where a requirement, a PEP 508 string or a TOML key may name it; `google-cloud-profiler-x` does not count. */
const PROFILER_PACKAGE = /(?:^|["'\s,[])google[-_.]cloud[-_.]profiler(?=$|[\s"'=<>!~[\];,@^])/i;

/** profilerRequirementLines returns the lines of a dependency file that require `google-cloud-profiler`, comments ignored. */
export function profilerRequirementLines(file: string, text: string): Evidence[] {
  const found: Evidence[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (PROFILER_PACKAGE.test(line)) found.push({ source: 'requirements', file, line: index + 1, field: 'google-cloud-profiler', text: line });
  });
  return found;
}
