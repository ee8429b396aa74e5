#!/usr/bin/env bash
# Downloads the Go modules that ship the third-party CRDs and Knative configuration the integration tests install
# (versions pinned in scripts/versions.env) into the Go module cache, and lays out, once, in
# ~/.cache/pytuner/crd-modules/<versions>/:
#   crds/<source>/*.yaml  copies of the CRD files the control plane installs (Knative Serving, networking and caching,
#                         Config Connector IAM, Prometheus Operator ServiceMonitor/PodMonitor, PolicyReport from
#                         Kyverno, OpenReports Report)
#   modules/<name>        a symlink to each module's directory in the cache (Knative's ConfigMaps and webhooks are
#                         read from there)
# the way kubebuilder projects point envtest at CRDs in the module cache. Later runs find the directory and exit
# at once; two concurrent runs are serialised by flock. Prints the directory as its last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=lib/build-cache.sh
source "$here/lib/build-cache.sh"
dest="$cache_root/crd-modules/serving-$KNATIVE_SERVING_VERSION.cnrm-$CONFIG_CONNECTOR_VERSION.prometheus-operator-$PROMETHEUS_OPERATOR_VERSION.kyverno-$KYVERNO_VERSION.openreports-$OPENREPORTS_VERSION"
if [[ -f "$dest/.complete" ]]; then echo "$dest"; exit 0; fi

require_go 1.25

lock_cache_dir "$dest"
if [[ -f "$dest/.complete" ]]; then echo "$dest"; exit 0; fi   # another run laid it out while we waited

# `go mod download -json` needs no go.mod; run it outside any module so a go.work or go.mod above cannot interfere.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GO111MODULE=on
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p"; }
module_dir() {   # module@version -> its directory in the module cache
  local out dir
  out=$("$GO" mod download -json "$1") || { echo "could not download $1 through the Go module proxy: $(echo "$out" | json_field Error)" >&2; exit 1; }
  dir=$(echo "$out" | json_field Dir)
  [[ -d "$dir" ]] || { echo "go mod download $1 gave no directory: $out" >&2; exit 1; }
  echo "$dir"
}
# The versions of knative.dev/networking and knative.dev/caching that serving's go.mod requires.
required_by() {   # go.mod file, module path -> version
  awk -v m="$2" '$1 == m { print $2; exit }' "$1"
}

echo "downloading CRD modules: knative.dev/serving $KNATIVE_SERVING_VERSION, Config Connector $CONFIG_CONNECTOR_VERSION, prometheus-operator $PROMETHEUS_OPERATOR_VERSION, kyverno $KYVERNO_VERSION, openreports $OPENREPORTS_VERSION" >&2
serving=$(module_dir "knative.dev/serving@$KNATIVE_SERVING_VERSION")
serving_mod=$("$GO" mod download -json "knative.dev/serving@$KNATIVE_SERVING_VERSION" | json_field GoMod)
networking=$(module_dir "knative.dev/networking@$(required_by "$serving_mod" knative.dev/networking)")
caching=$(module_dir "knative.dev/caching@$(required_by "$serving_mod" knative.dev/caching)")
cnrm=$(module_dir "github.com/GoogleCloudPlatform/k8s-config-connector@$CONFIG_CONNECTOR_VERSION")
promop=$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")
kyverno=$(module_dir "github.com/kyverno/kyverno@$KYVERNO_VERSION")
openreports=$(module_dir "github.com/openreports/reports-api@$OPENREPORTS_VERSION")

rm -rf "$dest/crds" "$dest/modules"
mkdir -p "$dest/crds"/{knative-serving,knative-networking,knative-caching,config-connector,prometheus-operator,policy-reports,openreports} "$dest/modules"
copy() {   # source file, destination directory
  [[ -f "$1" ]] || { echo "expected CRD file missing from the module: $1" >&2; exit 1; }
  cp "$1" "$2/"
}
for f in "$serving"/config/core/300-resources/*.yaml; do copy "$f" "$dest/crds/knative-serving"; done
for f in certificate domain-claim ingress serverlessservice; do copy "$networking/config/$f.yaml" "$dest/crds/knative-networking"; done
copy "$caching/config/image.yaml" "$dest/crds/knative-caching"
for k in iampolicymembers iampartialpolicies iamserviceaccounts; do
  copy "$cnrm/config/crds/resources/apiextensions.k8s.io_v1_customresourcedefinition_$k.iam.cnrm.cloud.google.com.yaml" "$dest/crds/config-connector"
done
for k in servicemonitors podmonitors; do copy "$promop/example/prometheus-operator-crd/monitoring.coreos.com_$k.yaml" "$dest/crds/prometheus-operator"; done
copy "$kyverno/config/crds/policyreport/wgpolicyk8s.io_policyreports.yaml" "$dest/crds/policy-reports"
copy "$openreports/config/crd/openreports.io_reports.yaml" "$dest/crds/openreports"
ln -s "$serving" "$dest/modules/knative-serving"
ln -s "$networking" "$dest/modules/knative-networking"
ln -s "$caching" "$dest/modules/knative-caching"
touch "$dest/.complete"
echo "$dest"
