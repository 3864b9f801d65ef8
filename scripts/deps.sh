#!/usr/bin/env bash
# Installs what bpkeys needs on a Debian 12 / Ubuntu machine with Go, when it is
# missing: the C toolchain for cgo (piv-go, miekg/pkcs11), PC/SC (pcscd and the
# virtual reader vsmartcard-vpcd used by the emulated YubiKey), SoftHSM2 and the
# PIV/PKCS#11 tools used as cross-checks, node and npm for the oracle tests, and
# staticcheck. The one place that lists system packages. Idempotent and quiet
# when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc libc6-dev pkg-config libpcsclite-dev pcscd vsmartcard-vpcd softhsm2 opensc
  pcsc-tools yubico-piv-tool ykcs11 openssl tmux ca-certificates systemd)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

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

# The oracle's npm packages, pinned by package-lock.json.
if [ ! -d internal/oracle/js/node_modules/@wharfkit/antelope ] || [ ! -d internal/oracle/js/node_modules/eosjs ]; then
  (cd internal/oracle/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# staticcheck at a pinned version, in the project's own bin directory.
mkdir -p .cache/bin
if [ ! -x .cache/bin/staticcheck ] || ! .cache/bin/staticcheck -version 2>/dev/null | grep -q '(0.8.2)'; then
  GOBIN="$PWD/.cache/bin" GOFLAGS=-mod=mod go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
