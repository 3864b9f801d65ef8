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
# A failing input is always written under testdata/fuzz: that is a finding,
# and fails at once. The engine itself can fail without one on a loaded
# machine ("fuzzing process hung or terminated unexpectedly"); that is
# retried once, and shown.
fuzz_one() {
  local dir=$1 name=$2 log attempt
  log=$(mktemp)
  for attempt in 1 2; do
    if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$dir" >"$log" 2>&1; then
      rm -f "$log"
      echo "ok  fuzz $dir $name ($fuzztime)"
      return 0
    fi
    if [ -n "$(git status --porcelain -- "$dir/testdata/fuzz/$name" 2>/dev/null)" ]; then
      echo "FAIL fuzz $dir $name found a failing input (see $dir/testdata/fuzz/$name):" >&2
      cat "$log" >&2
      rm -f "$log"
      return 1
    fi
    echo "fuzz $dir $name: the fuzzing engine failed without a failing input (attempt $attempt):" >&2
    tail -n 20 "$log" >&2
  done
  rm -f "$log"
  return 1
}
for f in $(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./.cache/' | sort); do
  dir=$(dirname "$f")
  for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    fuzz_one "$dir" "$name"
  done
done

echo "== benchmarks (one pass each)"
benchlog=$(mktemp)
if ! go test -run '^$' -bench . -benchtime 1x ./... >"$benchlog" 2>&1; then
  grep -v '^\(goos\|goarch\|pkg\|cpu\):' "$benchlog" >&2
  rm -f "$benchlog"
  exit 1
fi
grep -c '^Benchmark' "$benchlog" | sed 's/^/benchmarks run: /'
rm -f "$benchlog"
echo "all checks passed"
