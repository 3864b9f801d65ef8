#!/usr/bin/env bash
# Runs the bpkeys demo: a local chain with a sample producer team, then the
# TUI. Installs only what building bpkeys needs first, when it is missing
# (the demo's keys live in memory: no device, no test tool).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh demo
exec go run ./cmd/bpkeys demo "$@"
