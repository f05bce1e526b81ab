#!/usr/bin/env bats
# Sparse files in a layer: GNU tar's pax sparse formats 0.0, 0.1 and 1.0 are
# unpacked with their holes as holes and their real names, compared against
# GNU tar's own extraction; old GNU sparse ('S') and malformed maps are
# refused with one line, and nothing is stored.
# shellcheck disable=SC2154 # bats' run sets status, output, lines

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	cd "$TOP" || return 1
	[ -f "$OUT/sysroot/usr/lib/libzstd.a" ] || scripts/pkg.sh zstd >&2
	make -s "$OUT/bin/berth" >&2

	# f: data at 1 MiB and at 9 MiB of 10 MiB; hole: 5 MiB of nothing;
	# tail: a hole, then data to the end; small: no hole at all
	local d=$BATS_FILE_TMPDIR s=$BATS_FILE_TMPDIR/src
	mkdir "$s"
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
	write_mkoci "$d/mkoci.py"
}

setup() {
	load ../lib/common
	BERTH=$OUT/bin/berth
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	export BERTH_ROOT=$T/store
}

# mkoci.py DIR NAME:TAG LAYER.tar...: an OCI layout with uncompressed
# layers, digests computed by hand
write_mkoci() {
	cat >"$1" <<-'EOF'
		import hashlib, json, os, sys
		out, ref, layers = sys.argv[1], sys.argv[2], sys.argv[3:]
		os.makedirs(out + "/blobs/sha256")
		def blob(data, mt):
		    h = hashlib.sha256(data).hexdigest()
		    open(out + "/blobs/sha256/" + h, "wb").write(data)
		    return {"mediaType": mt, "digest": "sha256:" + h, "size": len(data)}
		descs = [blob(open(p, "rb").read(), "application/vnd.oci.image.layer.v1.tar") for p in layers]
		config = blob(json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
		    "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descs]}, "config": {}}).encode(),
		    "application/vnd.oci.image.config.v1+json")
		man = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		    "config": config, "layers": descs}).encode(), "application/vnd.oci.image.manifest.v1+json")
		man["annotations"] = {"org.opencontainers.image.ref.name": ref}
		json.dump({"schemaVersion": 2, "manifests": [man]}, open(out + "/index.json", "w"))
		json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
	EOF
}

mkoci() { python3 "$D/mkoci.py" "$@"; }

# nothing of a failed load is in the store
assert_store_empty() {
	[ ! -e "$BERTH_ROOT/images.json" ] || jq -e '.images == []' "$BERTH_ROOT/images.json"
	[ -z "$(ls -A "$BERTH_ROOT/blobs/sha256")" ]
	[ -z "$(ls -A "$BERTH_ROOT/layers")" ]
	[ -z "$(ls -A "$BERTH_ROOT/tmp")" ]
}

