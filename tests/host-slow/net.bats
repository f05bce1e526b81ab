#!/usr/bin/env bats
# Container networking (berth/net/) against the real kernel, checked with
# Debian's ip and nft as peers (slow: every test builds namespaces, a
# bridge, veths and nftables rules). Everything happens inside
# throwaway network namespaces held by `sleep` processes:
#   host       where berth runs: berth0, the veths, the table ip berth;
#              uplink up0 192.0.2.1/24
#   outside    the world: out0 192.0.2.2/24, no route to 172.31/16
#   c1, c2     containers
# The build host's own namespace is compared before and after every test.
# shellcheck disable=SC2154 # bats' run --separate-stderr sets stderr, stderr_lines

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	for t in ip nft unshare nsenter python3; do
		command -v "$t" >/dev/null || skip "needs $t (apt-get install iproute2 nftables util-linux)"
	done
	unshare --net true 2>/dev/null || skip "cannot create network namespaces here"

	berth_bin "$BATS_FILE_TMPDIR"

	# ping, a TCP listener that answers and logs who called, a TCP client
	cat >"$BATS_FILE_TMPDIR/nettool.py" <<-'EOF'
		import os, socket, struct, sys, time
		cmd = sys.argv[1]
		if cmd == "listen":
		    port, log, tag = int(sys.argv[2]), sys.argv[3], sys.argv[4]
		    s = socket.socket()
		    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		    s.bind(("0.0.0.0", port))
		    s.listen(8)
		    open(log + ".ready", "w").close()
		    while True:
		        c, peer = s.accept()
		        with open(log, "a") as f:
		            f.write(peer[0] + "\n")
		        c.sendall((tag + "\n").encode())
		        c.close()
		elif cmd == "connect":
		    s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=3)
		    s.settimeout(3)
		    print(s.recv(100).decode().strip())
		elif cmd == "ping":
		    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
		    s.settimeout(2)
		    body = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + b"berth"
		    words = sum(struct.unpack("!%dH" % (len(body) // 2), body[:len(body) // 2 * 2]))
		    words += body[-1] << 8 if len(body) % 2 else 0
		    words = (words >> 16) + (words & 0xffff)
		    csum = ~(words + (words >> 16)) & 0xffff
		    s.sendto(body[:2] + struct.pack("!H", csum) + body[4:], (sys.argv[2], 0))
		    end = time.time() + 2
		    while time.time() < end:
		        data, addr = s.recvfrom(1500)
		        ihl = (data[0] & 15) * 4
		        if addr[0] == sys.argv[2] and data[ihl] == 0:
		            print("reply from", addr[0])
		            sys.exit(0)
		    sys.exit(1)
	EOF

	host_snapshot >"$BATS_FILE_TMPDIR/host.before"
}

# what must not change in the build host's own namespace
host_snapshot() {
	ip -j link show | jq -r '.[] | "\(.ifname) \(.master // "-") \((.flags // []) | any(. == "UP"))"'
	nft list ruleset
	cat /proc/sys/net/ipv4/ip_forward
}

setup() {
	load ../lib/common
	BERTH=$BATS_FILE_TMPDIR/berth
	TOOL=$BATS_FILE_TMPDIR/nettool.py
	T=$BATS_TEST_TMPDIR
	export BERTH_ROOT=$T/root
	PIDS=()
	HOST=$(netns_new)
	track "$HOST"
	OUTSIDE=$(netns_new)
	track "$OUTSIDE"
	# the uplink: the host's only way out, and the outside's only route
	# is its own /24, so an unmasqueraded 172.31 source never gets an answer
	in_host ip link add up0 type veth peer name out0 netns "/proc/$OUTSIDE/ns/net"
	in_host ip addr add 192.0.2.1/24 dev up0
	in_host ip link set up0 up
	in_host ip link set lo up
	in_outside ip addr add 192.0.2.2/24 dev out0
	in_outside ip link set out0 up
	in_outside ip link set lo up
}

teardown() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	host_snapshot >"$T/host.after"
	diff -u "$BATS_FILE_TMPDIR/host.before" "$T/host.after"
}

# a fresh network namespace held by a sleeping process; prints its pid
netns_new() {
	local f
	f=$(mktemp "$BATS_TEST_TMPDIR/ns.XXXXXX")
	# shellcheck disable=SC2016 # $$ is the inner shell's
	unshare --net sh -c 'echo $$ >"$1"; exec sleep 1000' sh "$f" >/dev/null 2>&1 3>&- &
	wait_until 5 test -s "$f" || return 1
	cat "$f"
}

track() { PIDS+=("$@"); }

# untrack PID: PID is gone (killed by the test): the teardown must not kill
# whatever process has its number by then
untrack() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		if [ "$p" != "$1" ]; then keep+=("$p"); fi
	done
	PIDS=("${keep[@]}")
}

