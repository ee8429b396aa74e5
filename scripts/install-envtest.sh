#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd from Go modules (the versions pinned in
# scripts/versions.env) into ~/.cache/pytuner/envtest/<k8s-version>/, once. Later runs find them and exit at once.
# Two concurrent runs are serialised by flock, so a parallel test run waits instead of building twice.
# Prints the directory that holds the binaries as its last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  for b in kube-apiserver etcd kube-controller-manager; do
    [[ -x "$KUBEBUILDER_ASSETS/$b" ]] || { echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no executable $b" >&2; exit 1; }
  done
  echo "$KUBEBUILDER_ASSETS"; exit 0
fi

# shellcheck source=lib/build-cache.sh
source "$here/lib/build-cache.sh"
dest="$cache_root/envtest/$K8S_VERSION"
bins=(kube-apiserver kube-controller-manager kubectl etcd)
have_all() { for b in "${bins[@]}"; do [[ -x "$dest/$b" ]] || return 1; done; }
if have_all; then echo "$dest"; exit 0; fi

require_go 1.26

lock_cache_dir "$dest"
if have_all; then echo "$dest"; exit 0; fi   # another run built them while we waited

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
started=$(date +%s)

# Kubernetes: k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging paths,
# which a dependent module cannot use; replace each one with the published v0.<minor>.<patch> instead.
staging_version="v0.${K8S_VERSION#v1.}"
mkdir -p "$work/k8s" && cd "$work/k8s"
"$GO" mod init pytuner.dev/envtest-k8s >/dev/null 2>&1
k8s_mod=$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[[ -f "$k8s_mod" ]] || { echo "could not download k8s.io/kubernetes@$K8S_VERSION through the Go module proxy" >&2; exit 1; }
staging=$(awk '/=> \.\/staging\/src\//{print $1}' "$k8s_mod" | sort -u)
[[ -n "$staging" ]] || { echo "no staging replace block found in $k8s_mod" >&2; exit 1; }
{
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo "replace ("
  for m in $staging; do echo "  $m => $m $staging_version"; done
  echo ")"
} >> go.mod
k8s_cmds=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)
echo "building Kubernetes $K8S_VERSION (kube-apiserver, kube-controller-manager, kubectl); the first build takes many minutes" >&2
"$GO" get "${k8s_cmds[@]/%/@$K8S_VERSION}" >&2
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
"$GO" build -trimpath -ldflags "$ldflags" -o "$work/out/" "${k8s_cmds[@]}" >&2

echo "building etcd $ETCD_VERSION" >&2
mkdir -p "$work/etcd" && cd "$work/etcd"
"$GO" mod init pytuner.dev/envtest-etcd >/dev/null 2>&1
"$GO" get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
"$GO" build -trimpath -ldflags "-s -w" -o "$work/out/etcd" go.etcd.io/etcd/server/v3 >&2

for b in "${bins[@]}"; do mv "$work/out/$b" "$dest/$b"; done
echo "built ${bins[*]} in $(( $(date +%s) - started )) s" >&2
echo "$dest"
