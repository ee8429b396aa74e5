/**
 * Benchmark: `pytuner report` over N generated manifests (default 1,000: a mix of Cloud Run services,
 * Knative services and Deployments with their ServiceAccounts). Prints figures; asserts nothing.
 *
 *   npm run bench:report            # 1,000 manifests, 5 runs
 *   npm run bench:report -- 10000 3 # 10,000 manifests, 3 runs
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const count = Number(process.argv[2] ?? 1000);
const runs = Number(process.argv[3] ?? 5);
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

const times: number[] = [];
let findings = 0;
let maxRssKb = 0;
for (let r = 0; r < runs; r++) {
  const started = process.hrtime.bigint();
  const res = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, 'report', '-f', dir, '-o', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (res.status !== 0) {
    console.error(res.stderr);
    throw new Error(`pytuner report exited ${res.status}`);
  }
  findings = (JSON.parse(res.stdout) as { findings: unknown[] }).findings.length;
  maxRssKb = Math.max(maxRssKb, Number(res.stderr.trim().split('\n').at(-1)));
}
if (process.env.KEEP) console.log("kept " + dir); else rmSync(dir, { recursive: true, force: true });

times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] as number;
console.log(`date: ${new Date().toISOString()}`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
console.log(`input: ${count} manifest files, ${objects} objects`);
console.log(`findings: ${findings}`);
console.log(`wall time (whole CLI process, ${runs} runs): median ${median.toFixed(0)} ms, min ${times[0]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms`);
console.log(`peak RSS: ${(maxRssKb / 1024).toFixed(0)} MB`);
