/**
 * @module pytuner's exit codes. When several apply, the highest wins: a report built from inputs that could
 * not all be read (2) is not a verdict on the workloads, whatever `--fail-on` found (1).
 */

/** The report ran and no `--fail-on` threshold was met. */
export const EXIT_OK = 0;
/** A finding at or above the `--fail-on` severity. */
export const EXIT_FINDINGS = 1;
/** Bad input or usage: an input could not be read or parsed (the rest was still reported), an unknown flag or value, an unknown rule id. */
export const EXIT_INPUT = 2;
/** pytuner itself failed: it could not write `--emit-patches` or `--fix` files, or a bug (please report it). */
export const EXIT_INTERNAL = 3;
