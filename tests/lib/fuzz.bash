# The fuzz targets' seeds, and their two runs: the seeds through
# out/fuzz/NAME-main (berth/fuzz/fuzz-main.c, in each parser's suite under
# tests/host) and libFuzzer from them (tests/host-slow/fuzz.bats). Load after
# common.bash (and oci.bash for the image seeds).

# fuzz_main NAME: out/fuzz/NAME-main, copied to $BATS_TEST_TMPDIR/NAME-main
# (a later make cannot swap it under the test); prints the copy's path
fuzz_main() {
	berth_make "$OUT/fuzz/$1-main" || return 1
	cp "$OUT/fuzz/$1-main" "$BATS_TEST_TMPDIR/$1-main" && echo "$BATS_TEST_TMPDIR/$1-main"
}

# fuzz_libfuzzer NAME SEEDS LIBFUZZER-OPTION...: out/fuzz/NAME-libfuzzer
# (ASan, UBSan; clang) from a corpus of SEEDS' files, run in the current
# directory until libFuzzer says it is done; its output in $output
fuzz_libfuzzer() {
	local name=$1 seeds=$2 corpus=$BATS_TEST_TMPDIR/corpus-$1
	shift 2
	command -v clang >/dev/null || skip "no clang: no libFuzzer (the seeds ran in tests/host)"
	berth_make "$OUT/fuzz/$name-libfuzzer"
	cp "$OUT/fuzz/$name-libfuzzer" "$BATS_TEST_TMPDIR/$name-libfuzzer"
	mkdir -p "$corpus"
	cp "$seeds"/* "$corpus/"
	run "$BATS_TEST_TMPDIR/$name-libfuzzer" "$@" "$corpus"
	assert_success
	assert_output --partial 'Done '
}

# image_seeds DIR IMAGES: the image target's seeds in DIR, from the images
# oci_demo wrote in IMAGES (tests/lib/image-seeds.py, and the two archives
# whole, selector 1)
image_seeds() {
	mkdir -p "$1"
	python3 "$TOP/tests/lib/image-seeds.py" "$1" "$2/demo" "$2/docker.tar"
	{ printf '\001'; cat "$2/img.tar"; } >"$1/oci-archive"
	{ printf '\001'; cat "$2/docker.tar"; } >"$1/docker-archive"
}

# sparse_seeds DIR OLDGNU: sparse layers for the image target in DIR: small
# sparse files (libFuzzer's inputs stay short) in each pax sparse format,
# whole (selector 0) and read 63 bytes at a time (0xfc); the old GNU sparse
# layer OLDGNU; four of sparse_hostile's
sparse_seeds() {
	local d=$1 w=$1.work v k
	mkdir -p "$d" "$w/small"
	sparse_hostile "$w"
	# 40 KiB with one byte at 12 KiB, and 30 KiB of hole
	truncate -s 40K "$w/small/a"
	printf x | dd of="$w/small/a" bs=1 seek=12K conv=notrunc status=none
	truncate -s 30K "$w/small/b"
	for v in 0.0 0.1 1.0; do
		tar -C "$w/small" --format=posix --sparse --sparse-version="$v" -cf "$w/s.tar" a b
		{ printf '\000'; cat "$w/s.tar"; } >"$d/pax-$v"
		{ printf '\374'; cat "$w/s.tar"; } >"$d/pax-$v-bites"
	done
	{ printf '\000'; cat "$2"; } >"$d/oldgnu"
	for k in past truncated overlap turn; do
		{ printf '\000'; cat "$w/$k.tar"; } >"$d/$k"
	done
}

# compose_seeds DIR: the compose target's seeds, the definitions of
# tests/host/fixtures/compose with their env files beside them (the target
# reads fuzz.yaml's env_file from the working directory)
compose_seeds() {
	mkdir -p "$1"
	cp "$TOP/tests/host/fixtures/compose"/ok/* "$TOP/tests/host/fixtures/compose"/bad/* "$1/"
}

# state_seeds DIR: the state target's seeds: a whole status.json (selector
# 0), one with a field of the wrong type, a key=value file with every field
# type (selector 1) and one with a value its enum does not allow
state_seeds() {
	mkdir -p "$1"
	printf '\000%s' '{"datasource": "nocloud", "instance_id": "i-0001", "new_instance": false, "modules": [
 {"name": "users", "result": "error", "messages": ["user-data:11: users[1].name: \"x\": not a valid user name"]},
 {"name": "hostname", "result": "ok", "messages": []}]}' >"$1/status"
	printf '\000%s' '{"datasource": "nocloud", "instance_id": 7, "new_instance": false, "modules": []}' >"$1/status-type"
	printf '\001name=web\ncount=3\npid=\nsince=1700000000\ncolour=blue\nother=kept out\n' >"$1/kv"
	printf '\001name=web\ncolour=purple\n' >"$1/kv-enum"
}
