#!/usr/bin/env bash
# Debian's chromium for the `-o html` page test and `npm run docs:screenshot` (driven by playwright-core, which
# downloads no browser). A no-op when it is installed; installing needs root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "install-chromium.sh: chromium is missing and installing it needs root: apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
command -v chromium
