#!/usr/bin/env bash
# Builds the `helm` CLI from its Go module (HELM_VERSION in scripts/versions.env) through the Go module proxy into
# ~/.cache/pytuner/helm/<version>/helm, once; later runs find it and exit at once. Two concurrent runs are
# serialised by flock, so a parallel test run waits instead of building twice.
# helm.sh/helm/v4's go.mod has no replace directives, so `go install <pkg>@<version>` builds it as released.
# Prints the path of the binary as its last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=lib/build-cache.sh
source "$here/lib/build-cache.sh"
dest="$cache_root/helm/$HELM_VERSION"
helm="$dest/helm"
if [[ -x "$helm" ]]; then echo "$helm"; exit 0; fi

require_go 1.26 "helm $HELM_VERSION's go.mod asks for it"

lock_cache_dir "$dest"
if [[ -x "$helm" ]]; then echo "$helm"; exit 0; fi   # another run built it while we waited

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOBIN="$work/bin"
major=${HELM_VERSION%%.*}   # v4
started=$(date +%s)
echo "building helm $HELM_VERSION from helm.sh/helm/$major/cmd/helm (a few minutes the first time)" >&2
# The version ldflag is what helm's Makefile sets; without it `helm version` says only the minor (v4.3).
"$GO" install -trimpath -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/$major/cmd/helm@$HELM_VERSION" >&2
mv "$work/bin/helm" "$helm"
echo "built helm $HELM_VERSION in $(( $(date +%s) - started )) s: $("$helm" version --short)" >&2
echo "$helm"
