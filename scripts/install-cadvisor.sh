#!/usr/bin/env bash
# Builds the lab's cAdvisor (bench/lab/cadvisor: github.com/google/cadvisor/lib CADVISOR_VERSION in
# scripts/versions.env, with a minimal main) from the Go module proxy into ~/.cache/pytuner/cadvisor/<version>-<hash
# of the program's sources>/lab-cadvisor, once; later runs find it and exit at once. Two concurrent runs are
# serialised by flock. About one minute on 2 cores the first time. Prints the binary's path as its last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
src="$here/../bench/lab/cadvisor"
grep -q "github.com/google/cadvisor/lib $CADVISOR_VERSION\$" "$src/go.mod" \
  || { echo "bench/lab/cadvisor/go.mod does not require github.com/google/cadvisor/lib $CADVISOR_VERSION (scripts/versions.env)" >&2; exit 1; }

# shellcheck source=lib/build-cache.sh
source "$here/lib/build-cache.sh"
sources=$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-12)
dest="$cache_root/cadvisor/$CADVISOR_VERSION-$sources"
if [[ -x "$dest/lab-cadvisor" ]]; then echo "$dest/lab-cadvisor"; exit 0; fi

require_go 1.25 "github.com/google/cadvisor/lib $CADVISOR_VERSION's go.mod asks for it"

lock_cache_dir "$dest"
if [[ -x "$dest/lab-cadvisor" ]]; then echo "$dest/lab-cadvisor"; exit 0; fi

started=$(date +%s)
echo "building the lab's cAdvisor (github.com/google/cadvisor/lib $CADVISOR_VERSION)" >&2
(cd "$src" && CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" GOTOOLCHAIN=local nice -n 10 "$GO" build -trimpath -ldflags "-s -w" -o "$dest/lab-cadvisor.tmp" . >&2)
mv "$dest/lab-cadvisor.tmp" "$dest/lab-cadvisor"
echo "built lab-cadvisor in $(( $(date +%s) - started )) s" >&2
echo "$dest/lab-cadvisor"
