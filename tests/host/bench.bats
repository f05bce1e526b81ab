#!/usr/bin/env bats
# The end of `make bench` without QEMU: bench/report.sh writes out/bench.json
# and prints the table from sample figures (fixtures/bench). A null figure
# prints as "missing", never as null or 0, and is named in .missing; every
# figure in the JSON has a row (each nulled in turn: one report.sh run on a
# stream of documents, one a figure).
# shellcheck disable=SC2154 # bats' run sets status, output, lines

setup() {
	load ../lib/common
	FIX=$TOP/tests/host/fixtures/bench
	T=$BATS_TEST_TMPDIR
}

# report FILTER: bench/report.sh on the sample figures changed by jq's FILTER
report() {
	jq "$1" "$FIX/figures.json" >"$T/figures.json"
	run "$TOP/bench/report.sh" "$T/figures.json" "$T/bench.json"
}

@test "bench report: every figure measured: .missing is [], the table has no missing and no null" {
	report .
	assert_success
	assert_line --index 0 --regexp '^figure +Berth +floor +ratio +goal$'
	assert_line --regexp '^boot to ready, guest s \(direct\) +2\.307 +1\.33 +1\.73 +<= floor \+ 0\.5 s$'
	assert_line --regexp '^boot to first container, wall s \(direct\) +6\.598 +5\.684 +1\.16 +<= floor '
	assert_line --regexp '^boot to first container, wall s \(uefi\) +7\.211 +6\.146 +1\.17 +<= floor '
	assert_line --regexp '^  initramfs-init, bytes +109952 +- +- +-$'
	refute_output --partial missing
	refute_output --partial null
	run jq -c .missing "$T/bench.json"
	assert_output '[]'
	# the figures themselves pass through as they are
	run jq -e --slurpfile f "$FIX/figures.json" 'del(.missing) == $f[0]' "$T/bench.json"
	assert_success
}

@test "bench report: a null figure prints as missing and is named in .missing" {
	report '.update.dd_rate_mib_s = null'
	assert_success
	assert_line --regexp '^update install MiB/s vs dd +4\.18 +missing +- +>= 0\.8x dd$'
	assert_line 'bench: missing: update.dd_rate_mib_s'
	refute_output --partial null
	run jq -c '[.missing, .update.dd_rate_mib_s]' "$T/bench.json"
	assert_output '[["update.dd_rate_mib_s"],null]'
}

@test "bench report: every figure in the JSON has a row that prints missing when it is null" {
	# one report.sh run on a stream of documents, each the sample with one
	# figure null, instead of a run a figure (a quarter second each): its
	# jq steps take each document on its own and its awk each line, so the
	# output is each document's table in turn (a header line starts each),
	# then their "bench: missing:" lines, and BENCH.json holds each
	# document's result in turn
	local names i
	mapfile -t names < <(jq -r 'paths(numbers) | select(. != ["runs"]) | join(".")' "$FIX/figures.json")
	[ "${#names[@]}" -gt 30 ]
	jq -c '. as $f | paths(numbers) | select(. != ["runs"]) | . as $p | $f | setpath($p; null)' \
		"$FIX/figures.json" >"$T/figures.json"
	run "$TOP/bench/report.sh" "$T/figures.json" "$T/bench.json"
	assert_success
	refute_output --partial null
	# rows that print missing, table by table: a row of the table, not only
	# the closing list
	local -a rows
	mapfile -t rows < <(awk '/^figure +Berth +floor +ratio +goal$/ { n++; m[n] = 0 }
		!/^bench: missing: / && / missing / { m[n]++ }
		END { for (i = 1; i <= n; i++) print m[i] }' <<<"$output")
	assert_equal "${#rows[@]}" "${#names[@]}"
	for i in "${!names[@]}"; do
		[ "${rows[i]}" -gt 0 ] || fail "${names[i]}: no row prints missing"
	done
	run jq -c .missing "$T/bench.json"
	assert_output "$(printf '["%s"]\n' "${names[@]}")"
}

@test "bench report: the peer's boot to its container is beside Berth's first container, its root beside the root and disk images" {
	report ".peer = $(cat "$FIX/peer.json")"
	assert_success
	assert_line --regexp '^against the peer .* +Berth +peer +ratio +goal$'
	assert_line --regexp '^peer: boot to first container, guest s \(direct\) +2\.305 +13\.36 +0\.17 +Berth < peer$'
	assert_line --regexp '^peer: boot to first container, wall s \(direct\) +6\.598 +13\.838 +0\.48 +Berth < peer$'
	assert_line --regexp '^peer: idle memory, KiB +28832 +149692 +0\.19 '
	assert_line --regexp '^peer: kernel \+ initramfs, bytes +4595553 +28394158 +0\.16 '
	# the peer's root: du of its tree (KiB in its sizes.json) and its ext4 image
	assert_line --regexp '^peer: root fs, bytes .* +2695168 +328568832 +0\.01 '
	assert_line --regexp '^peer: disk image, bytes .* +740294656 +597688320 +1\.24 '
	assert_line --regexp '^peer: disk image allocated, bytes +7905280 +346300416 +0\.02 '
	refute_output --partial missing
	refute_output --partial null
	run jq -c .missing "$T/bench.json"
	assert_output '[]'
}

@test "bench report: a peer figure that is null prints as missing and is named in .missing" {
	report ".peer = $(cat "$FIX/peer.json") | .peer.median_guest_uptime_at_container_s = null"
	assert_success
	assert_line --regexp '^peer: boot to first container, guest s \(direct\) +2\.305 +missing +- +Berth < peer$'
	run jq -c .missing "$T/bench.json"
	assert_output '["peer.median_guest_uptime_at_container_s"]'
	local k n=0
	for k in $(jq -r 'keys[] | select(startswith("median_"))' "$FIX/peer.json"); do
		report ".peer = $(cat "$FIX/peer.json") | .peer.$k = null"
		grep -v '^bench: missing: ' <<<"$output" | grep -q ' missing ' || fail "peer.$k: no row prints missing"
		n=$((n + 1))
	done
	[ "$n" -eq 5 ]
}
