#!/usr/bin/env bats
# Reproducible images: the image assembly (root image, initramfs, UKI, disk,
# bundle) run twice from one package set gives the same bytes; a build that
# differs is named with its file and first differing offset. `make
# reproduce` does the whole build twice in two clones (docs/BUILD.md).
# shellcheck disable=SC2154 # bats' run sets status, output, lines

setup() {
	load ../lib/common
	[ -f "$OUT/vmlinuz" ] && [ -x "$OUT/bin/init" ] || skip "needs make all progs (make check builds them)"
}

@test "the image steps twice from one package set: every shipped output byte-identical, bundle without its signature" {
	run env REPRODUCE_IMAGE_ONLY=1 REPRODUCE_DIR="$BATS_TEST_TMPDIR/r" "$TOP/scripts/reproduce.sh"
	assert_success
	for f in root.img initramfs.cpio berth.efi berth.img vmlinuz cmdline manifest.json; do
		assert_line --regexp "^reproduce: same: $f \\([0-9a-f]{16}\\)\$"
	done
	assert_line --regexp '^reproduce: same: berth-.*\.bundle member manifest.json '
	assert_line --regexp '^reproduce: same: berth-.*\.bundle member root.img '
	refute_line --partial 'minisig'
	assert_line --partial 'reproduce: every shipped output is byte-identical'
}

@test "a build that differs (another SOURCE_DATE_EPOCH) is named: the file and its first differing offset" {
	run env REPRODUCE_IMAGE_ONLY=1 REPRODUCE_DIR="$BATS_TEST_TMPDIR/r" REPRODUCE_B_ENV=SOURCE_DATE_EPOCH=86400 \
		"$TOP/scripts/reproduce.sh"
	assert_failure 1
	assert_line --regexp '^reproduce: DIFFERS: root.img: first difference at byte offset [0-9]+$'
	assert_line --partial 'reproduce: the two builds differ'
}
