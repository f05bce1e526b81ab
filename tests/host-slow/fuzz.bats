#!/usr/bin/env bats
# Every fuzz target under libFuzzer (clang, ASan and UBSan), from the seeds
# its parser's suite in tests/host runs through the target's plain main
# (tests/lib/fuzz.bash): a crash, a leak or undefined behaviour on any input
# libFuzzer makes of them fails the test. Berth's libraries are built for
# musl; they link into these glibc programs too.
# shellcheck disable=SC2154 # bats' run sets status, output, lines

setup_file() {
	load ../lib/common
	load ../lib/oci
	oci_demo "$BATS_FILE_TMPDIR/images"
	sparse_tars "$BATS_FILE_TMPDIR/sparse"
}

setup() {
	load ../lib/common
	load ../lib/oci
	load ../lib/fuzz
	T=$BATS_TEST_TMPDIR
}

@test "libFuzzer: the image archive, layer and manifest parsers, 20000 runs from the image seeds" {
	image_seeds "$T/seeds" "$BATS_FILE_TMPDIR/images"
	fuzz_libfuzzer image "$T/seeds" -runs=20000 -max_len=8192
	assert_output --partial 'Done 20000 runs'
}

@test "libFuzzer: the image target's sparse layers, 20000 runs from the sparse seeds" {
	sparse_seeds "$T/seeds" "$BATS_FILE_TMPDIR/sparse/oldgnu.tar"
	fuzz_libfuzzer image "$T/seeds" -runs=20000 -max_len=24576
	assert_output --partial 'Done 20000 runs'
}

@test "libFuzzer: the compose parser, 20000 runs from the fixtures" {
	compose_seeds "$T/seeds"
	mkdir "$T/yaml" "$T/empty"
	cp "$T"/seeds/*.yaml "$T/yaml/"
	# no env file beside the inputs: what env_file names is not there
	cd "$T/empty"
	fuzz_libfuzzer compose "$T/yaml" -runs=20000 -max_len=8192
	assert_output --partial 'Done 20000 runs'
}

@test "libFuzzer: the bundle, manifest, key and UKI name parsers, 20000 runs from the update seeds" {
	load ../lib/update
	W=$T
	minisign -G -W -f -s "$W/k.sec" -p "$W/k.pub" >/dev/null
	update_seeds "$T/seeds"
	fuzz_libfuzzer update "$T/seeds" -runs=20000 -max_len=8192
	assert_output --partial 'Done 20000 runs'
}

@test "libFuzzer: netcfg's network.conf parser, 10 s from its corpus" {
	fuzz_libfuzzer netcfg "$TOP/netcfg/fuzz/corpus" -close_fd_mask=3 -max_total_time=10
	echo "# libFuzzer: $(grep -m1 '^Done ' <<<"$output")" >&3
}

@test "libFuzzer: provision's user-data and network-config, 15 s from its corpus" {
	mkdir "$T/fuzz-root"
	export FUZZ_ROOT=$T/fuzz-root
	fuzz_libfuzzer provision "$TOP/provision/fuzz/corpus" -close_fd_mask=3 -max_total_time=15 -max_len=4096
	echo "# libFuzzer: $(grep -m1 '^Done ' <<<"$output")" >&3
}

@test "libFuzzer: status.json and the key=value state files, 50000 runs from the state seeds" {
	state_seeds "$T/seeds"
	fuzz_libfuzzer state "$T/seeds" -runs=50000 -max_len=4096
	assert_output --partial 'Done 50000 runs'
}

@test "libFuzzer: image references and registries.yaml, 20000 runs from the registry seeds" {
	mkdir "$T/seeds"
	cp "$TOP"/tests/host/fixtures/registry/* "$T/seeds/"
	TMPDIR=$T fuzz_libfuzzer registry "$T/seeds" -runs=20000 -max_len=4096
	assert_output --partial 'Done 20000 runs'
}
