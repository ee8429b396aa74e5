/**
 * The lab: pytuner's recommendations on real Python servers (gunicorn, uvicorn) against the best setting found by
 * brute force, and the Cloud Run concurrency guide's 400-client case in the simulation calibrated by it. Each scenario
 * is run by bench/lab/scenario.ts; the outputs are docs/lab/README.md (tables), docs/lab/results.json and one SVG per
 * scenario. By default every server runs behind Knative's real queue-proxy, scraped by a real Prometheus, with the
 * instance count from Knative's real autoscaler (bench/lab/knative/), in a network namespace of the lab's own.
 *
 *   npm run lab                              # every scenario within a 40.5-minute measuring budget (about 46 minutes in all;
 *                                            # 5.5 of them for cpu-bound's second day through Knative 1.18's queue-proxy)
 *   npm run lab -- --emulated                # no Knative processes: the servers alone, the day backfilled only
 *   npm run lab -- --quick                   # smoke run: 1 s points, a small sweep (about 2 minutes per scenario)
 *   npm run lab -- --scenario io-bound       # one scenario (repeatable)
 *   npm run lab -- --wait-quiet 20m          # first wait, at most 20 min, for the 1-minute load average to fall below 0.8
 *   npm run lab -- --budget 10m --out /tmp/lab
 *   npm run lab -- --render-only             # rewrite README.md and the plots from <out>/results.json, measuring nothing
 *
 * Needs Linux (/proc), wrk and Debian's python3-flask, python3-gunicorn, python3-uvicorn (scripts/install-python-lab.sh),
 * and prometheus + promtool (scripts/install-prometheus.sh); the Knative path needs root (unshare --net, ip) and Go
 * (the Knative binaries are built from knative.dev/serving into ~/.cache/pytuner the first time, by
 * scripts/install-knative.sh and bench/lab/knative/install-queue-proxy.sh: v0.50.0 = Knative 1.23, and v0.45.1's
 * queue-proxy and autoscaler = Knative 1.18 for the legacy profile's day; cAdvisor's library by
 * scripts/install-cadvisor.sh, and cgroups for the pod's containers, which cAdvisor reads).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadAverage1m } from './procstat.ts';
import type { RunContext } from './report.ts';
import { labReadme, scenarioPlot } from './report.ts';
import type { ScenarioResult } from './results.ts';
import { capacityRows, tableRows, textTable } from './results.ts';
import { BUCKET_LAYOUTS, FULL_TIMING, QUICK_TIMING, runScenario } from './scenario.ts';
import { LAB_SCENARIOS } from './scenarios.ts';
import { writeWrkScript } from './wrk.ts';
import { startKnativeLab } from './knative/cluster.ts';
import { insideLabNetns, rerunInLabNetns } from './knative/netns.ts';
import { queueProxyBinary } from './knative/queueProxy.ts';
import { scriptPath } from '../../test/integration/harness/paths.ts';
import { runScript } from '../../test/integration/harness/processes.ts';

/** Below this 1-minute load average the machine counts as quiet (2 cores: the lab alone keeps it near 2 when it runs). */
const QUIET_LOAD = 0.8;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    budget: { type: 'string' },
    'wait-quiet': { type: 'string' },
    out: { type: 'string', default: 'docs/lab' },
    'render-only': { type: 'boolean', default: false },
    emulated: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  process.stdout.write(`npm run lab -- [options]: pytuner's recommendations on real Python servers against measured optima (docs/lab/README.md)
  --scenario NAME    one scenario (repeatable): ${LAB_SCENARIOS.map((s) => `${s.name}${s.legacyDay === true ? ' (also through Knative 1.18)' : ''}`).join(', ')}
  --budget 10m       the measuring budget (default: 40.5m on the Knative path, 12.5m with --emulated, 2.5m with --quick)
  --quick            smoke run: 1 s points, a small sweep
  --emulated         no Knative processes: the servers alone, the day backfilled only
  --wait-quiet 20m   first wait, at most this long, for the 1-minute load average to fall below ${QUIET_LOAD}
  --out DIR          where README.md, results.json and the plots go (default docs/lab)
  --render-only      rewrite README.md and the plots from DIR/results.json, measuring nothing
`);
  process.exit(0);
}

