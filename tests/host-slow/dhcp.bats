#!/usr/bin/env bats
# The temporary DHCP network for real: netcfg --ephemeral (provision's
# temporary network: a lease on every wired interface, --first, the bound
# without a server, /32 and option 121 leases, what the network service
# cleans up) and provision's datasources over HTTP with only lo up (ds=ec2's
# IMDS at 169.254.169.254, a nocloud seed from http://10.0.2.2:8000/). Each
# test runs the image's real udhcpc (busybox) in a network namespace against
# a real DHCP server (udhcpd or dnsmasq) in a second one, over veth
# (tests/lib/netns.bash). Slow, so not in `make check`: a DHCP exchange takes
# a second or more, and the tests without a server wait out netcfg's
# timeouts (2 s, and provision's 10 s). The rest of netcfg and provision is
# tested in tests/host/netcfg.bats and tests/host/provision.bats, with the
# setup they share here (tests/lib/netcfg.bash, tests/lib/provision.bash).

setup_file() {
	load ../lib/common
	load ../lib/netns
	netns_need
	berth_make "$OUT/bin/netcfg" "$OUT/bin/provision"
}

setup() {
	load ../lib/common
	load ../lib/netns
	load ../lib/netcfg
	load ../lib/provision
}

teardown() {
	netns_teardown
	netcfg_teardown
}

# ephemeral_setup: for a netcfg test: netcfg_setup's NS and root, a server
# namespace SNS, the image's busybox as udhcpc
ephemeral_setup() {
	netcfg_setup
	netns_setup
	netns_new SNS
	mkdir -p "$T/bin"
	ln -s "$OUT/rootfs-bin/busybox" "$T/bin/udhcpc"
}

# eph ARGS: netcfg with the real udhcpc and the repo's ephemeral hook
eph() {
	run in_ns "$N" --root "$R" --udhcpc "$T/bin/udhcpc" \
		--script "$TOP/rootfs/usr/share/udhcpc/ephemeral.script" "$@"
}

# clean DEV: no IPv4/IPv6 address, no route through DEV
clean() {
	run in_ns ip -o addr show dev "$1"
	refute_output --partial 'inet'
	run in_ns ip route show dev "$1"
	assert_output ''
	run in_ns ip -6 route show dev "$1"
	assert_output ''
}

# ephemeral_net: for a provision test: provision_setup's root and seed, a
# client namespace CNS with only lo (down) and a server namespace SNS;
# provision runs the real netcfg, with the image's udhcpc and the repo's
# hook; eth0 counts as wired (netcfg --root looks in $R/sys)
ephemeral_net() {
	provision_setup
	netns_setup
	netns_new CNS
	netns_new SNS
	mkdir -p "$T/bin"
	ln -s "$OUT/rootfs-bin/busybox" "$T/bin/udhcpc"
	cat >"$T/netcfg" <<-EOF
		#!/bin/sh
		exec "$OUT/bin/netcfg" --udhcpc "$T/bin/udhcpc" --script "$TOP/rootfs/usr/share/udhcpc/ephemeral.script" "\$@"
	EOF
	chmod 755 "$T/netcfg"
	export BERTH_PROVISION_NETCFG=$T/netcfg
	netns_wired "$R" eth0
}

in_cns() { nsenter -t "$CNS" -n "$@"; }

# nothing of the temporary network is left in CNS
net_clean() {
	run in_cns ip -o addr show dev eth0
	refute_output --partial inet
	run in_cns ip -o link show eth0
	refute_output --partial UP
	run in_cns ip -4 route
	assert_output ''
	run in_cns ip -6 route show dev eth0
	assert_output ''
	[ ! -e "$R/run/berth/ephemeral-net" ]
}

@test "--ephemeral: a real lease on every wired interface; --ephemeral-down removes exactly it, links down again" {
	ephemeral_setup
	netns_wire "$NS" eth0 "$SNS" 10.0.2
	netns_wire "$NS" eth1 "$SNS" 10.0.3
	netns_dhcpd "$SNS" seth0 10.0.2
	netns_dhcpd "$SNS" seth1 10.0.3
	veth vethx # not wired: no device in sysfs
	netns_wired "$R" eth0 eth1
	in_ns ip link set eth1 up # already up: stays up
	eph --ephemeral
	assert_success
	assert_line --regexp '^netcfg: eth0: ephemeral lease 10\.0\.2\.(1[5-9]|20)/24 via 10\.0\.2\.2$'
	assert_line --regexp '^netcfg: eth1: ephemeral lease 10\.0\.3\.(1[5-9]|20)/24 via 10\.0\.3\.2$'
	refute_output --partial vethx
	run in_ns ip -4 route
	assert_line --regexp '^default via 10\.0\.2\.2 dev eth0 proto dhcp'
	assert_line --regexp '^default via 10\.0\.3\.2 dev eth1 proto dhcp'
	run grep -c . "$R/run/berth/ephemeral-net/state"
	assert_output 6 # a comment, link eth0, two addresses, two routes
	# the lease files are gone; the state stays for --ephemeral-down
	run ls "$R/run/berth/ephemeral-net"
	assert_output state
	eph --ephemeral-down
	assert_success
	assert_line 'netcfg: eth0: ephemeral network removed (1 address, 1 route, link down)'
	assert_line 'netcfg: eth1: ephemeral network removed (1 address, 1 route)'
	clean eth0
	run in_ns ip -o -4 addr show dev eth1
	assert_output ''
	run in_ns ip -4 route
	assert_output ''
	run in_ns ip -o link show eth0
	refute_output --partial 'UP'
	run in_ns ip -o link show eth1
	assert_output --partial ',UP'
	[ ! -e "$R/run/berth/ephemeral-net" ]
	# nothing left: a second --ephemeral-down is quiet
	eph --ephemeral-down
	assert_success
	assert_output ''
}

