#!/usr/bin/env bats
# berth update: bundles made with the real minisign and tar, checked by
# Berth's own verifier (libsodium, minisign's prehashed format); apply,
# status, rollback and the boot check on a fake host: slot devices are
# files, the ESP a directory, every path from the BERTH_* environment
# (tests/lib/update.bash). The boot checks that wait out their deadline (a
# failing or hung health.d program, a container or service down) are in
# tests/host-slow/update-deadlines.bats.
# shellcheck disable=SC2154 # bats' run sets status, output, lines
# shellcheck disable=SC2030,SC2031 # each test exports its own BERTH_* paths
# shellcheck disable=SC2016 # the unshare scripts expand their variables inside

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	load ../lib/update
	update_bin
}

setup() {
	load ../lib/common
	load ../lib/update
	update_env
	minisign -G -W -f -s "$W/k.sec" -p "$W/k.pub" >/dev/null
	mkdir -p "$W/b"
	head -c 300000 /dev/urandom >"$W/b/berth.efi"
	head -c 1000000 /dev/urandom >"$W/b/root.img"
}

teardown() {
	# shellcheck disable=SC2086 # a list of pids
	kill_running ${KILL_PIDS:-}
}

# make_bundle OUT [jq filter applied to the manifest]: a bundle of $W/b
make_bundle() {
	local out=$1 filter=${2:-.}
	jq -n --argjson us "$(stat -c %s "$W/b/berth.efi")" --arg uh "$(sha256sum <"$W/b/berth.efi" | cut -c1-64)" \
		--argjson rs "$(stat -c %s "$W/b/root.img")" --arg rh "$(sha256sum <"$W/b/root.img" | cut -c1-64)" '{
		format: 1, version: "0.2.0", compatible: "berth-x86_64", arch: "x86_64", min_version: "0.1.0",
		uki: { name: "berth.efi", size: $us, sha256: $uh },
		root: { name: "root.img", size: $rs, sha256: $rh, roothash: ("ab" * 32), type: "erofs" } }' |
		jq "$filter" >"$W/b/manifest.json"
	minisign -S -s "${KEY:-$W/k.sec}" -m "$W/b/manifest.json" -x "$W/b/manifest.json.minisig" -t "berth 0.2.0" >/dev/null
	tar --format=ustar -cf "$out" -C "$W/b" manifest.json manifest.json.minisig berth.efi root.img
}

@test "a good bundle verifies: signature, manifest, both payload digests" {
	make_bundle "$W/good.bundle"
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/good.bundle"
	assert_success
	assert_output --partial 'Berth 0.2.0 for berth-x86_64 (x86_64), from 0.1.0 on; signature good, trusted comment: berth 0.2.0'
}

@test "a bundle signed with another key is refused, naming both key ids" {
	minisign -G -W -f -s "$W/other.sec" -p "$W/other.pub" >/dev/null
	KEY=$W/other.sec make_bundle "$W/other.bundle"
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/other.bundle"
	assert_failure
	assert_output --regexp 'manifest.json.minisig: signature: made with key [0-9A-F]{16}, expected key [0-9A-F]{16}$'
}

@test "a changed manifest byte breaks the signature" {
	make_bundle "$W/good.bundle"
	off=$(grep -abo '"0.2.0"' "$W/good.bundle" | head -1 | cut -d: -f1)
	printf '9' | dd of="$W/good.bundle" bs=1 seek=$((off + 5)) conv=notrunc status=none
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/good.bundle"
	assert_failure
	assert_output --partial 'signature: does not verify: the signed file was changed'
}

@test "a changed trusted comment breaks the global signature" {
	make_bundle "$W/good.bundle"
	sed -i 's/^trusted comment: berth 0.2.0$/trusted comment: berth 9.9.9/' "$W/b/manifest.json.minisig"
	tar --format=ustar -cf "$W/tc.bundle" -C "$W/b" manifest.json manifest.json.minisig berth.efi root.img
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/tc.bundle"
	assert_failure
	assert_output --partial 'the trusted comment was changed'
}

