#!/usr/bin/env bash
# Fails when a production dependency (what `npm ci --omit=dev` installs: what the controller image ships and the CLI
# runs with) has a known advisory of high or critical severity, from the npm registry's advisory database. Dev
# dependencies (vitest, esbuild, the Node 24 toolchain) never ship and are not counted. Low and moderate advisories
# are printed but do not fail. It fails closed: if the registry cannot be asked, that is an error, not a pass.
# Usage: bash scripts/audit.sh    (the lead's .ci/run calls it after npm ci)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

report=$(mktemp)
trap 'rm -f "$report"' EXIT
# npm audit exits 1 whenever it finds anything at or above --audit-level; the JSON is read below either way.
npm audit --omit=dev --audit-level=high --json >"$report" || true

node - "$report" <<'EOF'
const { readFileSync } = require('node:fs');
const text = readFileSync(process.argv[2], 'utf8');
let report;
try {
  report = JSON.parse(text);
} catch {
  console.error(`npm audit gave no JSON (is the registry reachable?):\n${text.slice(0, 2000)}`);
  process.exit(2);
}
if (report.error !== undefined) {
  const why = [report.message, report.error.summary, report.error.detail].filter((t) => typeof t === 'string' && t !== '').join(': ');
  console.error(`npm audit could not get an answer from the registry, so nothing is proven: ${why || JSON.stringify(report.error)}`);
  process.exit(2);
}
const counts = report.metadata?.vulnerabilities;
if (counts === undefined) {
  console.error('npm audit answered without vulnerability counts: cannot tell');
  process.exit(2);
}
const deps = report.metadata?.dependencies ?? {};
console.log(`npm audit --omit=dev: ${deps.prod ?? '?'} production dependencies; vulnerabilities: critical ${counts.critical}, high ${counts.high}, moderate ${counts.moderate}, low ${counts.low}, info ${counts.info}`);
for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
  const via = v.via.map((x) => (typeof x === 'string' ? x : `${x.title} (${x.url})`)).join('; ');
  console.log(`  ${v.severity.padEnd(8)} ${name} ${v.range}: ${via}${v.fixAvailable ? ' [fix available]' : ''}`);
}
if (counts.high + counts.critical > 0) {
  console.error(`FAIL: ${counts.high + counts.critical} high or critical advisories in production dependencies (npm audit --omit=dev for details, npm audit fix to update)`);
  process.exit(1);
}
console.log('OK: no high or critical advisories in production dependencies');
EOF
