#!/usr/bin/env bash
# bench.sh: `make bench`. Every figure beside its floor, measured in the same
# run: a table on stdout and out/bench.json. BENCH_RUNS boots per case
# (default 5; the median is reported); BENCH_PEER=1 also boots the Debian 12 +
# systemd + crun peer from ../shared/peers/debian (built once, cached).
# A figure whose part has not landed is "missing" (null in the JSON), never 0.
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

# boot_once SYSTEM MODE: prints "<wall s> <guest s at marker> [<guest s at init
# start> <guest s at the first container started>]"; Berth boots with the demo
# container defined (out/test/berth-demo.img)
boot_once() {
	local system=$1 mode=$2 d marker start ctr line t0 wall
	d=$(mktemp -d "$b/vm.XXXXXX")
	case $system in
	berth) qemu-img create -q -f qcow2 -b "$OUT/test/berth-demo.img" -F raw "$d/disk.qcow2" 2G
		disk=$d/disk.qcow2 marker='berth\[[0-9.]+\]: ready$' ;;
	floor) cp --sparse=always "$b/floor.img" "$d/disk.img"
		disk=$d/disk.img marker='berth-floor\[[0-9.]+\]: init$' ;;
	esac
	local env=(VM_DIR="$d" VM_SERIAL="$d/serial.log" VM_DAEMON=1)
	if [ "$mode" = direct ]; then
		env+=(VM_BOOT=direct)
		[ "$system" = floor ] && env+=(VM_INITRD="$b/floor.cpio" VM_APPEND="$floor_cmdline")
	fi
	t0=$(now)
	env "${env[@]}" "$top/tests/lib/qemu.sh" "$disk"
	local pid i=0
	pid=$(cat "$d/qemu.pid")
	until tr -d '\r' <"$d/serial.log" | grep -qE "$marker"; do
		sleep 0.02
		i=$((i + 1))
		[ "$i" -lt 15000 ] || { echo "bench: $system/$mode: no marker in 300 s" >&2; kill -9 "$pid"; exit 1; }
	done
	wall=$(echo "$(now) - $t0" | bc | xargs printf "%.3f")
	line=$(tr -d '\r' <"$d/serial.log" | grep -E "$marker" | head -1)
	start=$(tr -d '\r' <"$d/serial.log" | sed -nE 's/.*berth\[([0-9.]+)\]: init start$/\1/p' | head -1)
	ctr=$(tr -d '\r' <"$d/serial.log" | sed -nE 's/.*berth\[([0-9.]+)\]: container [^ ]+ started$/\1/p' | head -1)
	kill -9 "$pid" 2>/dev/null || true
	echo "$wall $(echo "$line" | sed -E 's/.*\[([0-9.]+)\].*/\1/') ${start:-} ${ctr:-}"
	rm -rf "$d"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "null"; else if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A fig
for mode in direct uefi; do
	for system in floor berth; do
		: >"$b/$system-$mode.txt"
		for _ in $(seq "$RUNS"); do
			boot_once "$system" "$mode" >>"$b/$system-$mode.txt"
		done
		fig[$system-$mode-wall]=$(cut -d' ' -f1 "$b/$system-$mode.txt" | median)
		fig[$system-$mode-guest]=$(cut -d' ' -f2 "$b/$system-$mode.txt" | median)
	done
	fig[userspace-$mode]=$(awk 'NF >= 3 { printf "%.3f\n", $2 - $3 }' "$b/berth-$mode.txt" | median)
	fig[container-$mode]=$(awk 'NF == 4 { print $4 }' "$b/berth-$mode.txt" | median)
done

