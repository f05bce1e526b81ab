#!/usr/bin/env bash
# bench.sh: `make bench`. Every figure beside its floor, measured in the same
# run: a table on stdout and out/bench.json (written and printed by
# bench/report.sh). BENCH_RUNS boots per case (default 5; the median is
# reported); BENCH_PEER=1 also boots the Debian 12 + systemd + crun peer from
# ../shared/peers/debian (built once, cached in $BERTH_CACHE/peer).
# A figure whose part has not landed or whose measurement failed is "missing"
# (null in the JSON and named in its "missing" list), never 0: the failure is
# one line on stderr naming the figure and why, and the run goes on.
# shellcheck disable=SC2016 # guest commands are single-quoted on purpose
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$top/out}
CACHE=${BERTH_CACHE:-$HOME/.cache/berth}
RUNS=${BENCH_RUNS:-5}
b=$OUT/bench
rm -rf "$b"; mkdir -p "$b"
export OUT

VERSION=${VERSION:-$(cat "$top/VERSION")}
[ -f "$OUT/test/updates/berth-0.2.0.bundle" ] || "$top/tests/lib/update-images.sh" >/dev/null
for f in berth.img berth.efi root.img vmlinuz initramfs.cpio test/berth.img test/berth-demo.img bin/floor-init "berth-$VERSION.bundle" test/updates/berth-0.2.0.bundle; do
	[ -e "$OUT/$f" ] || { echo "bench: out/$f is missing (make test-image progs)" >&2; exit 1; }
done

# lost FIGURES WHY: the figures stay null; say which and why, on one line
lost() { echo "bench: missing $1: $2" >&2; }
is_num() { [[ ${1:-} =~ ^-?[0-9]+([.][0-9]+)?$ ]]; }
# num VALUE: VALUE if it is a number, else null (what --argjson may take)
num() { if is_num "${1:-}"; then echo "$1"; else echo null; fi; }