in_ns() { local pid=$1; shift; nsenter --net="/proc/$pid/ns/net" "$@"; }
in_host() { in_ns "$HOST" "$@"; }
in_outside() { in_ns "$OUTSIDE" "$@"; }
berth_net() { in_host "$BERTH" net "$@"; }

# a listener in a namespace on port; its callers' addresses go to $T/$name
listen() {
	local pid=$1 port=$2 name=$3
	# nsenter and python3 exec, so $! is the listener itself
	nsenter --net="/proc/$pid/ns/net" python3 "$TOOL" listen "$port" "$T/$name" "$name" \
		>/dev/null 2>"$T/$name.err" 3>&- &
	track $!
	for _ in $(seq 100); do
		[ -e "$T/$name.ready" ] && return 0
		sleep 0.05
	done
	echo "listener $name did not start" >&2
	return 1
}

@test "setup makes the bridge with its address, forwarding, and the table" {
	run --separate-stderr berth_net setup
	assert_success
	run in_host ip -j -d link show berth0
	assert_success
	assert_output --partial '"info_kind":"bridge"'
	run in_host ip -j -4 addr show berth0
	assert_output --partial '"local":"172.31.0.1","prefixlen":16'
	run in_host cat /proc/sys/net/ipv4/ip_forward
	assert_output 1
	run in_host nft list table ip berth
	assert_success
	assert_output --partial 'type nat hook prerouting priority dstnat; policy accept;'
	assert_output --partial 'fib daddr type local jump publish'
	assert_output --partial 'ip daddr != 127.0.0.0/8 fib daddr type local jump publish'
	assert_output --partial 'ip saddr 172.31.0.0/16 oifname != "berth0" masquerade'
	assert_output --partial 'ip saddr 172.31.0.0/16 oifname "berth0" ct status dnat masquerade'
	# idempotent
	run --separate-stderr berth_net setup
	assert_success
	[ "$(in_host ip -4 -o addr show berth0 | wc -l)" -eq 1 ]
}