# --- in one booted guest with the demo container: memory, the supervision's
# own memory per container, container start, update install rate
d=$(mktemp -d "$b/vm.XXXXXX")
qemu-img create -q -f qcow2 -b "$OUT/test/berth-demo.img" -F raw "$d/disk.qcow2" 2G
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
VM_DIR=$d VM_SERIAL=$d/serial.log VM_DAEMON=1 VM_SSH_PORT=$port "$top/tests/lib/qemu.sh" "$d/disk.qcow2"
ssh_vm() { ssh -q -i "$OUT/test/id_ed25519" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 root@127.0.0.1 "$@"; }
for _ in $(seq 120); do ssh_vm true 2>/dev/null && break; sleep 1; done
sleep 10
used='awk "/^MemTotal:/ { t = \$2 } /^MemAvailable:/ { a = \$2 } END { print t - a }" /proc/meminfo'
mem=$(ssh_vm "$used")
pid1=$(ssh_vm "awk '/^VmRSS:/ { print \$2 }' /proc/1/status")
# Berth's own processes for one container: runsv, svlogd and berth ctr-exec
sup=$(ssh_vm 'k=0; for p in /proc/[0-9]*; do
	c=$(tr "\0" " " <$p/cmdline 2>/dev/null) || continue
	case $c in "runsv demo "|"berth ctr-exec demo "|"/usr/bin/berth ctr-exec demo "|*svlogd*/containers/demo" ") ;; *) continue ;; esac
	r=$(sed -n "s/^VmRSS:[\t ]*\([0-9]*\).*/\1/p" $p/status); k=$((k + ${r:-0}))
done; echo $k')
# memory per extra container: four more demo containers
ssh_vm 'for i in 1 2 3 4; do berth run -d --name extra$i demo:latest >/dev/null; done'
sleep 10
mem4=$(ssh_vm "$used")
per_ctr=null
[ -n "$mem4" ] && [ -n "$mem" ] && per_ctr=$(( (mem4 - mem) / 4 ))
# container start: berth run against crun run of the demo container's own
# bundle (read-only root, no network, the same command), five of each
jq '.root = {path: "/var/lib/berth/containers/demo/rootfs", readonly: true} | .process.args = ["/bin/sh", "-c", "exit 0"]
	| .process.terminal = false | del(.linux.cgroupsPath) | del(.hooks)' \
	<<<"$(ssh_vm cat /var/lib/berth/containers/demo/bundle/config.json)" >"$d/crun.json"