@test "a tampered payload is refused, naming it and both digests" {
	make_bundle "$W/good.bundle"
	# root.img's tar header is the 512-aligned place its name appears
	hdr=$(grep -abo 'root.img' "$W/good.bundle" | cut -d: -f1 | while read -r o; do [ $((o % 512)) -eq 0 ] && echo "$o"; done)
	off=$((hdr + 512 + 777))
	printf 'X' | dd of="$W/good.bundle" bs=1 seek="$off" conv=notrunc status=none
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/good.bundle"
	assert_failure
	assert_output --regexp 'root.img: sha256 [0-9a-f]{64}, the signed manifest says [0-9a-f]{64}$'
}

@test "a truncated bundle is refused, naming where it ends" {
	make_bundle "$W/good.bundle"
	head -c 500000 "$W/good.bundle" >"$W/short.bundle"
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/short.bundle"
	assert_failure
	assert_output --regexp 'truncated in root.img after [0-9]+ of 1000000 bytes'
}

@test "a legacy (non-prehashed) signature is refused" {
	make_bundle "$W/good.bundle"
	minisign -S -l -s "$W/k.sec" -m "$W/b/manifest.json" -x "$W/b/manifest.json.minisig" >/dev/null
	tar --format=ustar -cf "$W/legacy.bundle" -C "$W/b" manifest.json manifest.json.minisig berth.efi root.img
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/legacy.bundle"
	assert_failure
	assert_output --partial 'legacy (non-prehashed) minisign signature refused'
}

@test "a signed manifest with a bad field is refused naming the field" {
	make_bundle "$W/bad.bundle" '.root.roothash = "xyz"'
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/bad.bundle"
	assert_failure
	assert_output --partial 'manifest.json: root.roothash: expected 64 lowercase hex digits'
	make_bundle "$W/bad2.bundle" 'del(.compatible)'
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/bad2.bundle"
	assert_failure
	assert_output --partial 'manifest.json: compatible: missing or not a string'
}

@test "members out of order or of another type are refused" {
	make_bundle "$W/good.bundle"
	tar --format=ustar -cf "$W/order.bundle" -C "$W/b" manifest.json.minisig manifest.json berth.efi root.img
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/order.bundle"
	assert_failure
	assert_output --partial 'expected member manifest.json, found manifest.json.minisig'
	ln -s root.img "$W/b/link"
	tar --format=ustar -cf "$W/link.bundle" -C "$W/b" link
	run "$BERTH" update verify --pubkey "$W/k.pub" "$W/link.bundle"
	assert_failure
	assert_output --partial "member type '2'"
}

# ---- a fake host (host, trial_b: tests/lib/update.bash) ----

apply() { "$BERTH" update apply --pubkey "$W/k.pub" "$@"; }

# what a refused update must leave alone: both slots, the ESP's files
snapshot() {
	(cd "$W" && sha256sum slot-a slot-b) && (cd "$(L)" && ls -a && find . -type f -exec sha256sum {} + | sort)
}

# refused BUNDLE REGEX: apply fails with one line matching REGEX, changes
# nothing, and the failure is the last result
refused() {
	local before
	before=$(snapshot)
	run apply "$1"
	assert_failure 1
	assert_equal "${#lines[@]}" 1
	assert_output --regexp "^berth update: $2"
	assert_equal "$(snapshot)" "$before"
	run grep -x 'result=failed' "$BERTH_ROOT/update/last"
	assert_success
}

# member_offset BUNDLE NAME: where NAME's data starts in the archive
member_offset() {
	grep -abo "$2" "$1" | cut -d: -f1 | while read -r o; do
		[ $((o % 512)) -ne 0 ] || echo $((o + 512))
	done | head -1
}

