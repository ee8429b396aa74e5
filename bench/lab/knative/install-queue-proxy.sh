#!/usr/bin/env bash
# Builds Knative Serving's queue-proxy (knative.dev/serving/cmd/queue) from the Go module proxy into
# ~/.cache/pytuner/knative-queue/<module version>/queue, once; later runs find it and exit at once. Two concurrent
# runs are serialised by flock. Prints the binary's path as its last line.
#   bench/lab/knative/install-queue-proxy.sh v0.50.0   # knative-v1.23.0, OpenTelemetry metrics
#   bench/lab/knative/install-queue-proxy.sh v0.45.1   # knative-v1.18.1, OpenCensus metrics (the legacy profile)
# A second argument builds another command of the same module into the same directory: the lab's legacy day needs
# the 1.18 autoscaler too (its `autoscaler_actual_pods` is the legacy profile's instance count).
#   bench/lab/knative/install-queue-proxy.sh v0.45.1 autoscaler
# About 2–3 minutes per version on 2 cores. v0.51.0 (1.24) does not build: two of its dependencies are refused by
# the proxy.
set -euo pipefail
version=${1:?usage: install-queue-proxy.sh <knative.dev/serving module version, e.g. v0.50.0>}
[[ $version =~ ^v0\.[0-9]+\.[0-9]+$ ]] || { echo "not a knative.dev/serving module version: $version" >&2; exit 1; }
cmd=${2:-queue}
[[ $cmd == queue || $cmd == autoscaler ]] || { echo "not a knative.dev/serving command this script builds: $cmd (queue or autoscaler)" >&2; exit 1; }

# shellcheck source=lib/build-cache.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../scripts" && pwd)/lib/build-cache.sh"
dest="$cache_root/knative-queue/$version"
if [[ -x "$dest/$cmd" ]]; then echo "$dest/$cmd"; exit 0; fi

require_go 1.26

lock_cache_dir "$dest"
if [[ -x "$dest/$cmd" ]]; then echo "$dest/$cmd"; exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
echo "building knative.dev/serving/cmd/$cmd@$version" >&2
# A separate GOBIN per build: every version installs a binary named `queue` (or `autoscaler`).
CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOBIN="$work" nice -n 10 "$GO" install -trimpath -ldflags "-s -w" "knative.dev/serving/cmd/$cmd@$version" >&2
mv "$work/$cmd" "$dest/$cmd"
echo "built $cmd $version in $(( $(date +%s) - started )) s" >&2
echo "$dest/$cmd"