# --- the floor: the same kernel, a static /init that prints a line and powers off
gen=$OUT/toolchain/gen_init_cpio
printf 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\nfile /init %s 0755 0 0\n' "$OUT/bin/floor-init" >"$b/floor.list"
"$gen" -t 0 "$b/floor.list" >"$b/floor.cpio"
floor_cmdline="console=ttyS0,115200 quiet"
UKI_INITRD=$b/floor.cpio UKI_CMDLINE=$floor_cmdline UKI_OUT=$b/floor.efi "$top/images/uki.sh" >/dev/null
# a disk with only an ESP: systemd-boot and the floor UKI
esp=$b/floor-esp.img
mkfs.vfat -C -F 32 "$esp" $((64 * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/Linux ::/loader
mcopy -i "$esp" /usr/lib/systemd/boot/efi/systemd-bootx64.efi ::/EFI/BOOT/BOOTX64.EFI
printf 'timeout 0\neditor no\n' >"$b/loader.conf"
mcopy -i "$esp" "$b/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$b/floor.efi" ::/EFI/Linux/floor.efi
truncate -s 66M "$b/floor.img"
printf 'label: gpt\nsize=64MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"\n' | sfdisk -q "$b/floor.img"
dd if="$esp" of="$b/floor.img" bs=1M seek=1 conv=notrunc status=none

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# stamp ERE FILE: the guest time of the first line in FILE matching ERE
# ("berth[1.754]: ready" gives 1.754), or - when there is none
stamp() {
	local s
	s=$(grep -m1 -sE "$1" "$2" | sed -E 's/.*\[([0-9.]+)\]: .*/\1/') || s=
	is_num "$s" && echo "$s" || echo -
}

ctr_re='berth\[[0-9.]+\]: container [^ ]+ started$'
# boot_once SYSTEM MODE: one boot; prints "<wall s at marker> <guest s at
# marker> <guest s at init start> <guest s at the first container started>
# <wall s at it>", - for what the boot did not print. Berth boots with the
# demo container defined (out/test/berth-demo.img). A boot that fails says
# why on stderr, prints nothing and returns 1.
boot_once() {
	local system=$1 mode=$2 d disk marker pid t0 t wall ctr_wall=- since
	local log
	d=$(mktemp -d "$b/vm.XXXXXX") || return 1
	log=$d/serial.txt
	case $system in
	berth) disk=$d/disk.qcow2 marker='berth\[[0-9.]+\]: ready$'
		qemu-img create -q -f qcow2 -b "$OUT/test/berth-demo.img" -F raw "$disk" 2G ||
			{ echo "bench: $system/$mode: qemu-img create failed" >&2; rm -rf "$d"; return 1; } ;;
	floor) disk=$d/disk.img marker='berth-floor\[[0-9.]+\]: init$'
		cp --sparse=always "$b/floor.img" "$disk" ||
			{ echo "bench: $system/$mode: copying the floor disk failed" >&2; rm -rf "$d"; return 1; } ;;
	esac
	local env=(VM_DIR="$d" VM_SERIAL="$d/serial.log" VM_DAEMON=1)
	if [ "$mode" = direct ]; then
		env+=(VM_BOOT=direct)
		[ "$system" = floor ] && env+=(VM_INITRD="$b/floor.cpio" VM_APPEND="$floor_cmdline")
	fi
	t0=$(now) since=$SECONDS
	if ! env "${env[@]}" "$top/tests/lib/qemu.sh" "$disk" || ! pid=$(cat "$d/qemu.pid"); then
		echo "bench: $system/$mode: QEMU did not start" >&2; rm -rf "$d"; return 1
	fi
	# the marker; on the way, the host time of the first container's line
	while :; do
		tr -d '\r' 2>/dev/null <"$d/serial.log" >"$log" || :
		t=$(now)
		if [ "$system" = berth ] && [ "$ctr_wall" = - ] && grep -qsE "$ctr_re" "$log"; then
			ctr_wall=$(elapsed "$t0" "$t")
		fi
		grep -qsE "$marker" "$log" && break
		if [ $((SECONDS - since)) -ge 300 ]; then
			echo "bench: $system/$mode: no marker in 300 s" >&2
			kill -9 "$pid" 2>/dev/null; rm -rf "$d"; return 1
		fi
		sleep 0.02
	done
	wall=$(elapsed "$t0" "$t")
	# a container that starts just after ready: give it 30 s more
	since=$SECONDS
	while [ "$system" = berth ] && [ "$ctr_wall" = - ] && [ $((SECONDS - since)) -lt 30 ]; do
		sleep 0.02
		tr -d '\r' 2>/dev/null <"$d/serial.log" >"$log" || :
		t=$(now)
		grep -qsE "$ctr_re" "$log" && ctr_wall=$(elapsed "$t0" "$t")
	done
	kill -9 "$pid" 2>/dev/null || :
	if [ "$system" = berth ]; then
		echo "$wall $(stamp "$marker" "$log") $(stamp 'berth\[[0-9.]+\]: init start$' "$log") $(stamp "$ctr_re" "$log") $ctr_wall"
	else
		echo "$wall $(stamp "$marker" "$log") - - -"
	fi
	rm -rf "$d"
}

