# Network namespaces for the temporary-DHCP tests (tests/host-slow/dhcp.bats):
# namespaces held by a `sleep`, veth pairs between a client and a server
# namespace, and a real DHCP server on the server side: busybox udhcpd (the
# host's busybox: Debian's has the applet, the image's has not) or dnsmasq.
# Every process started here is noted in $NETNS_PIDS and ended by
# netns_teardown, by its pid, if it still runs (kill_running). Load after
# common.bash; call netns_setup first. netns_need is also tests/host/netcfg.bats'
# check for namespaces.

# netns_need: skip unless this is root and can make network namespaces
netns_need() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	for t in ip unshare nsenter; do
		command -v "$t" >/dev/null || skip "needs $t"
	done
	unshare -n true 2>/dev/null || skip "cannot create network namespaces here"
}

# netns_setup: skip unless namespaces are there (netns_need); $NETNS_PIDS
# empty. netns_dhcpd skips without a DHCP server
netns_setup() {
	netns_need
	NETNS_PIDS=$BATS_TEST_TMPDIR/netns.pids
	: >"$NETNS_PIDS"
}

netns_teardown() {
	local pid
	[ -n "${NETNS_PIDS:-}" ] && [ -f "$NETNS_PIDS" ] || return 0
	while read -r pid; do
		kill_running "$pid"
	done <"$NETNS_PIDS"
	: >"$NETNS_PIDS"
	return 0
}

# netns_new VAR: a new network namespace, held by a sleep whose pid goes in VAR
netns_new() {
	unshare -n sleep 600 >/dev/null 2>&1 3>&- &
	local pid=$!
	echo "$pid" >>"$NETNS_PIDS"
	while [ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.05; done
	printf -v "$1" %s "$pid"
}

# netns_bg NS CMD…: CMD in namespace NS (a pid from netns_new), in the background
netns_bg() {
	local ns=$1
	shift
	nsenter -t "$ns" -n "$@" 3>&- &
	echo "$!" >>"$NETNS_PIDS"
}

# netns_wire CLIENT DEV SERVER NET: veth DEV in CLIENT (down, as at boot), its
# peer sDEV up in SERVER with NET.2/24 (the router)
netns_wire() {
	ip link add "$2" netns "$1" type veth peer name "s$2" netns "$3"
	nsenter -t "$3" -n ip link set lo up
	nsenter -t "$3" -n ip link set "s$2" up
	nsenter -t "$3" -n ip addr add "$4.2/24" dev "s$2"
}

# netns_dhcpd SERVER DEV NET [UDHCPD-OPTION-LINE…]: leases NET.15–NET.20/24 on
# DEV, router NET.2; extra lines are udhcpd `opt` lines (udhcpd only)
netns_dhcpd() {
	local ns=$1 dev=$2 net=$3 d=$BATS_TEST_TMPDIR/dhcpd-$2 line
	shift 3
	mkdir -p "$d"
	: >"$d/leases"
	if command -v udhcpd >/dev/null || { command -v busybox >/dev/null && busybox --list | grep -qx udhcpd; }; then
		{
			printf 'interface %s\nstart %s.15\nend %s.20\n' "$dev" "$net" "$net"
			printf 'lease_file %s/leases\npidfile %s/pid\n' "$d" "$d"
			# the extra lines first: udhcpd keeps an option's first value
			for line in "$@"; do echo "$line"; done
			printf 'opt router %s.2\nopt subnet 255.255.255.0\nopt lease 3600\n' "$net"
		} >"$d/conf"
		if command -v udhcpd >/dev/null; then
			netns_bg "$ns" udhcpd -f "$d/conf" >"$d/log" 2>&1
		else
			netns_bg "$ns" busybox udhcpd -f "$d/conf" >"$d/log" 2>&1
		fi
	elif command -v dnsmasq >/dev/null; then
		[ $# = 0 ] || skip "needs udhcpd for extra DHCP options"
		netns_bg "$ns" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface="$dev" \
			--bind-interfaces --dhcp-range="$net.15,$net.20,255.255.255.0,1h" \
			--dhcp-option=option:router,"$net.2" --dhcp-leasefile="$d/leases" \
			--pid-file="$d/pid" >"$d/log" 2>&1
	else
		skip "needs a DHCP server: busybox (udhcpd) or dnsmasq"
	fi
}

# netns_wired ROOT DEV…: mark devices as hardware in ROOT/sys (netcfg --root)
netns_wired() {
	local root=$1
	shift
	for dev in "$@"; do mkdir -p "$root/sys/class/net/$dev/device"; done
}