# tampered_and_cut MEMBER AT CUT SIZE: berth-0.2.0.bundle with MEMBER's byte
# AT changed, and the bundle cut CUT bytes into MEMBER (of SIZE bytes): each
# is refused, naming MEMBER
tampered_and_cut() {
	local off
	cp "$W/berth-0.2.0.bundle" "$W/$1.bundle"
	off=$(member_offset "$W/$1.bundle" "$1")
	printf 'X' | dd of="$W/$1.bundle" bs=1 seek=$((off + $2)) conv=notrunc status=none
	refused "$W/$1.bundle" "$W/$1.bundle: $1: sha256 [0-9a-f]{64}, the signed manifest says [0-9a-f]{64}\$"
	head -c $((off + $3)) "$W/berth-0.2.0.bundle" >"$W/short.bundle"
	refused "$W/short.bundle" "$W/short.bundle: truncated in $1 after [0-9]+ of $4 bytes\$"
}

# wait_for FILE TEXT: until FILE holds TEXT (10 s at most)
wait_for() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$2' in $1" >&2
	return 1
}

@test "apply: the root image streams into slot b, the UKI becomes berth-0.2.0+3-0.efi, slot a and its UKI stay" {
	host
	bundle 0.2.0
	a_before=$(sha256sum <"$W/slot-a")
	uki_before=$(sha256sum <"$(L)/berth-0.1.0.efi")
	run apply "$W/berth-0.2.0.bundle"
	assert_success
	assert_line 'update: Berth 0.2.0 installed in slot b; it boots next, on trial (3 tries)'
	assert_line "update: writing root.img of Berth 0.2.0 to slot b ($W/slot-b)"
	# not a terminal: plain progress lines in steps of 10%
	assert_line --regexp '^update: root.img [1-9]0% \([0-9]+ of 2500000 bytes\)$'
	assert_line 'update: root.img 100% (2500000 of 2500000 bytes)'
	cmp -n 2500000 "$W/slot-b" "$W/p-0.2.0/root.img"
	cmp "$(L)/berth-0.2.0+3-0.efi" "$W/p-0.2.0/berth.efi"
	assert_equal "$(sha256sum <"$W/slot-a")" "$a_before"
	assert_equal "$(sha256sum <"$(L)/berth-0.1.0.efi")" "$uki_before"
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0+3-0.efi "
	assert_equal "$(cat "$BERTH_ROOT/update/slot-b")" 0.2.0
	run grep -x 'result=ok' "$BERTH_ROOT/update/last"
	assert_success
}

@test "apply as pid 1 with stale temporaries of its records (last.tmp.1, slot-b.tmp.1) left by a power cut" {
	host
	bundle 0.2.0
	mkdir -p "$BERTH_ROOT/update"
	echo stale >"$BERTH_ROOT/update/last.tmp.1"
	echo keep >"$W/victim"
	ln -s "$W/victim" "$BERTH_ROOT/update/slot-b.tmp.1"
	# pid 1, as berth is when a PID namespace runs it first
	run unshare --pid --fork --mount-proc "$BERTH" update apply --pubkey "$W/k.pub" "$W/berth-0.2.0.bundle"
	assert_success
	assert_line 'update: Berth 0.2.0 installed in slot b; it boots next, on trial (3 tries)'
	run grep -x 'result=ok' "$BERTH_ROOT/update/last"
	assert_success
	assert_equal "$(cat "$BERTH_ROOT/update/slot-b")" 0.2.0
	assert_equal "$(cat "$W/victim")" keep
	run ls -A "$BERTH_ROOT/update"
	refute_output --partial '.tmp.'
}

@test "apply: every other berth UKI on the ESP goes first (the old slot b's, a stale .tmp); the ESP ends with two" {
	host
	booted b 0.1.0
	head -c 1000 /dev/urandom >"$(L)/berth-0.0.9+0-3.efi"
	head -c 1000 /dev/urandom >"$(L)/berth-0.0.8.efi.tmp"
	head -c 1000 /dev/urandom >"$(L)/other-os.efi"
	bundle 0.2.0
	run apply "$W/berth-0.2.0.bundle"
	assert_success
	assert_line 'update: deleted berth-0.0.9+0-3.efi'
	assert_line 'update: Berth 0.2.0 installed in slot a; it boots next, on trial (3 tries)'
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0+3-0.efi other-os.efi "
	cmp -n 2500000 "$W/slot-a" "$W/p-0.2.0/root.img"
}

