#!/usr/bin/env bash
# Makes `prometheus` and `promtool` available for the integration tests (test/integration/harness/prometheus.ts),
# from Debian's `prometheus` package. Installs nothing when both are already on PATH.
# The package's maintainer scripts would start a system service; in a container (no systemd) a
# policy-rc.d that answers 101 ("action forbidden") keeps them from starting one, and any daemon that
# started anyway is stopped, so the only Prometheus processes are the ones the tests start themselves.
# Records the installed version in <cache>/prometheus/installed-version and prints the directory of the
# binaries as its last line.
set -euo pipefail

cache_root=${PYTUNER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pytuner}
record="$cache_root/prometheus/installed-version"

print_and_record() {
  local version
  version=$(prometheus --version 2>&1 | head -n 1)
  mkdir -p "$(dirname "$record")"
  printf '%s\n' "$version" > "$record"
  echo "$version (recorded in $record)" >&2
  dirname "$(command -v prometheus)"
}

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  print_and_record
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "prometheus/promtool not on PATH and not running as root: run 'sudo $0', or install Prometheus >= 2.42" \
       "(it needs 'promtool tsdb create-blocks-from openmetrics') and put prometheus and promtool on PATH" >&2
  exit 1
fi
command -v apt-get >/dev/null || {
  echo "prometheus/promtool not on PATH and apt-get not found: install Prometheus >= 2.42 by other means and put prometheus and promtool on PATH" >&2
  exit 1
}

# Forbid service starts for the duration of the install, unless the image already forbids them.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# written by pytuner scripts/install-prometheus.sh for the duration of an apt-get install\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
echo "installing Debian's prometheus package (apt-get update, then apt-get install)" >&2
apt-get update >&2
apt-get install -y --no-install-recommends prometheus >&2

# Belt and braces: the Debian init script writes this pid file if it started the daemon.
pidfile=/run/prometheus/prometheus.pid
if [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "stopping the prometheus service the package started (pid $(cat "$pidfile"))" >&2
  kill "$(cat "$pidfile")"
fi

command -v promtool >/dev/null || { echo "the prometheus package was installed but promtool is not on PATH" >&2; exit 1; }
echo "installed Debian package prometheus $(dpkg-query -W -f='${Version}' prometheus)" >&2
print_and_record