ssh_vm 'mkdir -p /tmp/cb && cat >/tmp/cb/config.json' <"$d/crun.json"
read -r crun_s berth_s < <(ssh_vm 'u() { cut -d" " -f1 /proc/uptime; }
	a=$(u); for i in 1 2 3 4 5; do crun run -b /tmp/cb b$i >/dev/null || exit 1; done; b=$(u)
	for i in 1 2 3 4 5; do berth run --name r$i --network none demo:latest -c "exit 0" >/dev/null || exit 1; done; c=$(u)
	for i in 1 2 3 4 5; do berth rm r$i >/dev/null; done
	awk -v a="$a" -v b="$b" -v c="$c" "BEGIN { printf \"%.3f %.3f\n\", (b - a) / 5, (c - b) / 5 }"') || true
# update install: `berth update apply` of a bundle against dd of its root image
tar xOf "$OUT/test/updates/berth-0.2.0.bundle" root.img >"$d/root.img"
ssh_vm 'cat >/var/tmp/root.img' <"$d/root.img"
ssh_vm 'cat >/var/tmp/u.bundle' <"$OUT/test/updates/berth-0.2.0.bundle"
read -r dd_rate apply_rate < <(ssh_vm 'u() { cut -d" " -f1 /proc/uptime; }
	n=$(stat -c %s /var/tmp/root.img)
	a=$(u); dd if=/var/tmp/root.img of=/dev/vda3 bs=1M conv=fsync 2>/dev/null || exit 1; b=$(u)
	berth update apply /var/tmp/u.bundle >/dev/null 2>&1 || exit 1; c=$(u)
	awk -v n="$n" -v a="$a" -v b="$b" -v c="$c" "BEGIN { m = n / 1048576; printf \"%.2f %.2f\n\", m / (b - a + 0.005), m / (c - b + 0.005) }"') || true
kill -9 "$(cat "$d/qemu.pid")"
rm -rf "$d"

# --- sizes
size() { stat -c %s "$1"; }
zstd_size=$(zstd -q -c -19 -T0 "$OUT/berth.img" | wc -c)
bins=$(for f in "$OUT"/rootfs-bin/* "$OUT"/bin/*; do
	[ -L "$f" ] && continue
	jq -n --arg n "${f##*/}" --argjson s "$(size "$f")" '{($n): $s}'
done | jq -s 'add')

# --- the peer a user would pick instead (optional: it is slow to build)
peer=null
if [ "${BENCH_PEER:-0}" = 1 ]; then
	pw=$CACHE/peer
	mkdir -p "$pw"
	peers=$top/../shared/peers/debian
	[ -d "$peers" ] || { echo "bench: $peers is missing" >&2; exit 1; }
	if [ ! -f "$pw/out/peer-root.ext4" ]; then
		PEER_WORK=$pw bash "$peers/build.sh" >"$pw/build.log" 2>&1 || { echo "bench: peer build failed, see $pw/build.log" >&2; exit 1; }
	fi
	PEER_WORK=$pw bash "$peers/measure.sh" "$RUNS" >"$b/peer.json" 2>"$b/peer.log" || { echo "bench: peer measure failed, see $b/peer.log" >&2; exit 1; }
	peer=$(cat "$b/peer.json")
fi

n() { [ -n "${1:-}" ] && [ "$1" != null ] && echo "$1" || echo null; }
jq -n \
	--argjson runs "$RUNS" \
	--argjson bd "$(n "${fig[berth-direct-guest]}")" --argjson bdw "$(n "${fig[berth-direct-wall]}")" \
	--argjson bu "$(n "${fig[berth-uefi-guest]}")" --argjson buw "$(n "${fig[berth-uefi-wall]}")" \
	--argjson fd "$(n "${fig[floor-direct-guest]}")" --argjson fdw "$(n "${fig[floor-direct-wall]}")" \
	--argjson fu "$(n "${fig[floor-uefi-guest]}")" --argjson fuw "$(n "${fig[floor-uefi-wall]}")" \
	--argjson usd "$(n "${fig[userspace-direct]}")" --argjson usu "$(n "${fig[userspace-uefi]}")" \
	--argjson mem "$(n "$mem")" --argjson pid1 "$(n "$pid1")" --argjson perctr "$(n "$per_ctr")" --argjson sup "$(n "$sup")" \
	--argjson crun "$(n "${crun_s:-}")" --argjson brun "$(n "${berth_s:-}")" \
	--argjson ddr "$(n "${dd_rate:-}")" --argjson apr "$(n "${apply_rate:-}")" \
	--argjson cd "$(n "${fig[container-direct]}")" --argjson cu "$(n "${fig[container-uefi]}")" \
	--argjson uki "$(size "$OUT/berth.efi")" --argjson root "$(size "$OUT/root.img")" \
	--argjson raw "$(size "$OUT/berth.img")" --argjson rawalloc "$(( $(du -k "$OUT/berth.img" | cut -f1) * 1024 ))" \
	--argjson zst "$zstd_size" --argjson initrd "$(size "$OUT/initramfs.cpio")" \
	--argjson kernel "$(size "$OUT/vmlinuz")" --argjson bundle "$(size "$OUT/berth-$VERSION.bundle")" --argjson bins "$bins" --argjson peer "$peer" \
	--arg accel "${BERTH_ACCEL:-tcg}" '{
	runs: $runs, accel: $accel, clock: "guest CLOCK_BOOTTIME (s) and host wall clock from QEMU start (s), medians",
	boot: {
		direct: { ready_guest_s: $bd, ready_wall_s: $bdw, floor_guest_s: $fd, floor_wall_s: $fdw, first_container_guest_s: $cd },
		uefi: { ready_guest_s: $bu, ready_wall_s: $buw, floor_guest_s: $fu, floor_wall_s: $fuw, first_container_guest_s: $cu }
	},
	userspace: { init_start_to_ready_direct_s: $usd, init_start_to_ready_uefi_s: $usu },
	sizes: { uki: $uki, kernel: $kernel, initramfs: $initrd, root_image: $root, disk_raw: $raw,
		disk_raw_allocated: $rawalloc, disk_zstd: $zst, bundle: $bundle, binaries: $bins },
	memory: { used_after_idle_boot_kib: $mem, pid1_rss_kib: $pid1, per_extra_container_kib: $perctr,
		supervision_rss_per_container_kib: $sup },
	container_start: { berth_run_s: $brun, crun_run_s: $crun },
	update: { install_rate_mib_s: $apr, dd_rate_mib_s: $ddr },
	missing: [],
	peer: $peer
}' >"$OUT/bench.json.tmp"
mv "$OUT/bench.json.tmp" "$OUT/bench.json"