@test "apply refuses, changing nothing: a changed manifest, another key, a tampered or truncated payload" {
	host
	bundle 0.2.0
	cp "$W/berth-0.2.0.bundle" "$W/sig.bundle"
	off=$(grep -abo '"0.2.0"' "$W/sig.bundle" | head -1 | cut -d: -f1)
	printf '9' | dd of="$W/sig.bundle" bs=1 seek=$((off + 5)) conv=notrunc status=none
	refused "$W/sig.bundle" "$W/sig.bundle: manifest.json.minisig: signature: does not verify: the signed file was changed$"

	minisign -G -W -f -s "$W/o.sec" -p "$W/o.pub" >/dev/null
	KEY=$W/o.sec bundle 0.2.0
	refused "$W/berth-0.2.0.bundle" "$W/berth-0.2.0.bundle: "'manifest.json.minisig: signature: made with key [0-9A-F]{16}, expected key [0-9A-F]{16}$'

	bundle 0.2.0
	tampered_and_cut berth.efi 4321 1000 300000
	# the root image too: a file is verified whole before the first write
	tampered_and_cut root.img 2000000 1500000 2500000
	run "$BERTH" update status
	assert_line 'slot b: empty'
	assert_line --regexp "^last update: failed, .*, Berth 0.2.0, slot b, from $W/short.bundle: .*truncated in root.img"
}

@test "apply refuses, changing nothing: a downgrade, the running version, another compatible, a too old system" {
	host
	bundle 0.0.9
	refused "$W/berth-0.0.9.bundle" "$W/berth-0.0.9.bundle: Berth 0.0.9 is older than the running 0.1.0 \(no downgrades\)$"
	bundle 0.1.0
	refused "$W/berth-0.1.0.bundle" "$W/berth-0.1.0.bundle: Berth 0.1.0 is already running$"
	bundle 0.2.0 '.compatible = "berth-aarch64"'
	refused "$W/berth-0.2.0.bundle" "$W/berth-0.2.0.bundle: for berth-aarch64, this system is berth-x86_64$"
	bundle 0.3.0 '.min_version = "0.2.0"'
	refused "$W/berth-0.3.0.bundle" "$W/berth-0.3.0.bundle: Berth 0.3.0 updates 0.2.0 or later; this is 0.1.0$"
}

@test "apply refuses, changing nothing: the current boot on trial, a root image larger than the slot" {
	host
	bundle 0.2.0
	mv "$(L)/berth-0.1.0.efi" "$(L)/berth-0.1.0+2-1.efi"
	refused "$W/berth-0.2.0.bundle" 'the current boot \(berth-0.1.0\+2-1.efi\) is still on trial'
	mv "$(L)/berth-0.1.0+2-1.efi" "$(L)/berth-0.1.0.efi"
	truncate -s 2M "$W/slot-b"
	refused "$W/berth-0.2.0.bundle" "$W/berth-0.2.0.bundle: root.img: 2500000 bytes, larger than slot b \($W/slot-b, 2097152 bytes\)$"
	truncate -s 4M "$W/slot-b"
	rm "$(L)/berth-0.1.0.efi"
	refused "$W/berth-0.2.0.bundle" "ESP: no UKI of the booted version 0.1.0 in $W/esp/EFI/Linux$"
}

@test "apply: a second update while one holds the lock is refused" {
	host
	bundle 0.2.0
	before=$(snapshot)
	run flock "$BERTH_RUN/update.lock" "$BERTH" update apply --pubkey "$W/k.pub" "$W/berth-0.2.0.bundle"
	assert_failure 1
	assert_output "berth update: another update is running (lock $BERTH_RUN/update.lock)"
	assert_equal "$(snapshot)" "$before"
}

