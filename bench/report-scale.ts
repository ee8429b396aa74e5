/**
 * Benchmark: `pytuner report` over N generated manifests (default 1,000: a mix of Cloud Run services,
 * Knative services and Deployments with their ServiceAccounts), then over the same tree with 50 MB of JSON that holds
 * no Kubernetes object beside it (data arrays, a lock file, records with their own `kind` and `apiVersion` fields:
 * what a repository keeps next to its manifests). Prints CPU time (user + system, the figure to compare on a machine
 * shared with other work), wall time, peak RSS and the machine's load average; asserts nothing.
 *
 *   npm run bench:report            # 1,000 manifests, 5 runs
 *   npm run bench:report -- 10000 3 # 10,000 manifests, 3 runs
 *   npm run bench:report -- 10000 3 --no-json-data   # without the second case
 *   KEEP=1 npm run bench:report     # keep the generated tree (its path is printed)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const count = Number(positional[0] ?? 1000);
const runs = Number(positional[1] ?? 5);
const withJsonData = !process.argv.includes('--no-json-data');
/** The goals for 10,000 manifests, and for what 50 MB of non-manifest JSON may add. */
const GOAL = { ms: 2000, rssMb: 300, jsonDataExtraRssMb: 100 };
/** Megabytes of non-manifest JSON in the second case. */
const JSON_DATA_MB = 50;
const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist/cli/main.js');

function cloudRunService(i: number): string {
  return `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: svc-${i}
  namespace: '123456789012'
  labels: { cloud.googleapis.com/location: europe-west1 }
spec:
  template:
    spec:
      containerConcurrency: ${[80, 8, 16][i % 3]}
      serviceAccountName: svc-${i}@proj.iam.gserviceaccount.com
      containers:
      - image: europe-west1-docker.pkg.dev/proj/apps/svc-${i}:1.0.${i}
        args: ["gunicorn", "--bind", ":8080", "--workers", "${1 + (i % 4)}", "--threads", "8", "main:app"]
        env: [{ name: ENABLE_PROFILER, value: "${i % 2}" }]
        resources: { limits: { cpu: "${1 + (i % 4)}", memory: 1Gi } }
`;
}

function deployment(i: number): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: app-${i}
  namespace: team-${i % 20}
  annotations: { iam.gke.io/gcp-service-account: app-${i}@proj.iam.gserviceaccount.com }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: app-${i}, namespace: team-${i % 20} }
spec:
  selector: { matchLabels: { app: app-${i} } }
  template:
    metadata: { labels: { app: app-${i} } }
    spec:
      serviceAccountName: app-${i}
      containers:
      - name: app
        image: ghcr.io/example/app-${i}:2.0.0
        command: ["uwsgi", "--http", ":8080", "--master", "--processes", "4", "--threads", "2"]
        env: [{ name: GOOGLE_CLOUD_PROFILER_SERVICE, value: "app-${i}" }]
        resources: { limits: { cpu: "2" } }
`;
}

function knativeService(i: number): string {
  return `apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: kn-${i}, namespace: team-${i % 20} }
spec:
  template:
    spec:
      containers:
      - image: ghcr.io/example/kn-${i}:1.0.0
        command: ["sh", "-c", "exec gunicorn --workers 2 --threads 4 -b :$PORT app:app"]
        resources: { limits: { cpu: "2" } }
`;
}

/** Non-manifest JSON, ~`mb` MB per kind of file, as a repository holds it beside its manifests. */
function writeJsonData(dir: string, mb: number): number {
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const target = mb * 1_048_576;
  let written = 0;
  const write = (name: string, text: string) => {
    writeFileSync(join(data, name), text);
    written += Buffer.byteLength(text);
  };
  const record = (i: number) => ({ id: i, name: `record-${i}`, tags: ['a', 'b', 'c'], score: i * 0.5, nested: { created: '2026-12-07T00:00:00Z', owner: `team-${i % 20}` } });
  const fill = (make: (i: number) => unknown, bytes: number) => {
    const items: unknown[] = [];
    let size = 0;
    for (let i = 0; size < bytes; i++) {
      const item = make(i);
      items.push(item);
      size += JSON.stringify(item).length + 1;
    }
    return items;
  };
  const share = target / 5;
  // A data array: skipped from its first byte.
  write('records.json', JSON.stringify(fill(record, share * 2)));
  // One object without apiVersion and kind (a lock file, an export): pretty-printed, as tools write them.
  const packages = Object.fromEntries((fill((i) => [`node_modules/pkg-${i}`, { version: `1.${i}.0`, resolved: `https://registry.example/pkg-${i}.tgz`, integrity: `sha512-${'x'.repeat(40)}` }], share) as Array<[string, unknown]>));
  write('lock.json', JSON.stringify({ name: 'app', lockfileVersion: 3, packages }, null, 2));
  // Records that carry their own `kind` and `apiVersion` (an event export, an API dump), in one object: needs more than a sniff.
  write('events.json', JSON.stringify({ exported: '2026-12-07', events: fill((i) => ({ apiVersion: 'events.example/v2', kind: 'Event', ...record(i) }), share * 2) }));
  return written;
}