# median_of FIGURE WHY: the median of the numbers on stdin (one a line; "-"
# and blank lines, a boot that lacked it, are skipped); none: null, and the
# figure and WHY on stderr
median_of() {
	local m
	m=$(awk '$1 ~ /^-?[0-9]+(\.[0-9]+)?$/ { print $1 }' | sort -n | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "null"; else if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	[ "$m" = null ] && lost "$1" "$2"
	echo "$m"
}

declare -A fig
for mode in direct uefi; do
	for system in floor berth; do
		f=$b/$system-$mode.txt
		: >"$f"
		for _ in $(seq "$RUNS"); do
			boot_once "$system" "$mode" >>"$f" || :
		done
	done
	f=$b/floor-$mode.txt
	none="none of $RUNS floor/$mode boots printed its init line"
	fig[floor-$mode-wall]=$(cut -d' ' -f1 "$f" | median_of "boot.$mode.floor_wall_s" "$none")
	fig[floor-$mode-guest]=$(cut -d' ' -f2 "$f" | median_of "boot.$mode.floor_guest_s" "$none")
	f=$b/berth-$mode.txt
	none="none of $RUNS berth/$mode boots reached ready"
	fig[berth-$mode-wall]=$(cut -d' ' -f1 "$f" | median_of "boot.$mode.ready_wall_s" "$none")
	fig[berth-$mode-guest]=$(cut -d' ' -f2 "$f" | median_of "boot.$mode.ready_guest_s" "$none")
	fig[userspace-$mode]=$(awk '$2 != "-" && $3 != "-" { printf "%.3f\n", $2 - $3 }' "$f" |
		median_of "userspace.init_start_to_ready_${mode}_s" "no berth/$mode boot printed both init start and ready")
	none="no berth/$mode boot printed a 'container ... started' line"
	fig[container-$mode]=$(cut -d' ' -f4 "$f" | median_of "boot.$mode.first_container_guest_s" "$none")
	fig[container-wall-$mode]=$(cut -d' ' -f5 "$f" | median_of "boot.$mode.first_container_wall_s" "$none")
done

# --- in one booted guest with the demo container: memory, the supervision's
# own memory per container, container start, update install rate
mem=null pid1=null sup=null per_ctr=null crun_s=null berth_s=null dd_rate=null apply_rate=null
d=$(mktemp -d "$b/vm.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ssh_vm() { ssh -q -i "$OUT/test/id_ed25519" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 root@127.0.0.1 "$@"; }
# why_ssh STATUS: "ssh exited 1: <the last line the command wrote on stderr>"
why_ssh() { printf 'ssh exited %s%s' "$1" "$(tail -n1 "$d/ssh.err" 2>/dev/null | sed 's/^/: /')"; }
# guest_num FIGURE COMMAND: the number COMMAND prints in the guest, else null
# and the figure and why on stderr
guest_num() {
	local v rc=0
	v=$(ssh_vm "$2" 2>"$d/ssh.err") || rc=$?
	if [ "$rc" -ne 0 ]; then lost "$1" "$(why_ssh "$rc")"; echo null
	elif ! is_num "$v"; then lost "$1" "the guest printed '$v', not a number"; echo null
	else echo "$v"; fi
}

# guest_two FIGURES COMMAND: the two numbers COMMAND prints in the guest, else
# "null null" and the figures and why on stderr
guest_two() {
	local v x y rc=0
	v=$(ssh_vm "$2" 2>"$d/ssh.err") || rc=$?
	read -r x y <<<"$v"
	if [ "$rc" -ne 0 ]; then lost "$1" "$(why_ssh "$rc")"; echo null null
	elif ! is_num "$x" || ! is_num "$y"; then lost "$1" "the guest printed '$v', not two numbers"; echo null null
	else echo "$x $y"; fi
}

# container start: berth run against crun run of the demo container's own
# bundle (read-only root, no network, the same command), five of each
container_start() {
	local names="container_start.berth_run_s, container_start.crun_run_s" cfg rc=0
	cfg=$(ssh_vm cat /var/lib/berth/containers/demo/bundle/config.json 2>"$d/ssh.err") || rc=$?
	[ "$rc" -eq 0 ] || { lost "$names" "reading the demo bundle's config.json: $(why_ssh "$rc")"; return 0; }
	jq -e '.root = {path: "/var/lib/berth/containers/demo/rootfs", readonly: true} | .process.args = ["/bin/sh", "-c", "exit 0"]
		| .process.terminal = false | del(.linux.cgroupsPath) | del(.hooks)' <<<"$cfg" >"$d/crun.json" 2>"$d/jq.err" ||
		{ lost "$names" "the demo bundle's config.json is not an OCI config: $(head -n1 "$d/jq.err")"; return 0; }
	ssh_vm 'mkdir -p /tmp/cb && cat >/tmp/cb/config.json' <"$d/crun.json" 2>"$d/ssh.err" || rc=$?
	[ "$rc" -eq 0 ] || { lost "$names" "copying the crun bundle's config.json in: $(why_ssh "$rc")"; return 0; }
	read -r crun_s berth_s <<<"$(guest_two "$names" 'u() { cut -d" " -f1 /proc/uptime; }
		a=$(u); for i in 1 2 3 4 5; do crun run -b /tmp/cb b$i >/dev/null || { echo "crun run failed" >&2; exit 1; }; done; b=$(u)
		for i in 1 2 3 4 5; do berth run --name r$i --network none demo:latest -c "exit 0" >/dev/null || { echo "berth run failed" >&2; exit 1; }; done; c=$(u)
		for i in 1 2 3 4 5; do berth rm r$i >/dev/null; done
		awk -v a="$a" -v b="$b" -v c="$c" "BEGIN { printf \"%.3f %.3f\n\", (b - a) / 5, (c - b) / 5 }"')"
}

# update install: `berth update apply` of a bundle against dd of its root image
update_rate() {
	local names="update.install_rate_mib_s, update.dd_rate_mib_s" bundle=$OUT/test/updates/berth-0.2.0.bundle rc=0
	tar xOf "$bundle" root.img >"$d/root.img" 2>"$d/tar.err" ||
		{ lost "$names" "no root.img in ${bundle#"$OUT"/}: $(head -n1 "$d/tar.err")"; return 0; }
	ssh_vm 'cat >/var/tmp/root.img' <"$d/root.img" 2>"$d/ssh.err" || rc=$?
	[ "$rc" -eq 0 ] || { lost "$names" "copying the root image in: $(why_ssh "$rc")"; return 0; }
	ssh_vm 'cat >/var/tmp/u.bundle' <"$bundle" 2>"$d/ssh.err" || rc=$?
	[ "$rc" -eq 0 ] || { lost "$names" "copying the bundle in: $(why_ssh "$rc")"; return 0; }
	read -r dd_rate apply_rate <<<"$(guest_two "$names" 'u() { cut -d" " -f1 /proc/uptime; }
		n=$(stat -c %s /var/tmp/root.img)
		a=$(u); dd if=/var/tmp/root.img of=/dev/vda3 bs=1M conv=fsync 2>/dev/null || { echo "dd to /dev/vda3 failed" >&2; exit 1; }; b=$(u)
		berth update apply /var/tmp/u.bundle >/dev/null 2>/var/tmp/apply.err || { tail -n1 /var/tmp/apply.err >&2; exit 1; }; c=$(u)
		awk -v n="$n" -v a="$a" -v b="$b" -v c="$c" "BEGIN { m = n / 1048576; printf \"%.2f %.2f\n\", m / (b - a + 0.005), m / (c - b + 0.005) }"')"
}

up=0
if qemu-img create -q -f qcow2 -b "$OUT/test/berth-demo.img" -F raw "$d/disk.qcow2" 2G &&
	VM_DIR=$d VM_SERIAL=$d/serial.log VM_DAEMON=1 VM_SSH_PORT=$port "$top/tests/lib/qemu.sh" "$d/disk.qcow2"; then
	for _ in $(seq 120); do ssh_vm true 2>/dev/null && { up=1; break; }; sleep 1; done
fi
if [ "$up" = 1 ]; then
	sleep 10
	used='awk "/^MemTotal:/ { t = \$2 } /^MemAvailable:/ { a = \$2 } END { print t - a }" /proc/meminfo'
	mem=$(guest_num memory.used_after_idle_boot_kib "$used")
	pid1=$(guest_num memory.pid1_rss_kib "awk '/^VmRSS:/ { print \$2 }' /proc/1/status")
	# Berth's own processes for one container: runsv, svlogd and berth ctr-exec
	sup=$(guest_num memory.supervision_rss_per_container_kib 'k=0; for p in /proc/[0-9]*; do
		c=$(tr "\0" " " <$p/cmdline 2>/dev/null) || continue
		case $c in "runsv demo "|"berth ctr-exec demo "|"/usr/bin/berth ctr-exec demo "|*svlogd*/containers/demo" ") ;; *) continue ;; esac
		r=$(sed -n "s/^VmRSS:[\t ]*\([0-9]*\).*/\1/p" $p/status); k=$((k + ${r:-0}))
	done; echo $k')
	# memory per extra container: four more demo containers
	if [ "$mem" = null ]; then
		lost memory.per_extra_container_kib "it needs memory.used_after_idle_boot_kib"
	elif ssh_vm 'for i in 1 2 3 4; do berth run -d --name extra$i demo:latest >/dev/null || exit 1; done' 2>"$d/ssh.err"; then
		sleep 10
		mem4=$(guest_num memory.per_extra_container_kib "$used")
		[ "$mem4" = null ] || per_ctr=$(( (mem4 - mem) / 4 ))
	else
		lost memory.per_extra_container_kib "starting 4 more demo containers: $(why_ssh "$?")"
	fi
	container_start
	update_rate
else
	lost "memory.*, container_start.*, update.*" "the guest did not boot or answer ssh in 120 s"
fi
[ -f "$d/qemu.pid" ] && { kill -9 "$(cat "$d/qemu.pid")" 2>/dev/null || :; }
rm -rf "$d"

# --- sizes
# size FIGURE FILE: FILE's size in bytes, else null and the figure on stderr
size() { stat -c %s "$2" 2>/dev/null || { lost "$1" "cannot stat ${2#"$OUT"/}"; echo null; }; }
zstd_size=null
if v=$(zstd -q -c -19 -T0 "$OUT/berth.img" | wc -c); then zstd_size=$v; else lost sizes.disk_zstd "zstd -19 of out/berth.img failed"; fi
raw_alloc=null
if v=$(du -k "$OUT/berth.img" | cut -f1) && is_num "$v"; then raw_alloc=$((v * 1024)); else lost sizes.disk_raw_allocated "du of out/berth.img failed"; fi
# every static binary for the image: out/rootfs-bin and Berth's own programs;
# not the links to them nor floor-init, the floor's /init
bins=$(for f in "$OUT"/rootfs-bin/* "$OUT"/bin/*; do
	if [ ! -f "$f" ] || [ -L "$f" ] || [ "$f" = "$OUT/bin/floor-init" ]; then continue; fi
	jq -n --arg n "${f##*/}" --argjson s "$(size "sizes.binaries.${f##*/}" "$f")" '{($n): $s}'
done | jq -s 'add')

