#!/usr/bin/env bats
# Sparse files in a layer: GNU tar's pax sparse formats 0.0, 0.1 and 1.0 are
# unpacked with their holes as holes and their real names, compared against
# GNU tar's own extraction; old GNU sparse ('S') and malformed maps are
# refused with one line, and nothing is stored.
# shellcheck disable=SC2154 # bats' run sets status, output, lines

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	load ../lib/oci
	berth_make "$OUT/bin/berth"
	sparse_tars "$BATS_FILE_TMPDIR"
}

setup() {
	load ../lib/common
	load ../lib/oci
	oci_store
}

# load_version V: the layer GNU tar wrote in sparse format V, unpacked as
# GNU tar extracts it, its holes kept, the layer counted at its real size
load_version() {
	local v=$1 l f
	mkdir "$T/gnu"
	tar -xf "$D/pax-$v.tar" -C "$T/gnu"
	mkoci "$T/img" "sparse:$v" "$D/pax-$v.tar"
	run "$BERTH" load "$T/img"
	assert_success
	assert_output "Loaded image: sparse:$v"
	l=$BERTH_ROOT/layers/$(jq -r '.images[0].layers[0] | sub("sha256:"; "")' "$BERTH_ROOT/images.json")
	# the real names, no GNUSparseFile.<pid> directory
	run ls -A "$l"
	assert_output $'f\nhole\nsmall\ntail'
	for f in f hole tail small; do
		cmp "$T/gnu/$f" "$l/$f"
		assert_equal "$(stat -c '%s %a %Y' "$l/$f")" "$(stat -c '%s %a %Y' "$T/gnu/$f")"
	done
	[ "$(stat -c %s "$l/f")" -eq 10485760 ]
	# allocated: the blocks that hold data (4 KiB each), not the holes
	for f in f hole tail; do
		[ "$(stat -c %b "$l/$f")" -le 64 ]
	done
	# 10 MiB + 5 MiB + 3 MiB + 10 bytes
	run "$BERTH" images
	assert_success
	assert_line --regexp "^sparse +${v//./\\.} +[0-9a-f]{12} .* 18\\.9MB\$"
}

@test "sparse: GNU tar's pax sparse 0.0 layer unpacks as GNU tar extracts it, holes kept" {
	load_version 0.0
}

@test "sparse: GNU tar's pax sparse 0.1 layer unpacks as GNU tar extracts it, holes kept" {
	load_version 0.1
}

@test "sparse: GNU tar's pax sparse 1.0 layer unpacks as GNU tar extracts it, holes kept" {
	load_version 1.0
}

@test "sparse: an old GNU sparse entry ('S') is refused with one line, and nothing is stored" {
	# GNU tar wrote it as type 'S': check, so the refusal is of what it says
	[ "$(dd if="$D/oldgnu.tar" bs=1 skip=$((1024 + 156)) count=1 status=none)" = S ]
	mkoci "$T/old" old:1 "$D/oldgnu.tar"
	run -1 "$BERTH" load "$T/old"
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp "^berth load: $T/old: layer sha256:[0-9a-f]{64}: tar: entry \"f\": unsupported entry type 'S', an old GNU sparse file: write it with tar --format=posix \(tar offset 1024\)$"
	assert_store_empty
}

@test "sparse: a malformed sparse map or an unknown sparse version is refused with one line, and nothing is stored" {
	sparse_hostile "$T"
	declare -A why=(
		[past]='sparse chunk 0 (offset 50, 100 bytes) runs past the real size 100'
		[notnum]='sparse map is not decimal numbers, one a line'
		[truncated]='sparse map ends after 3 of its 7 numbers'
		[unpadded]="sparse map runs past the entry's 6 bytes of data"
		[toomany]='sparse map of 65537 chunks, more than 65536'
		[version]='GNU sparse format 2.0: not supported (only 0.0, 0.1 and 1.0)'
		[overlap]='sparse chunk 1 (offset 5) overlaps or precedes the one before'
		[sum]='sparse map holds 10 bytes of data, the entry stores 20'
		[mapnum]='GNU.sparse.map is not comma-separated decimal numbers'
		[turn]='GNU.sparse.offset and GNU.sparse.numbytes out of turn'
	)
	for k in "${!why[@]}"; do
		mkoci "$T/$k" "$k:1" "$T/$k.tar"
		run -1 "$BERTH" load "$T/$k"
		[ "${#lines[@]}" -eq 1 ]
		assert_output "berth load: $T/$k: layer sha256:$(sha256sum <"$T/$k.tar" | cut -c1-64): tar: entry \"f\": ${why[$k]} (tar offset 1024)"
		assert_store_empty
	done
	# the real name goes through the same path checks as any other
	mkoci "$T/img-escape" escape:1 "$T/escape.tar"
	run -1 "$BERTH" load "$T/img-escape"
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp "^berth load: $T/img-escape: layer sha256:[0-9a-f]{64}: entry \"\.\./escape\": \"\.\.\" component: path leaves the layer \(tar offset 1024\)\$"
	assert_store_empty
	[ ! -e "$T/escape" ]
	[ ! -e "$BERTH_ROOT/escape" ]
}

@test "sparse: a sparse member of an image archive is refused with one line, and nothing is stored" {
	# a layer of 64 KiB of zeros, its blob copied with holes, then archived
	# by GNU tar with --sparse
	python3 -c 'import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("zeros"); i.size = 65536; t.addfile(i, io.BytesIO(bytes(65536)))' "$T/l.tar"
	mkoci "$T/img" zeros:1 "$T/l.tar"
	blob=$(sha256sum <"$T/l.tar" | cut -c1-64)
	cp --sparse=always "$T/img/blobs/sha256/$blob" "$T/b"
	mv "$T/b" "$T/img/blobs/sha256/$blob"
	tar -C "$T/img" --format=posix --sparse --sparse-version=1.0 -cf "$T/arch.tar" .
	grep -qa "GNUSparseFile.*$blob" "$T/arch.tar"
	run -1 "$BERTH" load "$T/arch.tar"
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp "^berth load: $T/arch.tar: archive member \"./blobs/sha256/$blob\": a sparse file, which Berth does not read from an image archive: write the archive without --sparse \(tar offset [0-9]+\)\$"
	assert_store_empty
}

@test "sparse: fuzz target seeds of sparse layers reach the end (libFuzzer: tests/host-slow)" {
	load ../lib/fuzz
	main=$(fuzz_main image)
	sparse_seeds "$T/seeds" "$D/oldgnu.tar"
	cd "$T/seeds"
	run --separate-stderr "$main" pax-0.0 pax-0.0-bites pax-0.1 pax-0.1-bites pax-1.0 pax-1.0-bites \
		oldgnu past truncated overlap turn
	assert_success
	assert_output "pax-0.0: layer ok
pax-0.0-bites: layer ok
pax-0.1: layer ok
pax-0.1-bites: layer ok
pax-1.0: layer ok
pax-1.0-bites: layer ok
oldgnu: layer refused
past: layer refused
truncated: layer refused
overlap: layer refused
turn: layer refused"
}
