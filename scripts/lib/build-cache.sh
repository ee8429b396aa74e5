# Sourced by the install-*.sh scripts that build or download into pytuner's cache: where the cache is, which Go to
# use, and the lock that serialises two concurrent runs (a parallel test run waits instead of building twice).
# shellcheck shell=bash

cache_root=${PYTUNER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pytuner}

# require_go MIN_VERSION [WHY]: sets GO, or exits naming the minimum version and why it is needed.
require_go() {
  GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  [[ -x "$GO" ]] || { echo "Go not found: install Go >= $1${2:+ ($2)} or set GO=/path/to/go (looked at /usr/local/go/bin/go)" >&2; exit 1; }
}

# lock_cache_dir DIR: creates DIR and holds its build lock on fd 9 until the script exits.
lock_cache_dir() {
  command -v flock >/dev/null || { echo "flock not found: apt-get install util-linux" >&2; exit 1; }
  mkdir -p "$1"
  exec 9>"$1/.build.lock"
  flock 9
}
