#!/usr/bin/env bash
# Builds Knative Serving's webhook, controller and autoscaler (knative.dev/serving KNATIVE_SERVING_VERSION in
# scripts/versions.env)
# from the Go module proxy into ~/.cache/pytuner/knative/<version>/, once; later runs find them and exit at once.
# Two concurrent runs are serialised by flock, so a parallel test run waits instead of building twice.
# knative.dev/serving's go.mod has no replace directives, so `go install <pkg>@<version>` builds it as released.
# Only the binaries not in the cache yet are built (the autoscaler came later, for the lab: bench/lab/knative/).
# Prints the directory that holds the binaries as its last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=lib/build-cache.sh
source "$here/lib/build-cache.sh"
dest="$cache_root/knative/$KNATIVE_SERVING_VERSION"
bins=(webhook controller autoscaler)
have_all() { for b in "${bins[@]}"; do [[ -x "$dest/$b" ]] || return 1; done; }
if have_all; then echo "$dest"; exit 0; fi

require_go 1.25 "knative.dev/serving $KNATIVE_SERVING_VERSION's go.mod asks for it"

lock_cache_dir "$dest"
if have_all; then echo "$dest"; exit 0; fi   # another run built them while we waited

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOBIN="$work/bin"
started=$(date +%s)
echo "building Knative Serving $KNATIVE_SERVING_VERSION binaries (webhook and controller: 4 minutes on a quiet 2-core machine the first time; 37 minutes under a load average of 20)" >&2
missing=()
for b in "${bins[@]}"; do [[ -x "$dest/$b" ]] || missing+=("$b"); done
nice -n 10 "$GO" install -trimpath -ldflags "-s -w" $(printf "knative.dev/serving/cmd/%s@$KNATIVE_SERVING_VERSION " "${missing[@]}") >&2
for b in "${missing[@]}"; do mv "$work/bin/$b" "$dest/$b"; done
echo "built Knative Serving ${missing[*]} in $(( $(date +%s) - started )) s" >&2
echo "$dest"
