#!/bin/sh
# (Re)start pcscd with the bpkeys test readers, for CI and developer machines.
#
# The readers are four vsmartcard-vpcd entries in server mode named
# "Yubico YubiKey vpcd PORT" (ykcs11 only uses readers whose name starts with
# "Yubico"), on PORT = 35963, 35965, 35967, 35969; each has two slots, on PORT
# and PORT+1, where the emulated cards of internal/pivcard connect. Each entry
# loads its own copy of the vpcd driver: entries sharing one LIBPATH overwrite
# each other's sockets and only the last one works.
#
# Idempotent: if pcscd already runs with this configuration nothing happens.
# Otherwise systemd's pcscd.socket/pcscd.service (which run pcscd with
# --auto-exit) are stopped, any other pcscd is stopped, and
# `pcscd --foreground --config DIR` is started detached, never with
# --auto-exit. internal/pivcard/pivtest writes the same configuration when it
# starts pcscd itself. Needs root.
set -eu

DIR=/run/bpkeys-pcscd
CONF_DIR=$DIR/reader.conf.d
DRIVER_DIR=$DIR/drivers
DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
PID_FILE=/run/pcscd/pcscd.pid
FIRST_PORT=35963
READERS=4

die() { echo "start.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (pcscd's socket and pid file paths are compiled in)"
PCSCD=$(command -v pcscd || true)
[ -n "$PCSCD" ] || PCSCD=/usr/sbin/pcscd
[ -x "$PCSCD" ] || die "pcscd not installed (apt-get install pcscd)"
[ -e "$DRIVER" ] || die "$DRIVER missing (apt-get install vsmartcard-vpcd)"

mkdir -p "$CONF_DIR" "$DRIVER_DIR"
new=$(mktemp)
trap 'rm -f "$new"' EXIT
{
	echo "# bpkeys test readers: vsmartcard-vpcd in server mode; emulated cards dial PORT and PORT+1."
	i=0
	while [ $i -lt $READERS ]; do
		port=$((FIRST_PORT + 2 * i))
		cmp -s "$DRIVER" "$DRIVER_DIR/libifdvpcd-$port.so" || cp "$DRIVER" "$DRIVER_DIR/libifdvpcd-$port.so"
		printf '\nFRIENDLYNAME "Yubico YubiKey vpcd %d"\nDEVICENAME   /dev/null:%d\nLIBPATH      %s\nCHANNELID    %d\n' \
			"$port" "$port" "$DRIVER_DIR/libifdvpcd-$port.so" "$port"
		i=$((i + 1))
	done
} >"$new"

running_pid() {
	[ -r "$PID_FILE" ] || return 0
	pid=$(tr -d '\000\n ' <"$PID_FILE")
	[ -n "$pid" ] && [ -d "/proc/$pid" ] && echo "$pid"
	return 0
}

# listening PORT: is a TCP socket listening on PORT (state 0A in /proc/net/tcp)?
listening() {
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' /proc/net/tcp
}

pid=$(running_pid)
if [ -n "$pid" ] && cmp -s "$new" "$CONF_DIR/bpkeys-vpcd" &&
	tr '\000' ' ' <"/proc/$pid/cmdline" | grep -q -- "--config $CONF_DIR" &&
	! tr '\000' ' ' <"/proc/$pid/cmdline" | grep -q -- "--auto-exit"; then
	echo "pcscd already running with the bpkeys readers (pid $pid)"
	exit 0
fi
mv "$new" "$CONF_DIR/bpkeys-vpcd"
chmod 644 "$CONF_DIR/bpkeys-vpcd"

if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl stop pcscd.socket pcscd.service 2>/dev/null || true
fi
pid=$(running_pid)
if [ -n "$pid" ]; then
	echo "stopping pcscd (pid $pid)"
	kill "$pid" 2>/dev/null || true
	n=0
	while [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
		n=$((n + 1))
		[ $n -le 50 ] || die "pcscd (pid $pid) did not stop"
		sleep 0.1
	done
fi

setsid "$PCSCD" --foreground --config "$CONF_DIR" >"$DIR/pcscd.log" 2>&1 </dev/null &
n=0
until [ -S /run/pcscd/pcscd.comm ] && listening $((FIRST_PORT + 2 * READERS - 1)); do
	n=$((n + 1))
	[ $n -le 100 ] || die "pcscd did not come up; see $DIR/pcscd.log"
	sleep 0.1
done
echo "pcscd started (pid $(running_pid)) with readers \"Yubico YubiKey vpcd $FIRST_PORT..\" on ports $FIRST_PORT-$((FIRST_PORT + 2 * READERS - 1))"
