#!/usr/bin/env bats
# `make bench` on one boot per case: valid JSON with every field present and
# of its type, every figure measured (a figure whose part has not landed or
# whose measurement failed would be null and named in .missing, never 0), and
# a table with no "missing" and no "null" in it.
# shellcheck disable=SC2154 # bats' run sets status, output, lines

setup() { load ../lib/common; }

@test "make bench writes out/bench.json with every figure measured" {
	run env BENCH_RUNS=1 "$TOP/scripts/bench.sh"
	assert_success
	assert_line --regexp '^figure +Berth +floor +ratio +goal$'
	for m in direct uefi; do
		assert_line --regexp "^boot to first container, guest s \\($m\\) +[0-9.]+ +[0-9.]+ +[0-9.]+ "
		assert_line --regexp "^boot to first container, wall s \\($m\\) +[0-9.]+ +[0-9.]+ +[0-9.]+ "
	done
	refute_output --partial missing
	refute_output --partial null
	j=$OUT/bench.json
	run jq -e . "$j"
	assert_success

	# every field of out/bench.json, PATH:TYPE ("peer" is null without BENCH_PEER)
	local fields=(runs:number accel:string clock:string missing:array peer:null) m k f
	for m in direct uefi; do
		for k in ready_guest_s ready_wall_s floor_guest_s floor_wall_s first_container_guest_s first_container_wall_s; do
			fields+=("boot.$m.$k:number")
		done
		fields+=("userspace.init_start_to_ready_${m}_s:number")
	done
	for k in uki kernel initramfs root_image disk_raw disk_raw_allocated disk_zstd bundle; do
		fields+=("sizes.$k:number")
	done
	for k in used_after_idle_boot_kib pid1_rss_kib per_extra_container_kib supervision_rss_per_container_kib; do
		fields+=("memory.$k:number")
	done
	fields+=(container_start.berth_run_s:number container_start.crun_run_s:number
		update.install_rate_mib_s:number update.dd_rate_mib_s:number)
	for k in image_bytes berth_pull_s skopeo_copy_s berth_peak_rss_kib tls.curl_wolfssl_in_berth \
		tls.curl_wolfssl_in_provision tls.ca_bundle tls.total; do
		fields+=("pull.$k:number")
	done
	# every static binary meant for the image: these at least, and every
	# program in out/rootfs-bin and out/bin but the links and the floor's /init
	local bins=(busybox crun doas dropbearmulti berth init initramfs-init netcfg provision)
	for f in "$OUT"/rootfs-bin/* "$OUT"/bin/*; do
		if [ -f "$f" ] && [ ! -L "$f" ] && [ "${f##*/}" != floor-init ]; then bins+=("${f##*/}"); fi
	done
	for f in "${bins[@]}"; do fields+=("sizes.binaries.$f:number"); done

	# each is there, of its type, and a number is above 0
	for f in "${fields[@]}"; do
		run jq -e --arg p "${f%:*}" --arg t "${f##*:}" \
			'getpath($p | split(".")) | type == $t and ($t != "number" or . > 0)' "$j"
		[ "$status" -eq 0 ] || fail "out/bench.json: ${f%:*}: want a ${f##*:}: $(jq -c --arg p "${f%:*}" 'getpath($p | split("."))' "$j")"
	done
	# and nothing else is
	run bash -c "jq -r 'paths(type != \"object\") | map(tostring) | join(\".\")' '$j' | sort"
	assert_output "$(printf '%s\n' "${fields[@]%:*}" | sort -u)"

	run jq -c .missing "$j"
	assert_output '[]'
	run jq -r .runs "$j"
	assert_output 1
	for m in direct uefi; do
		run jq -e ".boot.$m | .first_container_guest_s <= .ready_guest_s and .first_container_wall_s <= .ready_wall_s" "$j"
		assert_success
		run jq -e ".userspace.init_start_to_ready_${m}_s < 30" "$j"
		assert_success
	done
	run jq -e '.memory.used_after_idle_boot_kib > 1000' "$j"
	assert_success
	# a guest never reaches ready before its floor reaches /init
	run jq -e '.boot.direct.ready_guest_s > .boot.direct.floor_guest_s' "$j"
	assert_success
}
