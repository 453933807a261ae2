#!/usr/bin/env bash
# Makes sure a Node.js that the UI's tools run on is on the PATH: Vite 8, Vitest 4 and jsdom 29
# need 20.19 or newer, and Debian 12's own nodejs is 18 (its Vite build then fails with
# "'node:util' does not provide an export named 'styleText'"). When the node found is missing
# or older, Node.js 22 comes from the npm registry (the `node` package, which ships the binary)
# into $LEADVAULT_NODE_PREFIX (default /usr/local, whose bin/ comes before /usr/bin on the PATH).
# Called by setup.sh once npm is there. LEADVAULT_NODE_DRY_RUN=1 says what it would do, and does
# nothing.
set -euo pipefail

MIN_MAJOR=20
MIN_MINOR=19
prefix="${LEADVAULT_NODE_PREFIX:-/usr/local}"

node_ok() {
  command -v node >/dev/null || return 1
  local v major minor
  v="$(node --version 2>/dev/null)" || return 1
  v="${v#v}"
  major="${v%%.*}"
  minor="${v#*.}"
  minor="${minor%%.*}"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  ((major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR)))
}

# The node the PATH finds (the caller's PATH: run.sh and test.sh build the UI with it) is not
# new enough, though one in $prefix/bin is: installing again would not change which one runs.
shadowed() {
  local found="no node at all"
  if command -v node >/dev/null; then found="$(command -v node) ($(node --version 2>/dev/null)) first"; fi
  echo "setup: Node.js $("$prefix/bin/node" --version) is in $prefix/bin, but the PATH finds $found; put $prefix/bin before it (export PATH=\"$prefix/bin:\$PATH\") and run this again" >&2
  exit 1
}

if node_ok; then
  exit 0
fi
if PATH="$prefix/bin:$PATH" node_ok; then
  shadowed
fi
found="$(node --version 2>/dev/null || echo none)"
echo "setup: Node.js $found is older than $MIN_MAJOR.$MIN_MINOR; installing Node.js 22 from the npm registry into $prefix" >&2
if [ -n "${LEADVAULT_NODE_DRY_RUN:-}" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ] && [ ! -w "$prefix" ]; then SUDO="sudo"; fi
$SUDO npm install --global --prefix "$prefix" --no-audit --no-fund --loglevel=error node@22
hash -r
if node_ok; then
  exit 0
fi
if PATH="$prefix/bin:$PATH" node_ok; then
  shadowed
fi
echo "setup: the install left no Node.js $MIN_MAJOR.$MIN_MINOR or newer in $prefix/bin ($(command -v node || echo none): $(node --version 2>/dev/null || echo none)); install Node.js 22 by hand (https://nodejs.org) and run this again" >&2
exit 1
