#!/usr/bin/env bats
# netcfg/: /etc/berth/network.conf applied with rtnetlink, for real, in a
# throwaway network namespace (held by a `sleep`) with veth devices; `ip`
# reads back what the kernel holds. udhcpc is a stand-in that logs its
# arguments; the udhcpc hook runs under busybox with /etc and /run on tmpfs.
# The namespace, the root and the stand-in are tests/lib/netcfg.bash's.
# --ephemeral (provision's temporary network), with the image's real udhcpc
# against a real DHCP server, is tested in tests/host-slow/dhcp.bats.

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	load ../lib/netns
	netns_need
	# the build keeps each compile's warnings beside its output (Makefile:
	# KEEP_WARNINGS); the test reads netcfg's and lib/'s
	berth_make "$OUT/bin/netcfg"
	berth_make "$OUT/bin/provision"
}

setup() {
	load ../lib/common
	load ../lib/netcfg
	netcfg_setup
}

teardown() {
	netcfg_teardown
}

@test "netcfg builds without warnings and is static" {
	run cat "$OUT/obj/netcfg.warn" "$OUT"/obj/lib/*.o.warn
	assert_success
	assert_output ''
	run readelf -lW "$N"
	refute_output --partial INTERP
}

@test "network-config v2 from provision, applied: rename by MAC, MTU, addresses, routes, gateways, resolv.conf" {
	mkdir -p "$T/seed"
	printf 'instance-id: i-net\n' >"$T/seed/meta-data"
	# the interface provision.bats translates, and one more
	cat "$TOP/tests/host/fixtures/provision/network-config-lan.yaml" - >"$T/seed/network-config" <<'NC'
  other:
    match: {name: "eth9*"}
    mtu: 1400
NC
	run "$OUT/bin/provision" --root "$R" --seed "$T/seed" --cmdline ""
	assert_success
	veth eth7 52:54:00:12:34:56
	veth eth90
	veth eth91
	netcfg
	assert_success
	assert_line 'netcfg: lan0: up, renamed from eth7, mtu 9000, 2 of 2 addresses'
	assert_line 'netcfg: eth90: up, mtu 1400'
	run in_ns ip -o link show lan0
	assert_output --regexp 'lan0@peth7: <.*UP.*> mtu 9000 .* link/ether 52:54:00:12:34:56'
	run in_ns ip -o link show eth91
	assert_output --regexp 'mtu 1400 .*state UP'
	run in_ns ip -o addr show dev lan0
	assert_output --partial 'inet 10.0.0.5/24 brd 10.0.0.255'
	assert_output --partial 'inet6 fd00::5/64'
	run in_ns ip route
	assert_line 'default via 10.0.0.1 dev lan0 proto static '
	assert_line '10.1.0.0/16 via 10.0.0.254 dev lan0 proto static metric 100 '
	run in_ns ip -6 route show default
	assert_output --partial 'default via fd00::1 dev lan0 proto static'
	run cat "$R/etc/resolv.conf"
	assert_output "$(printf '# written by netcfg from /etc/berth/network.conf\nsearch example.com\nnameserver 1.1.1.1\nnameserver 2606:4700::1111')"
	assert_equal "$(cat "$R/run/berth/resolv.static")" "$(cat "$R/etc/resolv.conf")"
	[ ! -e "$T/udhcpc.log" ]
	# a second run (sv restart network) finds it all in place
	netcfg
	assert_success
	assert_line 'netcfg: lan0: up, mtu 9000, 2 of 2 addresses'
}

@test "v1: global routes and nameservers after the interface blocks" {
	cat >"$R/etc/berth/network.conf" <<'NC'
# written by provision from network-config; see provision/README.md
interface eth0
match mac 52:54:00:aa:bb:cc
set-name eth0
address 192.168.1.10/24
gateway 192.168.1.1

nameserver 9.9.9.9
search lan
route 10.0.0.0/8 via 192.168.1.254
NC
	veth ens3 52:54:00:aa:bb:cc
	netcfg
	assert_success
	assert_line 'netcfg: eth0: up, renamed from ens3, 1 of 1 addresses'
	run in_ns ip route
	assert_line 'default via 192.168.1.1 dev eth0 proto static '
	assert_line '10.0.0.0/8 via 192.168.1.254 dev eth0 proto static '
	run grep -v '^#' "$R/etc/resolv.conf"
	assert_output "$(printf 'search lan\nnameserver 9.9.9.9')"
}

@test "dhcp4 starts udhcpc on the renamed device with its pid file and hook; dhcp6 accepts router advertisements" {
	cat >"$R/etc/berth/network.conf" <<'NC'
interface wan
match mac 52:54:00:00:00:01
set-name wan0
dhcp4
dhcp6

interface eth1
dhcp4
NC
	veth ens4 52:54:00:00:00:01
	veth eth1
	netcfg
	assert_success
	assert_line 'netcfg: wan0: up, renamed from ens4, dhcp4, dhcp6'
	assert_line 'netcfg: wan0: dhcp6: no DHCPv6 client in the image; addresses from router advertisements'
	run cat "$T/udhcpc.log"
	assert_line "udhcpc -b -S -t 10 -T 2 -A 5 -i wan0 -p $R/run/udhcpc.wan0.pid -s /usr/share/udhcpc/default.script"
	assert_line "udhcpc -b -S -t 10 -T 2 -A 5 -i eth1 -p $R/run/udhcpc.eth1.pid -s /usr/share/udhcpc/default.script"
	run in_ns cat /proc/sys/net/ipv6/conf/wan0/accept_ra
	assert_output 2
	# without static nameservers resolv.conf is left to the DHCP hook
	[ ! -e "$R/etc/resolv.conf" ]
	[ ! -e "$R/run/berth/resolv.static" ]
	# a udhcpc still running for eth1 is not started twice
	sleep 600 >/dev/null 2>&1 3>&- &
	echo $! >"$R/run/udhcpc.eth1.pid"
	rm "$T/udhcpc.log"
	netcfg
	kill "$(cat "$R/run/udhcpc.eth1.pid")" # the stand-in; %1 would be the namespace holder
	assert_success
	assert_line "netcfg: eth1: udhcpc already running (pid $(cat "$R/run/udhcpc.eth1.pid"))"
	run cat "$T/udhcpc.log"
	assert_output --partial '-i wan0'
	refute_output --partial '-i eth1'
}

@test "udhcpc starts with every signal at its default, whatever netcfg's caller ignored; one killed is named" {
	veth eth0
	mkdir -p "$R/sys/class/net/eth0/device"
	# sh keeps what it was started with ignored, and so does its grep
	cat >"$T/udhcpc" <<-EOF
	#!/bin/sh
	grep '^SigIgn:' /proc/self/status >>$T/signals
	kill -TERM \$\$
	EOF
	run in_ns bash -c 'trap "" HUP 34; exec "$@"' sh "$N" --root "$R" --udhcpc "$T/udhcpc"
	assert_failure
	assert_line 'netcfg: eth0: udhcpc killed by signal 15'
	run cat "$T/signals"
	assert_output "$(printf 'SigIgn:\t0000000000000000')"
}

@test "without network.conf: DHCP on every wired interface (a device behind it), not on virtual ones" {
	veth eth0
	veth vethx
	mkdir -p "$R/sys/class/net/eth0/device"
	netcfg
	assert_success
	assert_output 'netcfg: eth0: up, dhcp4 (no network.conf)'
	run cat "$T/udhcpc.log"
	assert_output "udhcpc -b -S -t 10 -T 2 -A 5 -i eth0 -p $R/run/udhcpc.eth0.pid -s /usr/share/udhcpc/default.script"
	rm -r "$R/sys/class/net/eth0"
	netcfg
	assert_output 'netcfg: no wired interface found'
}

@test "errors: one line naming file:line or the interface; the rest is applied" {
	cat >"$R/etc/berth/network.conf" <<'NC'
interface good
match name eth0
mtu 1500
address 10.5.0.2/24
route 10.6.0.0/16 via 10.99.0.1

interface bad
match name eth1
mtu 99999
address 10.7.0.2/24

interface ghost
match mac 02:00:00:00:00:99
dhcp4

interface clash
match name eth2
set-name eth0

bogus line
nameserver 1.2.3.400
NC
	veth eth0
	veth eth1
	veth eth2
	netcfg
	assert_failure 1
	assert_line "netcfg: $R/etc/berth/network.conf:9: mtu: expected a number from 68 to 65535 (interface bad left out)"
	assert_line "netcfg: $R/etc/berth/network.conf:20: unknown setting \"bogus\" (line ignored)"
	assert_line "netcfg: $R/etc/berth/network.conf:21: nameserver \"1.2.3.400\": not an address (line ignored)"
	assert_line "netcfg: $R/etc/berth/network.conf:12: interface ghost: no device has mac 02:00:00:00:00:99"
	assert_line 'netcfg: eth2: rename to eth0: another device has that name'
	assert_line 'netcfg: eth0: route 10.6.0.0/16 via 10.99.0.1: Network unreachable'
	assert_line 'netcfg: eth0: up, mtu 1500, 1 of 1 addresses'
	run in_ns ip -o addr show dev eth0
	assert_output --partial 'inet 10.5.0.2/24'
	run in_ns ip -o addr show dev eth1
	refute_output --partial 'inet 10.7'
	[ ! -e "$T/udhcpc.log" ]
}

@test "the udhcpc hook: the lease's address, gateway and MTU; static nameservers first in /etc/resolv.conf" {
	local bb=$OUT/rootfs-bin/busybox
	mkdir -p "$T/bin"
	for a in sh ip sed grep mv cat logger; do ln -s "$bb" "$T/bin/$a"; done
	veth eth0
	# shellcheck disable=SC2016 # expanded by the inner shell
	run unshare -m nsenter -t "$NS" -n "$bb" sh -c '
		mount -t tmpfs tmpfs /etc && mount -t tmpfs tmpfs /run && mkdir /run/berth &&
		printf "search example.com\nnameserver 1.1.1.1\n" >/run/berth/resolv.static &&
		env -i PATH="$0/bin" interface=eth0 sh "$1" deconfig &&
		env -i PATH="$0/bin" interface=eth0 ip=10.9.0.5 mask=24 router="10.9.0.1 10.9.0.2" \
			dns="8.8.8.8 8.8.4.4" domain=lan.example mtu=1400 sh "$1" bound 2>/dev/null
		cat /etc/resolv.conf' "$T" "$TOP/rootfs/usr/share/udhcpc/default.script"
	assert_success
	assert_output "$(printf '# written by udhcpc for eth0\nsearch example.com lan.example\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nnameserver 8.8.4.4')"
	run in_ns ip -o addr show dev eth0
	assert_output --partial 'inet 10.9.0.5/24'
	run in_ns ip route show default
	assert_output --partial 'default via 10.9.0.1 dev eth0'
	run in_ns ip -o link show eth0
	assert_output --partial 'mtu 1400'
}

@test "fuzz target: network.conf parser: the corpus reaches the end (libFuzzer: tests/host-slow)" {
	load ../lib/fuzz
	main=$(fuzz_main netcfg)
	cd "$TOP/netcfg/fuzz/corpus"
	run --separate-stderr "$main" bad full
	assert_success
	assert_output $'bad: errors\nfull: ok'
}
