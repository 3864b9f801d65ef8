#!/usr/bin/env bash
# Runs every check bpkeys has: formatting, go vet, staticcheck, all tests
# (SoftHSM2, pcscd with the emulated YubiKey, the node oracle, the devchain),
# short fuzzing of every fuzz target, and one pass of every benchmark.
# Under CI=true a test whose system component is missing fails instead of
# skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

if [ -x scripts/pcscd/start.sh ] && [ "$(id -u)" = 0 ]; then
  scripts/pcscd/start.sh
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
.cache/bin/staticcheck ./...

echo "== go test"
go test -count=1 -timeout 40m ./...

echo "== fuzz (short)"
fuzztime=${BPKEYS_FUZZTIME:-4s}
grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./.cache/' | while read -r f; do
  dir=$(dirname "$f")
  for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$dir" >/dev/null
    echo "ok  fuzz $dir $name ($fuzztime)"
  done
done

echo "== benchmarks (one pass each)"
go test -run '^$' -bench . -benchtime 1x ./... >/dev/null
echo "all checks passed"