@test "attach: veth on the bridge, eth0 with an address and default route, ping the bridge" {
	C1=$(netns_new)
	track "$C1"
	run --separate-stderr berth_net attach c1 "/proc/$C1/ns/net"
	assert_success
	assert_output --regexp '^c1 172\.31\.0\.2/16 veth-[0-9a-f]{8}$'
	veth=${output##* }

	run in_host ip -j -d link show "$veth"
	assert_output --partial '"master":"berth0"'
	assert_output --partial '"operstate":"UP"'
	# so a container can reach its own published port (hairpin NAT)
	assert_output --partial '"hairpin":true'
	run in_ns "$C1" ip -j -4 addr show eth0
	assert_output --partial '"local":"172.31.0.2","prefixlen":16'
	run in_ns "$C1" ip -j link show lo
	assert_output --partial '"UP"'
	run in_ns "$C1" ip -j route show default
	assert_output --partial '"gateway":"172.31.0.1","dev":"eth0"'
	run in_ns "$C1" python3 "$TOOL" ping 172.31.0.1
	assert_success
	assert_output 'reply from 172.31.0.1'

	run grep -E "^c1 172\.31\.0\.2 $veth\$" "$BERTH_ROOT/net/leases"
	assert_success

	# the next container gets the next address
	C2=$(netns_new)
	track "$C2"
	run --separate-stderr berth_net attach c2 "/proc/$C2/ns/net"
	assert_success
	assert_output --regexp '^c2 172\.31\.0\.3/16 veth-'
	run in_ns "$C2" python3 "$TOOL" ping 172.31.0.2
	assert_success
}

@test "outbound traffic is masqueraded behind the host's uplink address" {
	C1=$(netns_new)
	track "$C1"
	berth_net attach c1 "/proc/$C1/ns/net"
	in_host ip route add default via 192.0.2.2
	listen "$OUTSIDE" 9000 world
	run in_ns "$C1" python3 "$TOOL" connect 192.0.2.2 9000
	assert_success
	assert_output world
	run cat "$T/world"
	assert_output 192.0.2.1

	# without the table the same connection gets no answer: the test can fail
	in_host nft delete table ip berth
	run in_ns "$C1" python3 "$TOOL" connect 192.0.2.2 9000
	assert_failure
}

@test "a published port answers from outside, from the host, and from a container (hairpin)" {
	C1=$(netns_new)
	C2=$(netns_new)
	track "$C1" "$C2"
	run --separate-stderr berth_net attach web "/proc/$C1/ns/net" -p 8080:80 -p 192.0.2.1:5353:53/udp
	assert_success
	berth_net attach other "/proc/$C2/ns/net"
	listen "$C1" 80 web

	run in_outside python3 "$TOOL" connect 192.0.2.1 8080
	assert_success
	assert_output web
	run in_host python3 "$TOOL" connect 192.0.2.1 8080
	assert_success
	assert_output web
	run in_ns "$C2" python3 "$TOOL" connect 192.0.2.1 8080
	assert_success
	assert_output web
	run in_ns "$C1" python3 "$TOOL" connect 192.0.2.1 8080
	assert_success
	assert_output web
	# outside came as itself; the hairpin callers came through the bridge
	run cat "$T/web"
	assert_line --index 0 192.0.2.2
	assert_line --index 1 192.0.2.1
	assert_line --index 2 172.31.0.1
	assert_line --index 3 172.31.0.1

	run in_host nft list chain ip berth publish
	assert_output --partial 'tcp dport 8080 dnat to 172.31.0.2:80 comment "web"'
	assert_output --partial 'ip daddr 192.0.2.1 udp dport 5353 dnat to 172.31.0.2:53 comment "web"'
	run grep -E '^web 172\.31\.0\.2 veth-[0-9a-f]{8} 0\.0\.0\.0:8080:80/tcp 192\.0\.2\.1:5353:53/udp$' \
		"$BERTH_ROOT/net/leases"
	assert_success

	# a port already taken is refused, in one line
	C3=$(netns_new)
	track "$C3"
	run --separate-stderr berth_net attach third "/proc/$C3/ns/net" -p 8080:81
	assert_failure 111
	assert_equal "$stderr" 'berth net: port 0.0.0.0:8080:81/tcp: already published by web'
}

@test "a port without a host port gets the first free ephemeral one, not one the host listens on" {
	C1=$(netns_new)
	C2=$(netns_new)
	track "$C1" "$C2"
	# a host service on the first port of the range keeps it
	listen "$HOST" 32768 hostsvc
	run --separate-stderr berth_net attach web "/proc/$C1/ns/net" -p :80 -p 192.0.2.1::53/udp -p 8080:81
	assert_success
	run grep '^web ' "$BERTH_ROOT/net/leases"
	assert_output --regexp ' 0\.0\.0\.0:32769:80/tcp 192\.0\.2\.1:32768:53/udp 0\.0\.0\.0:8080:81/tcp$'
	# the next container: past what web has
	run --separate-stderr berth_net attach other "/proc/$C2/ns/net" -p :80
	assert_success
	run grep '^other ' "$BERTH_ROOT/net/leases"
	assert_output --regexp ' 0\.0\.0\.0:32770:80/tcp$'
	listen "$C1" 80 web
	run in_outside python3 "$TOOL" connect 192.0.2.1 32769
	assert_success
	assert_output web
	run in_outside python3 "$TOOL" connect 192.0.2.1 32768
	assert_output hostsvc
	run in_host nft list chain ip berth publish
	assert_output --partial 'tcp dport 32769 dnat to 172.31.0.2:80 comment "web"'
	# a lease always has its host port: a file that says otherwise is refused
	printf 'bad 172.31.0.9 veth-00000000 0.0.0.0::80/tcp\n' >>"$BERTH_ROOT/net/leases"
	run --separate-stderr berth_net publish
	assert_failure 111
	assert_equal "$stderr" "berth net: $BERTH_ROOT/net/leases:4: port \"0.0.0.0::80/tcp\": no host port"
}

@test "publish rebuilds the same ruleset, atomically and idempotently" {
	C1=$(netns_new)
	track "$C1"
	berth_net attach web "/proc/$C1/ns/net" -p 8080:80 -p 8443:443
	in_host nft -j list ruleset >"$T/one"
	berth_net publish
	in_host nft -j list ruleset >"$T/two"
	berth_net publish
	in_host nft -j list ruleset >"$T/three"
	# handles grow with each rebuild; everything else is the same
	for f in one two three; do
		sed -E 's/"handle": *[0-9]+/"handle":0/g' "$T/$f" >"$T/$f.n"
	done
	run diff "$T/one.n" "$T/two.n"
	assert_success
	run diff "$T/two.n" "$T/three.n"
	assert_success
	# one table, four chains, two port rules + four fixed ones
	run in_host nft list ruleset
	[ "$(grep -c '^table ' <<<"$output")" -eq 1 ]
	[ "$(grep -c 'chain ' <<<"$output")" -eq 4 ]
	[ "$(grep -c 'dnat to' <<<"$output")" -eq 2 ]

	# rules someone added by hand are gone after a rebuild: Berth owns the table
	in_host nft add rule ip berth publish tcp dport 9999 dnat to 172.31.0.9:1
	berth_net publish
	run in_host nft list ruleset
	refute_output --partial 9999

	# and the rebuild after a reboot-like loss of the table brings it back
	in_host nft delete table ip berth
	berth_net setup
	run in_host nft list chain ip berth publish
	assert_output --partial 'tcp dport 8080 dnat to 172.31.0.2:80'
}

@test "detach removes the veth, frees the address and unpublishes the ports" {
	C1=$(netns_new)
	track "$C1"
	run --separate-stderr berth_net attach web "/proc/$C1/ns/net" -p 8080:80
	veth=${output##* }
	run --separate-stderr berth_net detach web
	assert_success
	run in_host ip link show "$veth"
	assert_failure
	run in_ns "$C1" ip link show eth0
	assert_failure
	run in_host nft list chain ip berth publish
	refute_output --partial 8080
	run grep '^web ' "$BERTH_ROOT/net/leases"
	assert_failure

	# the address is free again
	C2=$(netns_new)
	track "$C2"
	run --separate-stderr berth_net attach again "/proc/$C2/ns/net"
	assert_output --regexp '^again 172\.31\.0\.2/16 '

	run --separate-stderr berth_net detach web
	assert_failure 111
	assert_equal "$stderr" 'berth net: web: not attached'

	# a container whose namespace is gone takes its veth with it: detach
	# still releases the lease
	kill "$C2"
	untrack "$C2"
	for _ in $(seq 50); do
		in_host ip -o link | grep -q veth- || break
		sleep 0.05
	done
	run --separate-stderr berth_net detach again
	assert_success
}

@test "errors are one line and leave no veth behind" {
	berth_net setup
	run --separate-stderr berth_net attach c1 /nonexistent/ns
	assert_failure 111
	assert_equal "$stderr" 'berth net: network namespace /nonexistent/ns: No such file or directory'
	run --separate-stderr berth_net attach c1 /proc/self/ns/uts
	assert_failure 111
	assert_equal "$stderr" 'berth net: /proc/self/ns/uts: not a network namespace'

	# the kernel refuses the pair: eth0 exists in the container already
	C1=$(netns_new)
	track "$C1"
	in_ns "$C1" ip link add eth0 type bridge
	run --separate-stderr berth_net attach c1 "/proc/$C1/ns/net"
	assert_failure 111
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^berth net: RTM_NEWLINK veth-[0-9a-f]{8}: File exists'

	# a failure after the pair exists: a rule in the container forbids
	# the gateway, so the default route fails; the pair must go again
	C2=$(netns_new)
	track "$C2"
	in_ns "$C2" ip rule add to 172.31.0.1/32 prohibit
	run --separate-stderr berth_net attach c2 "/proc/$C2/ns/net" -p 8080:80
	assert_failure 111
	assert_equal "$stderr" 'berth net: RTM_NEWROUTE default via 172.31.0.1: Permission denied (Nexthop has invalid gateway)'
	run in_ns "$C2" ip link show eth0
	assert_failure

	run in_host ip -o link
	refute_output --partial veth-
	run in_host nft list chain ip berth publish
	refute_output --partial 8080
	[ ! -e "$BERTH_ROOT/net/leases" ]

	run --separate-stderr berth_net attach 'bad name' /proc/self/ns/net
	assert_failure 111
	assert_equal "$stderr" 'berth net: "bad name": not a valid container name'
	run --separate-stderr berth_net attach c3 /proc/self/ns/net -p 8080
	assert_failure 100
	assert_equal "${stderr_lines[0]}" 'berth net: port "8080": expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]'
}

@test "teardown removes the table, the veths, the bridge and the leases" {
	C1=$(netns_new)
	track "$C1"
	berth_net attach web "/proc/$C1/ns/net" -p 8080:80
	run --separate-stderr berth_net teardown
	assert_success
	run in_host nft list ruleset
	assert_output ''
	run in_host ip -o link
	refute_output --partial berth0
	refute_output --partial veth-
	run grep -c . "$BERTH_ROOT/net/leases"
	assert_output 1
	# and again, with nothing there
	run --separate-stderr berth_net teardown
	assert_success
}