@test "apply: an ESP without room for the new UKI is refused; the UKI to be deleted counts as room" {
	unshare -m true 2>/dev/null || skip "needs unshare -m (root)"
	host
	bundle 0.2.0
	# 300000 bytes are 74 pages of 4 KiB, 75 with the one for the directory.
	# 480 KiB with the booted UKI (49 pages) leaves 71: too little
	run unshare -m bash -c '
		mount -t tmpfs -o size=480k tmpfs "$BERTH_ESP" && mkdir -p "$BERTH_ESP/EFI/Linux" &&
		head -c 200000 /dev/urandom >"$BERTH_ESP/EFI/Linux/berth-0.1.0.efi" &&
		"$0" update apply --pubkey "$1" "$2"
		ls "$BERTH_ESP/EFI/Linux"' "$BERTH" "$W/k.pub" "$W/berth-0.2.0.bundle"
	assert_line --index 0 --regexp "^berth update: ESP \($W/esp/EFI/Linux\): [0-9]+ bytes free, 0 more once the other UKIs are deleted; berth.efi needs 307200$"
	assert_line --index 1 berth-0.1.0.efi
	assert_equal "${#lines[@]}" 2
	# 720 KiB with slot b's old UKI too (62 pages) leaves 69 free, 131 once
	# that one is deleted: enough
	run unshare -m bash -c '
		mount -t tmpfs -o size=720k tmpfs "$BERTH_ESP" && mkdir -p "$BERTH_ESP/EFI/Linux" &&
		head -c 200000 /dev/urandom >"$BERTH_ESP/EFI/Linux/berth-0.1.0.efi" &&
		head -c 250000 /dev/urandom >"$BERTH_ESP/EFI/Linux/berth-0.0.9.efi" &&
		"$0" update apply --pubkey "$1" "$2" && ls "$BERTH_ESP/EFI/Linux"' "$BERTH" "$W/k.pub" "$W/berth-0.2.0.bundle"
	assert_success
	assert_line 'update: deleted berth-0.0.9.efi'
	assert_line 'berth-0.2.0+3-0.efi'
	refute_line 'berth-0.0.9.efi'
}

