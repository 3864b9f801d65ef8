#!/usr/bin/env bash
# Installs what bpkeys needs on a Debian 12 / Ubuntu machine with Go, when it is
# missing. The one place that lists system packages, in three lists:
#
#   scripts/deps.sh demo      building bpkeys (cgo for piv-go and miekg/pkcs11):
#                             all the demo needs, its keys live in memory
#   scripts/deps.sh install   that, and what real devices need at run time:
#                             pcscd for YubiKeys, p11-kit for finding PKCS#11 modules
#   scripts/deps.sh test      everything (the default): SoftHSM2, the virtual
#                             reader vsmartcard-vpcd for the emulated YubiKey, the
#                             PIV/PKCS#11 tools used as cross-checks, tmux, node and
#                             npm with the oracle's packages, and staticcheck
#
# Idempotent and quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-test}
demo=(gcc libc6-dev pkg-config libpcsclite-dev ca-certificates)
install=("${demo[@]}" pcscd p11-kit p11-kit-modules)
test=("${install[@]}" vsmartcard-vpcd softhsm2 opensc pcsc-tools yubico-piv-tool ykcs11 openssl tmux systemd)

case "$what" in
demo) packages=("${demo[@]}") ;;
install) packages=("${install[@]}") ;;
test)
  packages=("${test[@]}")
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
  ;;
*)
  echo "usage: scripts/deps.sh [demo|install|test]" >&2
  exit 2
  ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "bpkeys needs these Debian packages: ${missing[*]}" >&2
    echo "Run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  # policy-rc.d or a container may stop services from starting: that is fine,
  # the tests start pcscd with the project's own reader configuration.
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$what" = test ] || exit 0

# The oracle's npm packages, pinned by package-lock.json.
if [ ! -d internal/oracle/js/node_modules/@wharfkit/antelope ] || [ ! -d internal/oracle/js/node_modules/eosjs ]; then
  (cd internal/oracle/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# staticcheck at a pinned version, in the project's own bin directory.
mkdir -p .cache/bin
if [ ! -x .cache/bin/staticcheck ] || ! .cache/bin/staticcheck -version 2>/dev/null | grep -q '(0.8.2)'; then
  GOBIN="$PWD/.cache/bin" GOFLAGS=-mod=mod go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
