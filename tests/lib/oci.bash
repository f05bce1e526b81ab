# Images for the image store's suites (image.bats, sparse.bats) and the image
# fuzz target's seeds (tests/lib/fuzz.bash): made by real tools (umoci,
# skopeo, GNU tar) and by hand for the hostile cases. Load after common.bash.

# oci_store: BERTH, D (the suite's files), T (the test's) and a store of the
# test's own, BERTH_ROOT
oci_store() {
	# shellcheck disable=SC2034 # the suites use them
	BERTH=$OUT/bin/berth D=$BATS_FILE_TMPDIR T=$BATS_TEST_TMPDIR
	export BERTH_ROOT=$BATS_TEST_TMPDIR/store
}

# oci_demo DIR: one image made with umoci in the layout DIR/demo: layer 1
# has busybox, a setuid file, a hardlink, a symlink, a file owned by
# 1000:1001 with an xattr; layer 2 deletes etc/gone (a whiteout). Tag "base"
# keeps the one-layer image. Copied by skopeo to DIR/img.tar (oci-archive,
# demo:2), DIR/base.tar (base:1), DIR/docker.tar (docker save, demo:1) and
# DIR/zst (an OCI layout with zstd layers).
oci_demo() {
	local d=$1 r=$1/bundle/rootfs
	umoci init --layout "$d/demo"
	umoci new --image "$d/demo:t"
	umoci unpack --image "$d/demo:t" "$d/bundle" >/dev/null
	mkdir -p "$r/bin" "$r/etc"
	cp "$OUT/rootfs-bin/busybox" "$r/bin/busybox"
	ln -s busybox "$r/bin/sh"
	echo hello >"$r/etc/hello"
	ln "$r/etc/hello" "$r/etc/hello2"
	chown 1000:1001 "$r/etc/hello"
	setfattr -n user.note -v tested "$r/etc/hello"
	printf '#!/bin/sh\n' >"$r/bin/su"
	chmod 4755 "$r/bin/su"
	echo doomed >"$r/etc/gone"
	umoci repack --refresh-bundle --image "$d/demo:t" "$d/bundle"
	umoci tag --image "$d/demo:t" base
	rm "$r/etc/gone"
	echo two >"$r/etc/second"
	umoci repack --image "$d/demo:t" "$d/bundle"
	skopeo copy -q "oci:$d/demo:t" "oci-archive:$d/img.tar:demo:2"
	skopeo copy -q "oci:$d/demo:base" "oci-archive:$d/base.tar:base:1"
	skopeo copy -q "oci:$d/demo:t" "docker-archive:$d/docker.tar:demo:1"
	skopeo copy -q --dest-compress-format zstd "oci:$d/demo:t" "oci:$d/zst:t"
}

# sparse_tars DIR: sparse files in DIR/src (f: data at 1 MiB and at 9 MiB of
# 10 MiB; hole: 5 MiB of nothing; tail: a hole, then data to the end;
# small: no hole at all), written by GNU tar in each pax sparse format to
# DIR/pax-V.tar (V 0.0, 0.1, 1.0) and as old GNU sparse to DIR/oldgnu.tar
sparse_tars() {
	local d=$1 s=$1/src v
	mkdir -p "$s"
	truncate -s 10M "$s/f"
	printf data | dd of="$s/f" bs=1 seek=1M conv=notrunc status=none
	printf end | dd of="$s/f" bs=1 seek=9M conv=notrunc status=none
	truncate -s 5M "$s/hole"
	truncate -s 3M "$s/tail"
	printf tail | dd of="$s/tail" bs=1 seek=3M conv=notrunc status=none
	echo small >"$s/small"
	chmod 640 "$s/f"
	chmod 600 "$s/hole"
	chmod 755 "$s/tail"
	touch -d '2024-01-02 03:04:05' "$s"/*
	for v in 0.0 0.1 1.0; do
		tar -C "$s" --format=posix --sparse --sparse-version="$v" -cf "$d/pax-$v.tar" f hole tail small
	done
	tar -C "$s" --format=gnu --sparse -cf "$d/oldgnu.tar" small f
}

# sparse_hostile DIR: sparse layer tars GNU tar would not write, one a
# refusal, in DIR/NAME.tar (tests/lib/sparse-hostile.py)
sparse_hostile() { python3 "$TOP/tests/lib/sparse-hostile.py" "$1"; }

# mkoci DIR NAME:TAG [--bad-diffid] LAYER.tar...: an OCI layout with
# uncompressed layers, digests computed by hand (tests/lib/mkoci.py)
mkoci() { python3 "$TOP/tests/lib/mkoci.py" "$@"; }

# assert_store_empty: nothing of a failed load is in the store, $BERTH_ROOT
assert_store_empty() {
	[ ! -e "$BERTH_ROOT/images.json" ] || jq -e '.images == []' "$BERTH_ROOT/images.json"
	[ -z "$(ls -A "$BERTH_ROOT/blobs/sha256")" ]
	[ -z "$(ls -A "$BERTH_ROOT/layers")" ]
	[ -z "$(ls -A "$BERTH_ROOT/tmp")" ]
}