# --- the table
row() { printf '%-38s %12s %12s %8s  %s\n' "$@"; }
ratio() { [ "$1" = null ] || [ "$2" = null ] && { echo -; return; }; echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
miss() { [ "$1" = null ] && echo missing || echo "$1"; }
j() { jq -r "$1" "$OUT/bench.json"; }
row figure Berth floor ratio goal
for m in direct uefi; do
	row "boot to ready, guest s ($m)" "$(j ".boot.$m.ready_guest_s")" "$(j ".boot.$m.floor_guest_s")" "$(ratio "$(j ".boot.$m.ready_guest_s")" "$(j ".boot.$m.floor_guest_s")")" "<= floor + 0.5 s"
	row "boot to ready, wall s ($m)" "$(j ".boot.$m.ready_wall_s")" "$(j ".boot.$m.floor_wall_s")" "$(ratio "$(j ".boot.$m.ready_wall_s")" "$(j ".boot.$m.floor_wall_s")")" "<= floor + 1 s"
	row "boot to first container, guest s ($m)" "$(j ".boot.$m.first_container_guest_s")" "$(j ".boot.$m.floor_guest_s")" "$(ratio "$(j ".boot.$m.first_container_guest_s")" "$(j ".boot.$m.floor_guest_s")")" "<= floor + 1 s"
	row "userspace: init start to ready ($m)" "$(j ".userspace.init_start_to_ready_${m}_s")" - - "<= 0.5 s"
done
row "memory used after idle boot, KiB" "$(miss "$mem")" - - "<= 32768"
row "memory per extra container, KiB" "$(j .memory.per_extra_container_kib)" - - "<= 4096"
row "supervision RSS per container, KiB" "$(j .memory.supervision_rss_per_container_kib)" - - "<= 2048"
row "PID 1 RSS, KiB" "$(miss "$pid1")" - - "<= 1024"
row "UKI, bytes" "$(size "$OUT/berth.efi")" - - "<= 8 MiB"
row "root image with hash tree, bytes" "$(size "$OUT/root.img")" - - "<= 16 MiB"
row "disk image raw / allocated, bytes" "$(size "$OUT/berth.img")" "$(j .sizes.disk_raw_allocated)" - -
row "disk image zstd -19, bytes" "$zstd_size" - - "<= 16 MiB"
row "update bundle, bytes" "$(j .sizes.bundle)" - - "<= 16 MiB"
for f in $(j '.sizes.binaries | keys[]'); do row "  $f, bytes" "$(j ".sizes.binaries[\"$f\"]")" - - -; done
row "container start, s: berth run vs crun run" "$(j .container_start.berth_run_s)" "$(j .container_start.crun_run_s)" "$(ratio "$(j .container_start.berth_run_s)" "$(j .container_start.crun_run_s)")" "<= 1.2x crun"
row "update install MiB/s vs dd" "$(j .update.install_rate_mib_s)" "$(j .update.dd_rate_mib_s)" "$(ratio "$(j .update.install_rate_mib_s)" "$(j .update.dd_rate_mib_s)")" ">= 0.8x dd"
if [ "$peer" != null ]; then
	row "peer: to container (Berth: to ready), s" "$(j .boot.direct.ready_guest_s)" "$(j .peer.median_guest_uptime_at_container_s)" "$(ratio "$(j .boot.direct.ready_guest_s)" "$(j .peer.median_guest_uptime_at_container_s)")" "Berth < peer"
	row "peer Debian: idle memory, KiB" "$(miss "$mem")" "$(j .peer.median_idle_mem_used_kib)" "$(ratio "$(n "$mem")" "$(j .peer.median_idle_mem_used_kib)")" "Berth < peer"
	row "peer Debian: kernel+initramfs, bytes" "$(j .sizes.uki)" "$(j .peer.sizes.kernel_plus_initrd_bytes)" "$(ratio "$(j .sizes.uki)" "$(j .peer.sizes.kernel_plus_initrd_bytes)")" "Berth < peer"
fi
echo "bench: $RUNS boot(s) per case under ${BERTH_ACCEL:-tcg}; out/bench.json"
