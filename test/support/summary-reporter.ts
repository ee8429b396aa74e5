/**
 * @module A vitest reporter that ends the run with one plain line, `N passed, N failed`, which CI counts.
 * Skipped tests would be counted too, but the suite has none by policy.
 */
import type { Reporter, TestModule } from 'vitest/node';

/** Counts test cases by final state across all projects and prints the closing line. */
export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      // A module that failed to load has no test cases: count it as one failure so it cannot pass silently.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
