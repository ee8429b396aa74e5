#!/usr/bin/env bash
# Installs the real Python servers the importtime tests and the lab run: Debian's python3 with Flask, gunicorn
# and uvicorn (run as /usr/bin/python3 -m gunicorn), and wrk, the lab's load generator. Does nothing when they
# are already there.
set -euo pipefail
packages=(python3-flask python3-gunicorn python3-uvicorn wrk)
if /usr/bin/python3 -c 'import flask, gunicorn, uvicorn' 2>/dev/null && command -v wrk >/dev/null; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "Python lab packages missing: run as root, or: sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
/usr/bin/python3 -c 'import flask, gunicorn, uvicorn; print("flask", flask.__version__ if hasattr(flask, "__version__") else "?", "gunicorn", gunicorn.__version__, "uvicorn", uvicorn.__version__)'
