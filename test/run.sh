#!/usr/bin/env bash
# The whole HyprBox test suite on a fresh machine: system packages, dependencies, build, lint, typecheck,
# and every test (store conformance on SQLite and a real etcd, the real kubectl against the controller).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkg() { # <command> <debian package>
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $2 (provides $1)..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }
  else
    echo "missing $1: run 'sudo apt-get install -y $2' and try again" >&2
    exit 1
  fi
}
need_pkg etcd etcd-server
need_pkg kubectl kubernetes-client
# Test hosts: debootstrapped Debian roots (cached outside the clone), chroot, network namespaces.
need_pkg debootstrap debootstrap
need_pkg zstd zstd
need_pkg ip iproute2
# Every script of every preset passes shellcheck (test/e2e/presets-catalog.test.ts).
need_pkg shellcheck shellcheck
# The TUI end-to-end test drives `hyprbox tui` in tmux, as a person would.
need_pkg tmux tmux

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("Node.js >= 20.19 is required (found "+process.version+")"); process.exit(1) }'

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx tsc -b
npm run lint --silent
npm run typecheck --silent
npx mocha --parallel --jobs 2