# --- the peer a user would pick instead (optional: it is slow to build)
# peer_built DIR: build.sh writes out/sizes.json last, so the build in DIR is
# whole only when that parses and nothing else in out/ is newer
peer_built() {
	local o=$1/out f
	jq -e '.kernel_plus_initrd_bytes | numbers' "$o/sizes.json" >/dev/null 2>&1 || return 1
	for f in peer-root.ext4 vmlinuz initrd.img floor-initrd.cpio.gz; do
		[ -f "$o/$f" ] && [ ! "$o/$f" -nt "$o/sizes.json" ] || return 1
	done
}
peer=null
if [ "${BENCH_PEER:-0}" = 1 ]; then
	pw=$CACHE/peer
	peers=$top/../shared/peers/debian
	measured='{}' peer_sizes=null
	if [ ! -d "$peers" ]; then
		lost "peer.*" "$peers is missing"
	else
		mkdir -p "$pw"
		if ! peer_built "$pw"; then
			rm -f "$pw/out/sizes.json"
			PEER_WORK=$pw bash "$peers/build.sh" >"$pw/build.log" 2>&1 || :
		fi
		if ! peer_built "$pw"; then
			lost "peer.*" "the peer build did not finish, see $pw/build.log"
		else
			peer_sizes=$(cat "$pw/out/sizes.json")
			if PEER_WORK=$pw bash "$peers/measure.sh" "$RUNS" >"$b/peer.json" 2>"$b/peer.log" &&
				jq -e 'type == "object"' "$b/peer.json" >/dev/null 2>&1; then
				measured=$(cat "$b/peer.json")
			else
				lost "peer boots" "measure.sh failed, see $b/peer.log"
			fi
		fi
	fi
	# the medians and the sizes; every boot's own values stay in out/bench/peer.json
	peer=$(jq -n --argjson m "$measured" --argjson s "$peer_sizes" '{
		name: $m.peer, boots: $m.boots,
		median_guest_uptime_at_container_s: $m.median_guest_uptime_at_container_s,
		median_wall_to_container_s: $m.median_wall_to_container_s,
		median_idle_mem_used_kib: $m.median_idle_mem_used_kib,
		median_floor_guest_uptime_s: $m.median_floor_guest_uptime_s,
		median_floor_wall_to_marker_s: $m.median_floor_wall_to_marker_s,
		sizes: $s
	}')
