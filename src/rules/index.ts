/**
 * @module The registry of rules: an explicit, ordered list (no discovery by side-effect import), each rule wrapped so
 * that a workload annotated `pytuner.dev/ignore: <rule-id>,<rule-id>` is not checked by those rules.
 */
import type { Inventory, Workload } from '../model/workload.ts';
import type { Rule } from './types.ts';
import { threadsMismatch } from './concurrency.threads-mismatch.ts';
import { unbounded } from './concurrency.unbounded.ts';
import { workersVsCpu } from './gunicorn.workers-vs-cpu.ts';
import { gunicornTimeout } from './gunicorn.timeout.ts';
import { uvicornWorkers } from './uvicorn.workers.ts';
import { probeMissing } from './startup.probe-missing.ts';
import { heavyInit } from './startup.heavy-init.ts';
import { iamRole } from './profiler.iam-role.ts';
import { serviceName } from './profiler.service-name.ts';
import { uwsgiLazyApps } from './profiler.uwsgi-lazy-apps.ts';
import { uwsgiOsAfterFork } from './profiler.uwsgi-osafterfork.ts';
import { backgroundCpu } from './profiler.background-cpu.ts';
import { alpineBuild } from './profiler.alpine-build.ts';
import { slimBase } from './image.slim-base.ts';
import { forSourceDeploys } from './sourceDeploy.ts';
import { devServer } from './server.dev-server.ts';
import { listenAddress } from './server.listen-address.ts';
import { shellPid1 } from './process.shell-pid1.ts';
import { cpuCount } from './runtime.cpu-count.ts';
import { profilerPythonVersion } from './profiler.python-version.ts';
import { cpuScaling } from './cloudrun.cpu-scaling.ts';

/** Object annotation listing rule ids (comma-separated) that do not apply to that object. */
export const IGNORE_ANNOTATION = 'pytuner.dev/ignore';

/** What most workloads ignore: one shared set, not one per workload and rule (20 rules × 10,000 workloads). */
const NOTHING_IGNORED: ReadonlySet<string> = new Set();

/** The rule ids a workload opts out of with `pytuner.dev/ignore` on its own `metadata.annotations`. */
export function ignoredRules(workload: Workload): ReadonlySet<string> {
  const value = workload.annotations[IGNORE_ANNOTATION];
  if (value === undefined) return NOTHING_IGNORED;
  return new Set(value.split(',').map((id) => id.trim()).filter((id) => id !== ''));
}

/**
 * A rule that does not see workloads that ignore it. Dockerfiles joined only to such workloads are then not checked by
 * it either; a Dockerfile has no annotations, so standalone images are always checked.
 */
export function honouringIgnore(rule: Rule): Rule {
  return {
    ...rule,
    check: (inventory: Inventory) => {
      const workloads = inventory.workloads.filter((w) => !ignoredRules(w).has(rule.id));
      return rule.check(workloads.length === inventory.workloads.length ? inventory : { ...inventory, workloads });
    },
  };
}

/** Every rule, in report order. Ids are stable API (reports, `--fail-on`, SARIF, policies). */
export const RULES: readonly Rule[] = [
  threadsMismatch,
  unbounded,
  workersVsCpu,
  gunicornTimeout,
  uvicornWorkers,
  probeMissing,
  heavyInit,
  iamRole,
  serviceName,
  uwsgiLazyApps,
  uwsgiOsAfterFork,
  backgroundCpu,
  alpineBuild,
  slimBase,
  devServer,
  listenAddress,
  shellPid1,
  cpuCount,
  profilerPythonVersion,
  cpuScaling,
]
  .map(honouringIgnore)
  .map(forSourceDeploys);

/** The registered rule with this id, or `undefined`. */
export function ruleById(id: string): Rule | undefined {
  return RULES.find((rule) => rule.id === id);
}

/** The doc page of a rule, relative to the repository (and to the npm package, which ships `docs/rules`). */
export function ruleDocPath(id: string): string {
  return `docs/rules/${id}.md`;
}
