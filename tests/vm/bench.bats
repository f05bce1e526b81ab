#!/usr/bin/env bats
# `make bench` on one boot per case: valid JSON, every figure present and
# measured (a figure whose part has not landed would be null, never zero).

setup() { load ../lib/common; }

@test "make bench writes out/bench.json with every figure measured" {
	run env BENCH_RUNS=1 "$TOP/scripts/bench.sh"
	assert_success
	assert_line --regexp '^figure +Berth +floor +ratio +goal$'
	assert_line --regexp '^boot to first container, guest s \(direct\) +[0-9.]+ '
	refute_output --partial missing
	j=$OUT/bench.json
	run jq -e . "$j"
	assert_success
	for m in direct uefi; do
		for k in ready_guest_s ready_wall_s floor_guest_s floor_wall_s; do
			run jq -e ".boot.$m.$k | numbers | . > 0" "$j"
			assert_success
		done
		run jq -e ".boot.$m | .first_container_guest_s > 0 and .first_container_guest_s <= .ready_guest_s" "$j"
		assert_success
		run jq -e ".userspace.init_start_to_ready_${m}_s | numbers | . > 0 and . < 30" "$j"
		assert_success
	done
	for k in uki kernel initramfs root_image disk_raw disk_raw_allocated disk_zstd bundle; do
		run jq -e ".sizes.$k | numbers | . > 0" "$j"
		assert_success
	done
	run jq -e '.sizes.binaries | has("busybox") and has("crun") and has("init") and has("dropbearmulti")' "$j"
	assert_success
	run jq -e '.memory.used_after_idle_boot_kib > 1000 and .memory.pid1_rss_kib > 0' "$j"
	assert_success
	for k in .memory.per_extra_container_kib .memory.supervision_rss_per_container_kib \
		.container_start.berth_run_s .container_start.crun_run_s .update.install_rate_mib_s .update.dd_rate_mib_s; do
		run jq -e "$k | numbers | . > 0" "$j"
		assert_success
	done
	run jq -e '.missing == []' "$j"
	assert_success
	# a guest never reaches ready before its floor reaches /init
	run jq -e '.boot.direct.ready_guest_s > .boot.direct.floor_guest_s' "$j"
	assert_success
}