# hostile.py DIR: sparse entries GNU tar would not write, each in DIR/NAME.tar
# after a 6-byte file, so the sparse entry's headers start at tar offset 1024
write_hostile() {
	python3 - "$1" <<-'EOF'
		import io, sys, tarfile
		out = sys.argv[1]
		def layer(name, pax, data, member="GNUSparseFile.0/f", raw=None):
		    with tarfile.open(out + "/" + name + ".tar", "w", format=tarfile.PAX_FORMAT) as tf:
		        i = tarfile.TarInfo("small"); i.size = 6
		        tf.addfile(i, io.BytesIO(b"small\n"))
		        if raw is not None:
		            # an extended header written by hand: repeated keys, in order
		            recs = b""
		            for k, v in raw:
		                body = " %s=%s\n" % (k, v)
		                n = len(body) + 1
		                while len(str(n)) + len(body) != n:
		                    n += 1
		                recs += (str(n) + body).encode()
		            x = tarfile.TarInfo("PaxHeaders/f"); x.type = tarfile.XHDTYPE; x.size = len(recs)
		            tf.addfile(x, io.BytesIO(recs))
		        i = tarfile.TarInfo(member); i.size = len(data); i.pax_headers = pax
		        tf.addfile(i, io.BytesIO(data))
		def v1(name, realsize, maptext, data, major="1", pad=True):
		    m = maptext.encode()
		    if pad:
		        m += b"\0" * (-len(m) % 512)
		    layer(name, {"GNU.sparse.major": major, "GNU.sparse.minor": "0", "GNU.sparse.name": "f",
		                 "GNU.sparse.realsize": str(realsize)}, m + data)
		def v01(name, realsize, sparse_map, data):
		    layer(name, {"GNU.sparse.size": str(realsize), "GNU.sparse.name": "f",
		                 "GNU.sparse.map": sparse_map}, data)
		v1("past", 100, "1\n50\n100\n", b"x" * 100)
		v1("notnum", 100, "1\n5O\n10\n", b"x" * 10)
		v1("truncated", 100, "3\n0\n10\n", b"x" * 10)
		v1("unpadded", 100, "1\n0\n5\n", b"", pad=False)
		v1("toomany", 100, "65537\n", b"")
		v1("version", 100, "1\n0\n10\n", b"x" * 10, major="2")
		v01("overlap", 100, "0,10,5,10", b"x" * 20)
		v01("sum", 100, "0,10", b"x" * 20)
		v01("mapnum", 100, "0,ten", b"x" * 10)
		layer("escape", {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "../escape",
		                 "GNU.sparse.realsize": "10"}, b"1\n0\n10\n".ljust(512, b"\0") + b"x" * 10)
		layer("turn", {}, b"x" * 10, member="f",
		      raw=[("GNU.sparse.size", "100"), ("GNU.sparse.offset", "0"), ("GNU.sparse.offset", "10")])
	EOF
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
	write_hostile "$T"
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

@test "sparse: fuzz target seeds of sparse layers reach the end; libFuzzer runs if clang can" {
	make -s -C "$TOP" "$OUT/fuzz/image-main" >&2
	cp "$OUT/fuzz/image-main" "$T/fuzz-main"
	write_hostile "$T"
	mkdir "$T/seeds" "$T/small"
	# small sparse files, so libFuzzer's inputs stay short: 40 KiB with one
	# byte at 12 KiB, and 30 KiB of hole
	truncate -s 40K "$T/small/a"
	printf x | dd of="$T/small/a" bs=1 seek=12K conv=notrunc status=none
	truncate -s 30K "$T/small/b"
	# the selector byte: 0 a layer tar; 0xfc the same, read 63 bytes at a time
	for v in 0.0 0.1 1.0; do
		tar -C "$T/small" --format=posix --sparse --sparse-version="$v" -cf "$T/s.tar" a b
		{ printf '\000'; cat "$T/s.tar"; } >"$T/seeds/pax-$v"
		{ printf '\374'; cat "$T/s.tar"; } >"$T/seeds/pax-$v-bites"
	done
	{ printf '\000'; cat "$D/oldgnu.tar"; } >"$T/seeds/oldgnu"
	for k in past truncated overlap turn; do
		{ printf '\000'; cat "$T/$k.tar"; } >"$T/seeds/$k"
	done
	cd "$T/seeds"
	run --separate-stderr "$T/fuzz-main" pax-0.0 pax-0.0-bites pax-0.1 pax-0.1-bites pax-1.0 pax-1.0-bites \
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
	command -v clang >/dev/null || skip "no clang: the seeds ran without libFuzzer"
	make -s -C "$TOP" "$OUT/fuzz/image-libfuzzer" >&2
	cp "$OUT/fuzz/image-libfuzzer" "$T/fuzz-image"
	mkdir "$T/corpus"
	cp "$T"/seeds/* "$T/corpus/"
	run "$T/fuzz-image" -runs=20000 -max_len=24576 "$T/corpus"
	assert_success
	assert_output --partial 'Done 20000 runs'
}