/** knative.dev/serving v0.50.0 = Knative 1.23: the queue-proxy in front of every server on the Knative path. */
const QUEUE_PROXY_VERSION = 'v0.50.0';
/** knative.dev/serving v0.45.1 = Knative 1.18: queue-proxy and autoscaler of the legacy profile's day (scenarios with `legacyDay`). */
const LEGACY_VERSION = 'v0.45.1';
const knativePath = !args.emulated && !args['render-only'];
const selected = args.scenario === undefined ? LAB_SCENARIOS : LAB_SCENARIOS.filter((s) => args.scenario!.includes(s.name));
const legacyPath = knativePath && selected.some((s) => s.legacyDay === true);
if (knativePath && !insideLabNetns()) {
  // The builds need the Go module proxy, which the lab's network namespace cannot reach: first, out here.
  process.stderr.write(`[lab] building or finding the Knative binaries (knative.dev/serving cmd/queue, webhook, controller, autoscaler${legacyPath ? `; ${LEGACY_VERSION} cmd/queue and cmd/autoscaler` : ''})\n`);
  await queueProxyBinary(QUEUE_PROXY_VERSION);
  if (legacyPath) await Promise.all([queueProxyBinary(LEGACY_VERSION), queueProxyBinary(LEGACY_VERSION, 'autoscaler')]);
  for (const script of ['install-knative.sh', 'install-crd-modules.sh', 'install-envtest.sh', 'install-prometheus.sh']) await runScript(scriptPath(script));
  // cAdvisor may fail to build (the proxy refusing a dependency): the lab then serves CPU from its /proc stand-in, labelled.
  await runScript(scriptPath('install-cadvisor.sh')).catch((err: unknown) => process.stderr.write(`[lab] cAdvisor not built, CPU will come from the /proc stand-in: ${(err as Error).message}\n`));
  process.exit(await rerunInLabNetns());
}

/** `90s`, `13m`, `13.5m` as seconds. */
function durationSeconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m)$/.exec(text);
  if (m === null) throw new Error(`expected a duration such as 90s or 13m, got ${text}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

if (args['render-only']) {
  const saved = JSON.parse(await readFile(join(resolve(args.out!), 'results.json'), 'utf8')) as RunContext & { results: ScenarioResult[] };
  const { date, machine, load, seconds, command, quick, cpuSource } = saved;
  for (const r of saved.results) await writeFile(join(resolve(args.out!), `${r.scenario}.svg`), scenarioPlot(r));
  await writeFile(join(resolve(args.out!), 'README.md'), labReadme(saved.results, { date, machine, load, seconds, command, quick, ...(cpuSource === undefined ? {} : { cpuSource }) }, BUCKET_LAYOUTS.map((b) => b.text)));
  process.stdout.write(`rewrote README.md and ${saved.results.length} plots from ${join(resolve(args.out!), 'results.json')}\n`);
  process.exit(0);
}

const timing = args.quick ? QUICK_TIMING : FULL_TIMING;
/** The legacy day (22 steps × 12 s, the switch of queue-proxy and autoscaler, one more pytuner run): added to the default budget. */
const LEGACY_DAY_SECONDS = 5.5 * 60;
const budgetSeconds = args.budget === undefined ? (args.quick ? 150 : knativePath ? 35 * 60 + (legacyPath ? LEGACY_DAY_SECONDS : 0) : 12.5 * 60) : durationSeconds(args.budget);
const scenarios = selected;
if (scenarios.length === 0) throw new Error(`no scenario named ${args.scenario?.join(', ')}; known: ${LAB_SCENARIOS.map((s) => s.name).join(', ')}`);
const outDir = resolve(args.out!);
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;

function log(message: string): void {
  process.stderr.write(`[lab ${elapsed().toFixed(0).padStart(4)} s] ${message}\n`);
}

/** Polls the 1-minute load average every 15 s until it is below `QUIET_LOAD`, at most `seconds`. */
async function waitQuiet(seconds: number): Promise<{ load: number; waitedSeconds: number; quiet: boolean }> {
  const from = performance.now();
  for (;;) {
    const load = loadAverage1m();
    const waitedSeconds = (performance.now() - from) / 1000;
    if (load < QUIET_LOAD) return { load, waitedSeconds, quiet: true };
    if (waitedSeconds >= seconds) return { load, waitedSeconds, quiet: false };
    log(`waiting for a quiet machine: 1-minute load ${load.toFixed(2)} (want < ${QUIET_LOAD}), at most ${Math.round(seconds - waitedSeconds)} s more`);
    await delay(15_000);
  }
}

const waitLimit = args['wait-quiet'] === undefined ? 0 : durationSeconds(args['wait-quiet']);
const quiet = await waitQuiet(waitLimit);
const loadText = quiet.quiet
  ? `The machine was quiet when the run started (1-minute load ${quiet.load.toFixed(2)}${waitLimit > 0 ? ` after waiting ${Math.round(quiet.waitedSeconds)} s` : ''}).`
  : `**The machine was not quiet: the figures were taken under a 1-minute load of ${quiet.load.toFixed(2)}** from other work on its ${cpus().length} cores${waitLimit > 0 ? `, after waiting ${Math.round(quiet.waitedSeconds)} s for it to fall below ${QUIET_LOAD}` : ''}.`;
log(loadText.replace(/\*\*/g, ''));

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, wrk 4.1, gunicorn 20.1, uvicorn 0.17${knativePath ? `, Knative Serving 1.23 (knative.dev/serving ${QUEUE_PROXY_VERSION}: queue-proxy, autoscaler, controller, webhook)${legacyPath ? `, Knative Serving 1.18 (${LEGACY_VERSION}: queue-proxy, autoscaler)` : ''}, Prometheus 2.42` : ''}`;
const command = `npm run lab${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const results: ScenarioResult[] = [];
const failed: string[] = [];
const skipped: string[] = [];

/** Writes the README, the plots and results.json for the scenarios done so far (after each one: a later failure loses nothing). */
async function writeOutputs(): Promise<RunContext> {
  const notRun = [...failed.map((f) => `failed: ${f}`), ...(skipped.length > 0 ? [`not run (budget spent): ${skipped.join(', ')}`] : [])];
  const cpu = knative?.lab.cpuSource;
  const cpuSource: RunContext['cpuSource'] = cpu === undefined ? undefined : cpu.kind === 'cadvisor' ? { kind: 'cadvisor' } : cpu;
  const context: RunContext = { date: new Date().toISOString(), machine, load: `${loadText}${notRun.length > 0 ? ` ${notRun.join('; ')}.` : ''}`, seconds: elapsed(), command, quick: args.quick === true, ...(cpuSource === undefined ? {} : { cpuSource }) };
  await mkdir(outDir, { recursive: true });
  for (const r of results) await writeFile(join(outDir, `${r.scenario}.svg`), scenarioPlot(r));
  await writeFile(join(outDir, 'README.md'), labReadme(results, context, BUCKET_LAYOUTS.map((b) => b.text)));
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify({ ...context, budgetSeconds, timing, results }, null, 1)}\n`);
  return context;
}