fi

# --- berth pull beside skopeo copy, on the host (bench/pull.sh)
pull=null
if "$top/bench/pull.sh" "$b/pull" >"$b/pull.json" 2>"$b/pull.log" && jq -e 'type == "object"' "$b/pull.json" >/dev/null; then
	pull=$(cat "$b/pull.json")
else
	lost "pull.*" "bench/pull.sh failed, see $b/pull.log"
	pull='{"image_bytes": null, "berth_pull_s": null, "skopeo_copy_s": null, "berth_peak_rss_kib": null, "tls": {"curl_wolfssl_in_berth": null, "curl_wolfssl_in_provision": null, "ca_bundle": null, "total": null}}'
fi

jq -n \
	--argjson runs "$(num "$RUNS")" \
	--argjson bd "$(num "${fig[berth-direct-guest]}")" --argjson bdw "$(num "${fig[berth-direct-wall]}")" \
	--argjson bu "$(num "${fig[berth-uefi-guest]}")" --argjson buw "$(num "${fig[berth-uefi-wall]}")" \
	--argjson fd "$(num "${fig[floor-direct-guest]}")" --argjson fdw "$(num "${fig[floor-direct-wall]}")" \
	--argjson fu "$(num "${fig[floor-uefi-guest]}")" --argjson fuw "$(num "${fig[floor-uefi-wall]}")" \
	--argjson usd "$(num "${fig[userspace-direct]}")" --argjson usu "$(num "${fig[userspace-uefi]}")" \
	--argjson cd "$(num "${fig[container-direct]}")" --argjson cu "$(num "${fig[container-uefi]}")" \
	--argjson cdw "$(num "${fig[container-wall-direct]}")" --argjson cuw "$(num "${fig[container-wall-uefi]}")" \
	--argjson mem "$(num "$mem")" --argjson pid1 "$(num "$pid1")" --argjson perctr "$(num "$per_ctr")" --argjson sup "$(num "$sup")" \
	--argjson crun "$(num "$crun_s")" --argjson brun "$(num "$berth_s")" \
	--argjson ddr "$(num "$dd_rate")" --argjson apr "$(num "$apply_rate")" \
	--argjson uki "$(num "$(size sizes.uki "$OUT/berth.efi")")" --argjson root "$(num "$(size sizes.root_image "$OUT/root.img")")" \
	--argjson raw "$(num "$(size sizes.disk_raw "$OUT/berth.img")")" --argjson rawalloc "$(num "$raw_alloc")" \
	--argjson zst "$(num "$zstd_size")" --argjson initrd "$(num "$(size sizes.initramfs "$OUT/initramfs.cpio")")" \
	--argjson kernel "$(num "$(size sizes.kernel "$OUT/vmlinuz")")" --argjson bundle "$(num "$(size sizes.bundle "$OUT/berth-$VERSION.bundle")")" \
	--argjson bins "$bins" --argjson peer "$peer" --argjson pull "$pull" \
	--arg accel "${BERTH_ACCEL:-tcg}" '{
	runs: $runs, accel: $accel, clock: "guest CLOCK_BOOTTIME (s) and host wall clock from QEMU start (s), medians",
	boot: {
		direct: { ready_guest_s: $bd, ready_wall_s: $bdw, floor_guest_s: $fd, floor_wall_s: $fdw,
			first_container_guest_s: $cd, first_container_wall_s: $cdw },
		uefi: { ready_guest_s: $bu, ready_wall_s: $buw, floor_guest_s: $fu, floor_wall_s: $fuw,
			first_container_guest_s: $cu, first_container_wall_s: $cuw }
	},
	userspace: { init_start_to_ready_direct_s: $usd, init_start_to_ready_uefi_s: $usu },
	sizes: { uki: $uki, kernel: $kernel, initramfs: $initrd, root_image: $root, disk_raw: $raw,
		disk_raw_allocated: $rawalloc, disk_zstd: $zst, bundle: $bundle, binaries: $bins },
	memory: { used_after_idle_boot_kib: $mem, pid1_rss_kib: $pid1, per_extra_container_kib: $perctr,
		supervision_rss_per_container_kib: $sup },
	container_start: { berth_run_s: $brun, crun_run_s: $crun },
	update: { install_rate_mib_s: $apr, dd_rate_mib_s: $ddr },
	pull: $pull,
	peer: $peer
}' >"$b/figures.json"

# out/bench.json with its "missing" list, and the table
"$top/bench/report.sh" "$b/figures.json" "$OUT/bench.json"
echo "bench: $RUNS boot(s) per case under ${BERTH_ACCEL:-tcg}; out/bench.json"