@test "--ephemeral --first: the first lease is enough; an interface without a server goes down again at once" {
	ephemeral_setup
	netns_wire "$NS" eth0 "$SNS" 10.0.2
	netns_wire "$NS" eth1 "$SNS" 10.0.3
	netns_dhcpd "$SNS" seth0 10.0.2
	netns_wired "$R" eth0 eth1
	SECONDS=0
	eph --ephemeral --first
	assert_success
	[ "$SECONDS" -lt 8 ]
	assert_output --regexp '^netcfg: eth0: ephemeral lease 10\.0\.2\.(1[5-9]|20)/24 via 10\.0\.2\.2$'
	run in_ns ip -o link show eth1
	refute_output --partial 'UP'
	run grep -c eth1 "$R/run/berth/ephemeral-net/state"
	assert_output 0
	eph --ephemeral-down
	assert_output 'netcfg: eth0: ephemeral network removed (1 address, 1 route, link down)'
	clean eth0
}

@test "--ephemeral without a DHCP server: one line naming every interface tried, within the bound; nothing left" {
	ephemeral_setup
	veth eth0
	veth eth1
	netns_wired "$R" eth0 eth1
	SECONDS=0
	eph --ephemeral --timeout 2
	assert_failure 1
	[ "$SECONDS" -le 4 ]
	assert_output 'netcfg: ephemeral DHCP: no lease on eth0, eth1 within 2 s'
	clean eth0
	clean eth1
	run in_ns ip -o link show eth0
	refute_output --partial 'UP'
	[ ! -e "$R/run/berth/ephemeral-net" ]
	rm -r "$R/sys"
	eph --ephemeral
	assert_failure 1
	assert_output 'netcfg: ephemeral DHCP: no wired interface'
	eph --ephemeral --timeout 0
	assert_failure 100
	eph --first
	assert_failure 100
}

@test "a /32 lease gets an on-link route to its router; option 121 routes replace the router's default route" {
	ephemeral_setup
	netns_wire "$NS" eth0 "$SNS" 10.0.2
	netns_dhcpd "$SNS" seth0 10.0.2 'opt subnet 255.255.255.255'
	netns_wired "$R" eth0
	eph --ephemeral --first
	assert_success
	assert_output --regexp '^netcfg: eth0: ephemeral lease 10\.0\.2\.(1[5-9]|20)/32 via 10\.0\.2\.2$'
	run in_ns ip -4 route
	assert_line '10.0.2.2 dev eth0 proto dhcp scope link '
	assert_line 'default via 10.0.2.2 dev eth0 proto dhcp '
	eph --ephemeral-down
	assert_output 'netcfg: eth0: ephemeral network removed (1 address, 2 routes, link down)'
	clean eth0
	netns_wire "$NS" eth1 "$SNS" 10.0.3
	netns_dhcpd "$SNS" seth1 10.0.3 'opt staticroutes 169.254.169.254/32 10.0.3.3, 0.0.0.0/0 10.0.3.2'
	rm -r "$R/sys/class/net/eth0"
	netns_wired "$R" eth1
	eph --ephemeral --first
	assert_success
	assert_output --regexp '^netcfg: eth1: ephemeral lease 10\.0\.3\.(1[5-9]|20)/24, 2 static routes$'
	run in_ns ip -4 route
	assert_line '169.254.169.254 via 10.0.3.3 dev eth1 proto dhcp '
	assert_line 'default via 10.0.3.2 dev eth1 proto dhcp '
	eph --ephemeral-down
	assert_output 'netcfg: eth1: ephemeral network removed (1 address, 2 routes, link down)'
	clean eth1
}

@test "the network service's netcfg first removes a temporary network that provision left behind" {
	ephemeral_setup
	netns_wire "$NS" eth0 "$SNS" 10.0.2
	netns_dhcpd "$SNS" seth0 10.0.2
	netns_wired "$R" eth0
	eph --ephemeral --first
	assert_success
	# provision died before --ephemeral-down: the service's netcfg cleans up
	netcfg
	assert_success
	assert_output "$(printf 'netcfg: eth0: ephemeral network removed (1 address, 1 route, link down)\nnetcfg: eth0: up, dhcp4 (no network.conf)')"
	run in_ns ip -o -4 addr show dev eth0
	assert_output ''
	run in_ns ip -4 route
	assert_output ''
	[ ! -e "$R/run/berth/ephemeral-net" ]
}