const measuringFrom = elapsed();
const work = await mkdtemp(join(tmpdir(), 'pytuner-lab-'));
const legacy = legacyPath ? { version: LEGACY_VERSION, queueBinary: await queueProxyBinary(LEGACY_VERSION), autoscalerBinary: await queueProxyBinary(LEGACY_VERSION, 'autoscaler') } : undefined;
const knative = knativePath ? { lab: await startKnativeLab(log), queueBinary: await queueProxyBinary(QUEUE_PROXY_VERSION), ...(legacy === undefined ? {} : { legacy }) } : undefined;
try {
  const wrkScript = await writeWrkScript(work);
  for (const [i, scenario] of scenarios.entries()) {
    const left = budgetSeconds - (elapsed() - measuringFrom);
    // A scenario needs its baseline, day and repetitions at least: below this, it is left out rather than cut to nothing.
    if (left < 60) {
      skipped.push(scenario.name);
      continue;
    }
    const share = left / (scenarios.length - i);
    log(`${scenario.name}: start (${Math.round(share)} s of the budget)`);
    try {
      results.push(await runScenario(scenario, { timing, wrkScript, deadline: elapsed() + share, elapsed, log, ...(knative === undefined ? {} : { knative }) }));
    } catch (err) {
      failed.push(`${scenario.name}: ${(err as Error).message}`);
      log(`${scenario.name} failed: ${(err as Error).stack ?? String(err)}`);
    }
    await writeOutputs();
  }
} finally {
  await knative?.lab.stop();
  await rm(work, { recursive: true, force: true });
}
if (skipped.length > 0) log(`not run, the budget was spent: ${skipped.join(', ')}`);
const context = await writeOutputs();
process.stdout.write(`pytuner lab — ${context.date} — ${machine}\n${context.load.replace(/\*\*/g, '')}\n\n`);
process.stdout.write(`${textTable(tableRows(results))}\n\nitem 4: instances for 400 clients × 3 req/s within the objective\n${textTable(capacityRows(results))}\n\n`);
process.stdout.write(`wrote ${join(outDir, 'README.md')}, results.json and ${results.length} plots in ${Math.round(elapsed())} s\n`);
if (failed.length > 0) process.exitCode = 1;
