#!/usr/bin/env bash
# Runs the bpkeys demo: a local chain with a sample producer team, then the
# TUI. Installs the system packages bpkeys needs first, when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
exec go run ./cmd/bpkeys demo "$@"