@test "apply on a terminal draws a progress bar in place" {
	command -v script >/dev/null || skip "no script(1)"
	host
	bundle 0.2.0
	run script -qec "$BERTH update apply --pubkey $W/k.pub $W/berth-0.2.0.bundle" /dev/null
	assert_success
	assert_output --partial $'\rupdate: root.img [############------------------]  41% 1.0/2.4 MiB'
	assert_output --partial $'\rupdate: root.img [##############################] 100% 2.4/2.4 MiB\r\n'
	refute_output --partial 'update: root.img 40%'
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

@test "apply over HTTP: a bundle from a web server; 404, a refused connection and a short body are named" {
	host
	bundle 0.2.0
	port=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$W" "$port" >/dev/null 2>&1 &
	KILL_PIDS="$KILL_PIDS $!"
	wait_port "$port"

	before=$(snapshot)
	run apply "http://127.0.0.1:$port/nothing.bundle"
	assert_failure 1
	assert_output "berth update: http://127.0.0.1:$port/nothing.bundle: HTTP 404 File not found"
	closed=$(free_port)
	run apply "http://127.0.0.1:$closed/berth-0.2.0.bundle"
	assert_failure 1
	assert_output "berth update: http://127.0.0.1:$closed/berth-0.2.0.bundle: connect to 127.0.0.1 port $closed: Connection refused"
	assert_equal "$(snapshot)" "$before"

	# a server that promises the whole bundle and sends half of it
	short=$(free_port)
	python3 -c '
import socket, sys
data = open(sys.argv[2], "rb").read()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4)
while True:
    c, _ = s.accept()
    try:
        if c.recv(65536):
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data[:len(data) // 2])
    except OSError:
        pass
    c.close()
' "$short" "$W/berth-0.2.0.bundle" &
	KILL_PIDS="$KILL_PIDS $!"
	wait_port "$short"
	size=$(stat -c %s "$W/berth-0.2.0.bundle")
	a_before=$(sha256sum <"$W/slot-a")
	esp_before=$(cd "$(L)" && sha256sum -- *)
	run apply "http://127.0.0.1:$short/b"
	assert_failure 1
	assert_line --regexp "^berth update: http://127.0.0.1:$short/b: short body: the connection closed after $((size / 2)) of $size bytes \(truncated in root.img after [0-9]+ of 2500000 bytes\)$"
	# streamed: slot b got the first part; slot a and the booted UKI stay, and
	# nothing on the ESP boots slot b
	assert_equal "$(sha256sum <"$W/slot-a")" "$a_before"
	assert_equal "$(cd "$(L)" && sha256sum -- *)" "$esp_before"

	run apply "http://127.0.0.1:$port/berth-0.2.0.bundle"
	assert_success
	assert_line 'update: Berth 0.2.0 installed in slot b; it boots next, on trial (3 tries)'
	cmp -n 2500000 "$W/slot-b" "$W/p-0.2.0/root.img"
	cmp "$(L)/berth-0.2.0+3-0.efi" "$W/p-0.2.0/berth.efi"
	run "$BERTH" update verify --pubkey "$W/k.pub" "http://127.0.0.1:$port/berth-0.2.0.bundle"
	assert_success
	assert_output --partial 'Berth 0.2.0 for berth-x86_64 (x86_64), from 0.1.0 on; signature good'
}

@test "pause seam root:50: slot b half written and synced, no new UKI, the lock held; status says interrupted after a kill" {
	host
	bundle 0.2.0
	BERTH_UPDATE_PAUSE=root:50 "$BERTH" update apply --pubkey "$W/k.pub" "$W/berth-0.2.0.bundle" 2>"$W/err" &
	pid=$!
	KILL_PIDS="$KILL_PIDS $pid"
	wait_for "$W/err" 'update: paused at root:50'
	# 1 MiB chunks: paused after the second, at 83%
	cmp -n 2097152 "$W/slot-b" "$W/p-0.2.0/root.img"
	assert_equal "$(esp_ls)" "berth-0.1.0.efi "
	run apply "$W/berth-0.2.0.bundle"
	assert_failure 1
	assert_output --partial 'another update is running'
	run "$BERTH" update status
	assert_line --regexp '^last update: running, '
	kill -9 "$pid"
	wait "$pid" || true
	run "$BERTH" update status
	assert_line --regexp '^last update: interrupted, .*, Berth 0.2.0, slot b, from '
	assert_line 'slot b: empty'
	run apply "$W/berth-0.2.0.bundle"
	assert_success
}

@test "pause seams staged and activated: the UKI as .tmp (ignored by systemd-boot), then as +3-0" {
	host
	bundle 0.2.0
	BERTH_UPDATE_PAUSE=staged "$BERTH" update apply --pubkey "$W/k.pub" "$W/berth-0.2.0.bundle" 2>"$W/err" &
	pid=$!
	KILL_PIDS="$KILL_PIDS $pid"
	wait_for "$W/err" 'update: paused at staged'
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0.efi.tmp "
	cmp "$(L)/berth-0.2.0.efi.tmp" "$W/p-0.2.0/berth.efi"
	kill -9 "$pid"
	wait "$pid" || true
	BERTH_UPDATE_PAUSE=activated "$BERTH" update apply --pubkey "$W/k.pub" "$W/berth-0.2.0.bundle" 2>"$W/err2" &
	pid=$!
	KILL_PIDS="$KILL_PIDS $pid"
	wait_for "$W/err2" 'update: paused at activated'
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0+3-0.efi "
	grep -q 'update: deleted berth-0.2.0.efi.tmp' "$W/err2"
	kill -9 "$pid"
	wait "$pid" || true
	run env BERTH_UPDATE_PAUSE=later "$BERTH" update apply --pubkey "$W/k.pub" "$W/berth-0.2.0.bundle"
	assert_failure 1
	assert_output 'berth update: BERTH_UPDATE_PAUSE=later: expected root:PERCENT, staged or activated'
}

@test "status: booted slot, each slot's version, state and UKI, what boots next, the last result" {
	host
	run "$BERTH" update status
	assert_success
	assert_output "booted: slot a, Berth 0.1.0
slot a: Berth 0.1.0, good, berth-0.1.0.efi (booted) (boots next)
slot b: empty
last update: none
last check: none"
	bundle 0.2.0
	apply "$W/berth-0.2.0.bundle" 2>/dev/null
	run "$BERTH" update status
	assert_line 'slot a: Berth 0.1.0, good, berth-0.1.0.efi (booted)'
	assert_line 'slot b: Berth 0.2.0, trial (3 tries left), berth-0.2.0+3-0.efi (boots next)'
	assert_line --regexp "^last update: ok, [0-9-]+ [0-9:]+ UTC, Berth 0.2.0, slot b, from $W/berth-0.2.0.bundle$"
	run "$BERTH" update status --json
	assert_success
	run jq -c '[.booted.slot, .slots[1].state, .slots[1].tries_left, .slots[1].boots_next, .last_update.result]' <<<"$output"
	assert_output '["a","trial",3,true,"ok"]'
	# systemd-boot took one try and booted it
	booted b 0.2.0
	mv "$(L)/berth-0.2.0+3-0.efi" "$(L)/berth-0.2.0+2-1.efi"
	run "$BERTH" update status
	assert_line 'booted: slot b, Berth 0.2.0'
	assert_line 'slot b: Berth 0.2.0, trial (2 tries left), berth-0.2.0+2-1.efi (booted) (boots next)'
	mv "$(L)/berth-0.2.0+2-1.efi" "$(L)/berth-0.2.0+0-3.efi"
	run "$BERTH" update status
	assert_line 'slot a: Berth 0.1.0, good, berth-0.1.0.efi (boots next)'
	assert_line 'slot b: Berth 0.2.0, bad, berth-0.2.0+0-3.efi (booted)'
	bundle 0.0.9
	apply "$W/berth-0.0.9.bundle" 2>/dev/null || true
	run "$BERTH" update status
	assert_line --regexp "^last update: failed, .*: $W/berth-0.0.9.bundle: Berth 0.0.9 is older than the running 0.2.0 \(no downgrades\)$"
}

@test "rollback: the booted UKI is marked bad (+0-N), the other good slot boots next; refused without one" {
	host
	run "$BERTH" update rollback
	assert_failure 1
	assert_output "berth update: slot b has no UKI in $W/esp/EFI/Linux: nothing to roll back to"
	booted b 0.2.0
	head -c 1000 /dev/urandom >"$(L)/berth-0.2.0+2-1.efi"
	run "$BERTH" update rollback
	assert_success
	assert_output 'update: berth-0.2.0+2-1.efi marked bad (now berth-0.2.0+0-3.efi); next boot: slot a, Berth 0.1.0 (berth-0.1.0.efi)'
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0+0-3.efi "
	run "$BERTH" update status
	assert_line 'slot a: Berth 0.1.0, good, berth-0.1.0.efi (boots next)'
	# a blessed boot rolls back too: good becomes +0-1
	mv "$(L)/berth-0.2.0+0-3.efi" "$(L)/berth-0.2.0.efi"
	run "$BERTH" update rollback
	assert_success
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0+0-1.efi "
	# booted 0.1.0 now: the other slot's UKI is bad, or on trial
	booted a 0.1.0
	run "$BERTH" update rollback
	assert_failure 1
	assert_output 'berth update: slot b (berth-0.2.0+0-1.efi) is bad, not known good: nothing to roll back to'
	mv "$(L)/berth-0.2.0+0-1.efi" "$(L)/berth-0.2.0+3-0.efi"
	run "$BERTH" update rollback
	assert_failure 1
	assert_output 'berth update: slot b (berth-0.2.0+3-0.efi) is trial (3 tries left), not known good: nothing to roll back to'
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0+3-0.efi "
}

@test "check: not a trial boot (no counter, or no UKI of the booted version) does nothing" {
	host
	before=$(snapshot)
	run check
	assert_success
	assert_output 'update: not a trial boot'
	rm "$(L)/berth-0.1.0.efi"
	run check
	assert_success
	assert_output 'update: not a trial boot'
	assert [ ! -e "$BERTH_RUN/timeline" ]
}

@test "check: a trial boot that passes is blessed: the counter dropped, 'boot blessed' on the timeline" {
	trial_b
	run check
	assert_success
	assert_line 'update: checking the trial boot of 0.2.0 (berth-0.2.0+2-1.efi), deadline 10 s'
	assert_line 'update: berth-0.2.0+2-1.efi blessed (now berth-0.2.0.efi)'
	assert_equal "$(esp_ls)" "berth-0.1.0.efi berth-0.2.0.efi "
	run cat "$BERTH_RUN/timeline"
	assert_output --regexp '^berth\[[0-9]+\.[0-9]{3}\]: boot blessed$'
	run "$BERTH" update status
	assert_line --regexp '^last check: blessed, .*, Berth 0.2.0, slot b$'
}

@test "check fails at once: / read-write or not on device-mapper, /var not writable" {
	trial_b
	printf '25 1 8:2 / / rw,relatime - ext4 /dev/sda2 rw\n' >"$W/mountinfo"
	run check
	assert_failure 1
	assert_line 'berth update: check: root: / is mounted read-write'
	mv "$(L)/berth-0.2.0+0-3.efi" "$(L)/berth-0.2.0+2-1.efi"
	printf '25 1 8:2 / / ro,relatime - ext4 /dev/sda2 ro\n' >"$W/mountinfo"
	run check
	assert_line 'berth update: check: root: / is on /dev/sda2, not a device-mapper (dm-verity) device'
	mv "$(L)/berth-0.2.0+0-3.efi" "$(L)/berth-0.2.0+2-1.efi"
	printf '25 1 254:0 / / ro,relatime - erofs /dev/mapper/root ro\n' >"$W/mountinfo"
	rm -rf "$BERTH_ROOT"
	: >"$BERTH_ROOT"
	run check
	assert_failure 1
	assert_line --regexp '^berth update: check: /var: '
}

@test "--reboot: apply, and a failed check, signal PID 1 (here: a PID namespace's shell)" {
	unshare -pf true 2>/dev/null || skip "needs unshare -p (root)"
	trial_b
	printf '#!/bin/sh\nexit 3\n' >"$BERTH_ETC/berth/health.d/30-fail"
	chmod +x "$BERTH_ETC/berth/health.d/30-fail"
	run unshare -pf bash -c 'trap "echo PID 1 got SIGTERM; exit 0" TERM
		"$0" update check --grace 1 --deadline 1; sleep 5 & wait' "$BERTH"
	assert_success
	assert_line 'update: berth-0.2.0+2-1.efi marked bad (now berth-0.2.0+0-3.efi); rebooting into the other slot'
	assert_line 'PID 1 got SIGTERM'
	host
	bundle 0.2.0
	run unshare -pf bash -c 'trap "echo PID 1 got SIGTERM; exit 0" TERM
		"$0" update apply --reboot --pubkey "$1" "$2"; sleep 5 & wait' "$BERTH" "$W/k.pub" "$W/berth-0.2.0.bundle"
	assert_success
	assert_line 'update: rebooting'
	assert_line 'PID 1 got SIGTERM'
}

@test "fuzz target for the bundle, manifest, key and UKI name parsers: the seeds reach the end (libFuzzer: tests/host-slow)" {
	load ../lib/fuzz
	host
	update_seeds "$W/seeds"
	main=$(fuzz_main update)
	run "$main" "$W/seeds/bundle" "$W/seeds/manifest" "$W/seeds/key" "$W/seeds/name" "$W/seeds/badname" "$W/seeds/short"
	assert_success
	assert_output "$W/seeds/bundle: bundle ok
$W/seeds/manifest: manifest ok
$W/seeds/key: key ok
$W/seeds/name: name ok
$W/seeds/badname: name refused
$W/seeds/short: bundle refused"
}
