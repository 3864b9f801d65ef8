#!/usr/bin/env bash
# Builds bpkeys and installs it as $PREFIX/bin/bpkeys (default /usr/local,
# the path the systemd units in docs/systemd use), after installing what it
# needs to build and to reach real devices (scripts/deps.sh install).
#
#   scripts/install.sh                  # /usr/local/bin/bpkeys (sudo when needed)
#   PREFIX=$HOME/.local scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh install

prefix=${PREFIX:-/usr/local}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
go build -trimpath -ldflags "-X main.version=$version" -o "$tmp/bpkeys" ./cmd/bpkeys

sudo=()
if ! mkdir -p "$prefix/bin" 2>/dev/null || [ ! -w "$prefix/bin" ]; then
  sudo=(sudo)
fi
"${sudo[@]}" install -D -m 0755 "$tmp/bpkeys" "$prefix/bin/bpkeys"
echo "installed $prefix/bin/bpkeys ($("$prefix/bin/bpkeys" version))" >&2
