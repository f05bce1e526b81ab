#!/usr/bin/env bats
# The berth command's parts (berth/parts.mk): the build enforces the edges.
# A copy of the sources is built once; each test breaks one edge in the copy
# and checks that the build fails, naming what crossed it.
# shellcheck disable=SC2154 # bats' run --separate-stderr sets stderr

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	local s=$BATS_FILE_TMPDIR/src
	mkdir -p "$s/out"
	cp -r "$TOP/Makefile" "$TOP/VERSION" "$TOP/berth" "$TOP/lib" "$TOP/scripts" "$s/"
	for d in sysroot toolchain pkgs; do
		ln -s "$(readlink -f "$OUT/$d")" "$s/out/$d"
	done
	make -s -C "$s" OUT="$s/out" "$s/out/obj/berth-edges.ok" >&2
}

setup() {
	load ../lib/common
	S=$BATS_FILE_TMPDIR/src
}

# edit FILE TEXT: append TEXT to FILE in the copy (put back by teardown)
edit() {
	[ -f "$S/$1.orig" ] || cp "$S/$1" "$S/$1.orig"
	printf '%s\n' "$2" >>"$S/$1"
	echo "$1" >>"$BATS_TEST_TMPDIR/edited"
}

teardown() {
	local f
	[ -f "$BATS_TEST_TMPDIR/edited" ] || return 0
	while read -r f; do
		# touched: make must rebuild the object from the file put back
		if [ -f "$S/$f.orig" ]; then
			mv "$S/$f.orig" "$S/$f" && touch "$S/$f"
		fi
	done <"$BATS_TEST_TMPDIR/edited"
	return 0
}

edges() { make -s -C "$S" OUT="$S/out" "$S/out/obj/berth-edges.ok"; }

# edges_refuse FILE TEXT WHY: with TEXT appended to FILE, the edge check
# fails, and its stderr (in $stderr) says WHY
edges_refuse() {
	edit "$1" "$2"
	run --separate-stderr edges
	assert_failure
	[[ "$stderr" == *"$3"* ]]
}

@test "the tree as it is passes the edge check, and berth links from the parts' archives" {
	run "$S/scripts/part-edges.sh" "$S/out/obj"
	assert_success
	run make -s -C "$S" OUT="$S/out" "$S/out/bin/berth"
	assert_success
	run "$S/out/bin/berth" help
	assert_success
	assert_output --partial 'compose-check'
}

@test "an include of a part that is not in USES fails to compile: image cannot see ctr.h" {
	edges_refuse berth/image/refs.c '#include "ctr.h"' 'ctr.h: No such file or directory'
}

@test "a call into a part that is not in USES fails the build, naming the symbol and both parts" {
	# a prototype written by hand steps around the include path; nm sees it
	edges_refuse berth/image/refs.c 'void ctr_paths_init(void *p);
void image_reaches_into_ctr(void) { ctr_paths_init(0); }' \
		'berth/image calls ctr_paths_init, which berth/ctr defines: ctr is not in USES_image (berth/parts.mk)'
}

@test "a call outside a declared CALLS_ list fails the build: ctr may not write images.json" {
	edges_refuse berth/ctr/image.c \
		'void ctr_writes_refs(struct store *st, struct image_refs *r, struct err *e) { refs_write(st, r, e); }' \
		'berth/ctr calls refs_write of berth/image, which is not in CALLS_ctr_image (berth/parts.mk)'
}

@test "an include by relative path into another part fails the build" {
	edges_refuse berth/net/state.c '#include "../ctr/ctr.h"' 'berth/net/state.c'
	[[ "$stderr" == *'berth/net/state.c'*'#include "../ctr/ctr.h"'* ]]
	[[ "$stderr" == *'includes by relative path'* ]]
}
