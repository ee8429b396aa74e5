#!/usr/bin/env bash
# Records a real Knative queue-proxy in front of a real gunicorn into test/fixtures/knative-real/<version>/ (see
# record.py for the load and the scrapes). Needs root for the network namespace, Go (the queue-proxy is built from
# its module, bench/lab/knative/install-queue-proxy.sh) and scripts/install-python-lab.sh's Debian packages.
#   bench/lab/knative/record-queue-proxy.sh v0.50.0   # Knative 1.23, OpenTelemetry metrics
#   bench/lab/knative/record-queue-proxy.sh v0.45.1   # Knative 1.18, OpenCensus metrics
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
version=${1:?usage: record-queue-proxy.sh v0.50.0|v0.45.1}
case $version in
  v0.45.*|v0.4[0-4].*) kind=opencensus ;;
  *) kind=otel ;;
esac
queue=$("$here/install-queue-proxy.sh" "$version" | tail -n 1)
"$root/scripts/install-python-lab.sh"
out="$root/test/fixtures/knative-real/$version"
rm -rf "$out" && mkdir -p "$out"

# A network namespace of our own: loopback only, so the queue-proxy's fixed ports meet nothing else on the machine.
unshare -n sleep infinity &
holder=$!
trap 'kill "$holder" 2>/dev/null || true; rm -f "$out"/../.gunicorn-*.log "$out"/../.queue-*.log' EXIT
sleep 0.2
nsenter -t "$holder" -n ip link set lo up
nsenter -t "$holder" -n /usr/bin/python3 "$here/record.py" "$queue" "$out" "$kind"
echo "recorded $(ls "$out" | wc -l) files in $out"