/** What one case measured over `runs` runs. */
interface CaseResult {
  findings: number;
  cpuMs: number[];
  wallMs: number[];
  maxRssMb: number;
  load: number[];
}

function measure(dir: string): CaseResult {
  const result: CaseResult = { findings: 0, cpuMs: [], wallMs: [], maxRssMb: 0, load: [] };
  for (let r = 0; r < runs; r++) {
    result.load.push(loadavg()[0] as number);
    const started = process.hrtime.bigint();
    const res = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, cli, 'report', '-f', dir, '-o', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    result.wallMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (res.status !== 0) {
      console.error(res.stderr);
      throw new Error(`pytuner report exited ${res.status}`);
    }
    result.findings = (JSON.parse(res.stdout) as { findings: unknown[] }).findings.length;
    const [rssKb, user, system] = (res.stderr.trim().split('\n').at(-1) as string).split(' ').map(Number) as [number, number, number];
    result.cpuMs.push((user + system) * 1000);
    result.maxRssMb = Math.max(result.maxRssMb, rssKb / 1024);
  }
  return result;
}

const median = (numbers: number[]): number => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] as number;
const spread = (numbers: number[]): string => `median ${median(numbers).toFixed(0)} ms, min ${Math.min(...numbers).toFixed(0)}, max ${Math.max(...numbers).toFixed(0)}`;
const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');

function print(label: string, result: CaseResult): void {
  console.log(`${label}:`);
  console.log(`  findings: ${result.findings}`);
  console.log(`  CPU time (user + system, ${runs} runs): ${spread(result.cpuMs)}`);
  console.log(`  wall time (whole CLI process): ${spread(result.wallMs)}`);
  console.log(`  peak RSS: ${result.maxRssMb.toFixed(0)} MB`);
  console.log(`  1-minute load average at each start: ${result.load.map((l) => l.toFixed(1)).join(', ')}`);
}

const dir = mkdtempSync(join(tmpdir(), 'pytuner-bench-'));
const generators = [cloudRunService, deployment, knativeService];
let objects = 0;
for (let i = 0; i < count; i++) {
  const sub = join(dir, `team-${i % 20}`);
  mkdirSync(sub, { recursive: true });
  const gen = generators[i % 3] as (i: number) => string;
  writeFileSync(join(sub, `m-${i}.yaml`), gen(i));
  objects += gen === deployment ? 2 : 1;
}

try {
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  console.log(`input: ${count} manifest files, ${objects} objects`);
  const base = measure(dir);
  print('manifests only', base);
  if (count === 10_000) console.log(`  goal (10,000 manifests): <= ${GOAL.ms} ms CPU: ${verdict(median(base.cpuMs) <= GOAL.ms)}; <= ${GOAL.rssMb} MB peak RSS: ${verdict(base.maxRssMb <= GOAL.rssMb)}`);
  if (withJsonData) {
    const bytes = writeJsonData(dir, JSON_DATA_MB);
    const data = measure(dir);
    print(`the same plus ${(bytes / 1_048_576).toFixed(0)} MB of non-manifest JSON (3 files)`, data);
    const extra = data.maxRssMb - base.maxRssMb;
    console.log(`  peak RSS added by the JSON: ${extra.toFixed(0)} MB; goal <= ${GOAL.jsonDataExtraRssMb} MB: ${verdict(extra <= GOAL.jsonDataExtraRssMb)}`);
  }
} finally {
  if (process.env.KEEP) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
