# netcfg under test in a throwaway network namespace, for tests/host/netcfg.bats
# and the real-DHCP half of tests/host-slow/dhcp.bats: a root directory for
# --root, a udhcpc stand-in that logs its arguments, the namespace NS held by
# a `sleep`, and veth devices in it. Load after common.bash.

# netcfg_setup: for setup: N, the netcfg under test; T; R, a root with
# etc/berth and run; T/udhcpc, the stand-in (one line a start in
# T/udhcpc.log); NS, the namespace
netcfg_setup() {
	N=$OUT/bin/netcfg
	T=$BATS_TEST_TMPDIR
	R=$T/root
	mkdir -p "$R/etc/berth" "$R/run"
	printf '#!/bin/sh\necho "udhcpc $*" >>%s/udhcpc.log\n' "$T" >"$T/udhcpc"
	chmod +x "$T/udhcpc"
	# fd 3 closed: bats waits for whatever holds it
	unshare -n sleep 600 >/dev/null 2>&1 3>&- &
	NS=$!
	while [ "$(readlink "/proc/$NS/ns/net")" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.05; done
}

# netcfg_teardown: for teardown: NS ended, if netcfg_setup made it
netcfg_teardown() {
	if [ -n "${NS:-}" ]; then
		kill_running "$NS"
		wait "$NS" 2>/dev/null
	fi
	return 0
}

in_ns() { nsenter -t "$NS" -n "$@"; }

# veth NAME [MAC]: a device and its peer pNAME, the peer up
veth() {
	in_ns ip link add "$1" ${2:+address "$2"} type veth peer name "p$1"
	in_ns ip link set "p$1" up
}

# netcfg: run netcfg in NS on R, with the udhcpc stand-in
netcfg() { run in_ns "$N" --root "$R" --udhcpc "$T/udhcpc"; }