@test "ds=ec2 with only lo up: temporary DHCP, IMDS at 169.254.169.254 via the lease's default route; nothing left after" {
	ephemeral_net
	netns_wire "$CNS" eth0 "$SNS" 10.0.2
	nsenter -t "$SNS" -n ip addr add 169.254.169.254/32 dev seth0
	netns_dhcpd "$SNS" seth0 10.0.2
	# runcmd runs while the temporary network is up
	jq -n '{
		"/latest/meta-data/instance-id": "i-eph1",
		"/latest/meta-data/local-hostname": "ephhost",
		"/latest/user-data": "#cloud-config\nruncmd:\n  - echo \"runcmd-route $(ip -4 route show default)\"\n"
	}' >"$T/imds.json"
	netns_bg "$SNS" python3 "$FIX/imds.py" "$T/imds.log" 169.254.169.254 80 "$T/imds.json" >"$T/imds.port"
	for _ in $(seq 50); do [ -s "$T/imds.port" ] && break; sleep 0.1; done
	run in_cns ip route get 169.254.169.254
	assert_failure # only lo, and that is down
	run in_cns "$P" --root "$R" --cmdline "console=ttyS0 ds=ec2"
	assert_success
	assert_line --index 0 'provision: ec2: no route to 169.254.169.254; temporary DHCP on the wired interfaces'
	assert_line --index 1 --regexp '^netcfg: eth0: ephemeral lease 10\.0\.2\.(1[5-9]|20)/24 via 10\.0\.2\.2$'
	assert_line --index 2 'provision: datasource ec2 (instance-id i-eph1)'
	assert_line --regexp '^runcmd-route default via 10\.0\.2\.2 dev eth0 proto dhcp'
	assert_equal "${lines[-1]}" 'netcfg: eth0: ephemeral network removed (1 address, 1 route, link down)'
	refute_output --partial 'no session token'
	assert_equal "$(cat "$R/etc/hostname")" ephhost
	run cat "$T/imds.log"
	assert_output "$(printf '%s\n' 'PUT /latest/api/token ttl' 'GET /latest/meta-data/instance-id token' \
		'GET /latest/meta-data/local-hostname token' 'GET /latest/meta-data/public-keys/0/openssh-key token' \
		'GET /latest/user-data token')"
	run grep '"datasource"' "$R/var/lib/berth/provision/status.json"
	assert_output --partial '"ec2"'
	net_clean
}

@test "ds=ec2 and no DHCP server: one line naming the interface, within 10 s; datasource none, exit 0" {
	ephemeral_net
	in_cns ip link add eth0 type veth peer name peth0
	in_cns ip link set peth0 up
	SECONDS=0
	run in_cns "$P" --root "$R" --cmdline "ds=ec2"
	assert_success
	[ "$SECONDS" -le 12 ]
	assert_output "$(printf '%s\n' 'provision: ec2: no route to 169.254.169.254; temporary DHCP on the wired interfaces' \
		'netcfg: ephemeral DHCP: no lease on eth0 within 10 s' \
		'provision: no datasource found; DHCP on every wired interface')"
	run grep '"datasource"' "$R/var/lib/berth/provision/status.json"
	assert_output --partial '"none"'
	net_clean
}

@test "ds=nocloud;s=http://10.0.2.2:8000/… with only lo up: the seed over the temporary network, nothing left after" {
	ephemeral_net
	netns_wire "$CNS" eth0 "$SNS" 10.0.2
	netns_dhcpd "$SNS" seth0 10.0.2
	printf '#cloud-config\nhostname: fromhttp\n' >"$S/user-data"
	printf 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n' >"$S/network-config"
	netns_bg "$SNS" python3 -u -m http.server 8000 --bind 10.0.2.2 --directory "$T" >"$T/http.out" 2>"$T/http.log"
	for _ in $(seq 50); do [ -s "$T/http.out" ] && break; sleep 0.1; done
	run in_cns "$P" --root "$R" --cmdline "ds=nocloud;s=http://10.0.2.2:8000/seed/"
	assert_success
	assert_line --index 0 'provision: seedfrom http://10.0.2.2:8000/seed/: no route to 10.0.2.2; temporary DHCP on the wired interfaces'
	assert_line --index 1 --regexp '^netcfg: eth0: ephemeral lease 10\.0\.2\.(1[5-9]|20)/24 via 10\.0\.2\.2$'
	assert_line --index 2 'provision: datasource nocloud (instance-id i-123)'
	assert_line 'provision: network: ok'
	assert_equal "${lines[-1]}" 'netcfg: eth0: ephemeral network removed (1 address, 1 route, link down)'
	assert_equal "$(cat "$R/etc/hostname")" fromhttp
	run grep -v '^#' "$R/etc/berth/network.conf"
	assert_output "$(printf 'interface eth0\nmatch name eth0\ndhcp4')"
	run grep -c '"GET /seed/' "$T/http.log"
	assert_output 4
	net_clean
}
