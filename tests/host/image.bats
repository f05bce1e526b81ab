#!/usr/bin/env bats
# The image store: `berth load`, `berth images`, `berth rmi` against images
# made by real tools (umoci, skopeo) and by hand for the hostile cases.
# Runs as root here, so whiteouts, ownership and the overlay mount are real.
# shellcheck disable=SC2154,SC2030,SC2031 # bats' run sets status, output, lines; each test exports its own BERTH_ETC
# shellcheck disable=SC2012,SC2059 # ls of hex names; printf builds one octal escape

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	load ../lib/oci
	berth_make "$OUT/bin/berth"
	oci_demo "$BATS_FILE_TMPDIR"
}

setup() {
	load ../lib/common
	load ../lib/oci
	oci_store
}

teardown() {
	if mountpoint -q "$T/mnt" 2>/dev/null; then umount "$T/mnt"; fi
}

# the ChainIDs of an image in the store, bottom first, without "sha256:":
# the names of its layer directories (the bottom one's is its DiffID)
chainids() {
	local c=
	jq -r --arg n "$1" --arg t "$2" '.images[] | select(.name == $n and .tag == $t) | .layers[]' \
		"$BERTH_ROOT/images.json" | while read -r d; do
		if [ -z "$c" ]; then c=$d; else c=sha256:$(printf '%s %s' "$c" "$d" | sha256sum | cut -c1-64); fi
		echo "${c#sha256:}"
	done
}

@test "load: an OCI layout directory (umoci), named by its directory and tag" {
	# two tags in index.json: base (one layer) and t (two)
	run "$BERTH" load "$D/demo"
	assert_success
	assert_output $'Loaded image: demo:base\nLoaded image: demo:t'
	run "$BERTH" images
	assert_success
	assert_line --index 0 --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
	assert_line --index 1 --regexp '^demo +base +[0-9a-f]{12} +(Less than a second|[0-9]+ seconds?|About a minute) ago +[0-9.]+kB$'
	assert_line --index 2 --regexp '^demo +t +[0-9a-f]{12} +(Less than a second|[0-9]+ seconds?|About a minute) ago +[0-9.]+kB$'
	[ "${#lines[@]}" -eq 3 ]
	# the ID is the config digest's first 12 hex digits
	config=$(jq -r '.images[1].config' "$BERTH_ROOT/images.json")
	assert_line --index 2 --partial "${config:7:12}"
	[ -f "$BERTH_ROOT/blobs/sha256/${config#sha256:}" ]
}

@test "load: an oci-archive (skopeo), a docker save tarball, zstd layers, the Docker 25 form" {
	run "$BERTH" load "$D/img.tar"
	assert_success
	assert_output "Loaded image: demo:2"
	# legacy docker save: manifest.json, <diffid>.tar layers, RepoTags docker.io/library/demo:1
	run "$BERTH" load "$D/docker.tar"
	assert_success
	assert_output "Loaded image: demo:1"
	# skopeo's zstd copy: check that its layers really are zstd
	manifest=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$D/zst/index.json")
	run jq -r '.layers[].mediaType' "$D/zst/blobs/sha256/$manifest"
	assert_output $'application/vnd.oci.image.layer.v1.tar+zstd\napplication/vnd.oci.image.layer.v1.tar+zstd'
	run "$BERTH" load "$D/zst"
	assert_success
	assert_output "Loaded image: zst:t"
	# Docker 25+: an OCI layout plus manifest.json, whose RepoTags name it
	mkdir "$T/d25"
	tar -xf "$D/img.tar" -C "$T/d25"
	jq 'del(.manifests[0].annotations)' "$T/d25/index.json" >"$T/i"
	mv "$T/i" "$T/d25/index.json"
	cfg=$(jq -r '.config.digest | sub("sha256:"; "")' "$T/d25/blobs/sha256/$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$T/d25/index.json")")
	printf '[{"Config":"blobs/sha256/%s","RepoTags":["demo:25"],"Layers":[]}]' "$cfg" >"$T/d25/manifest.json"
	(cd "$T/d25" && tar -cf "$T/d25.tar" ./*)
	run "$BERTH" load "$T/d25.tar"
	assert_success
	assert_output "Loaded image: demo:25"

	run "$BERTH" images
	assert_success
	for t in 'demo +2' 'demo +1' 'zst +t' 'demo +25'; do
		assert_line --regexp "^$t +[0-9a-f]{12} "
	done
	# one image content, four names: gzip, uncompressed and zstd layers all
	# unpacked to the same two DiffIDs, stored once
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" -eq 2 ]
	[ "$(jq '[.images[].config] | unique | length' "$BERTH_ROOT/images.json")" -eq 1 ]
}

@test "load: a layer keeps modes, setuid, owners, hardlinks, symlinks and xattrs" {
	"$BERTH" load "$D/img.tar"
	mapfile -t ids < <(chainids demo 2)
	[ "${#ids[@]}" -eq 2 ]
	l=$BERTH_ROOT/layers/${ids[0]}
	run stat -c '%a %u:%g' "$l/bin/su"
	assert_output "4755 0:0"
	run stat -c '%a %u:%g' "$l/etc/hello"
	assert_output "644 1000:1001"
	[ "$(stat -c %i "$l/etc/hello")" = "$(stat -c %i "$l/etc/hello2")" ]
	[ "$(stat -c %h "$l/etc/hello")" -eq 2 ]
	[ -L "$l/bin/sh" ]
	assert_equal "$(readlink "$l/bin/sh")" busybox
	run python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.note").decode())' "$l/etc/hello"
	assert_output tested
	run "$l/bin/busybox" echo from-the-layer
	assert_output from-the-layer
	cmp "$OUT/rootfs-bin/busybox" "$l/bin/busybox"
	# the second layer holds only its change and the deletion
	[ -f "$BERTH_ROOT/layers/${ids[1]}/etc/second" ]
	[ ! -e "$BERTH_ROOT/layers/${ids[1]}/bin" ]
}

@test "load: whiteouts and opaque dirs are stored as overlayfs expects, and a mount shows it" {
	# a hand-made pair of layers: d/ with a and b, then d/ made opaque with c
	python3 - "$T" <<-'EOF'
		import io, sys, tarfile
		t = sys.argv[1]
		def add(tf, name, data=None):
		    ti = tarfile.TarInfo(name)
		    if data is None:
		        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
		        tf.addfile(ti)
		    else:
		        ti.size = len(data)
		        tf.addfile(ti, io.BytesIO(data))
		with tarfile.open(t + "/l1.tar", "w", format=tarfile.PAX_FORMAT) as tf:
		    add(tf, "d"); add(tf, "d/a", b"a"); add(tf, "d/b", b"b"); add(tf, "keep", b"k"); add(tf, "gone", b"g")
		with tarfile.open(t + "/l2.tar", "w", format=tarfile.PAX_FORMAT) as tf:
		    add(tf, "d"); add(tf, "d/.wh..wh..opq", b""); add(tf, "d/c", b"c"); add(tf, ".wh.gone", b"")
	EOF
	mkoci "$T/opq" opq:1 "$T/l1.tar" "$T/l2.tar"
	run "$BERTH" load "$T/opq"
	assert_success
	mapfile -t ids < <(chainids opq 1)
	bottom=$BERTH_ROOT/layers/${ids[0]} top=$BERTH_ROOT/layers/${ids[1]}
	run stat -c '%F %t:%T' "$top/gone"
	assert_output "character special file 0:0"
	run python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$top/d"
	assert_output y
	[ ! -e "$top/d/.wh..wh..opq" ]
	[ ! -e "$top/.wh.gone" ]

	mkdir "$T/mnt"
	mount -t overlay overlay -o "lowerdir=$top:$bottom" "$T/mnt"
	run ls -A "$T/mnt" "$T/mnt/d"
	assert_output "$(printf '%s:\nd\nkeep\n\n%s:\nc' "$T/mnt" "$T/mnt/d")"

	# and umoci's own whiteout of etc/gone, through the same mount
	"$BERTH" load "$D/img.tar"
	mapfile -t ids < <(chainids demo 2)
	umount "$T/mnt"
	mount -t overlay overlay -o "lowerdir=$BERTH_ROOT/layers/${ids[1]}:$BERTH_ROOT/layers/${ids[0]}" "$T/mnt"
	[ ! -e "$T/mnt/etc/gone" ]
	[ -f "$T/mnt/etc/second" ]
	[ -f "$T/mnt/etc/hello" ]
	[ -e "$BERTH_ROOT/layers/${ids[0]}/etc/gone" ]
}

@test "load: a blob with one flipped byte is refused, naming its digest, and nothing is stored" {
	cp -a "$D/demo" "$T/bad"
	manifest=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$T/bad/index.json")
	layer=$(jq -r '.layers[0].digest | sub("sha256:"; "")' "$T/bad/blobs/sha256/$manifest")
	f=$T/bad/blobs/sha256/$layer
	chmod u+w "$f"
	byte=$(od -An -tu1 -j 1000 -N1 "$f" | tr -d ' ')
	printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
	run -1 "$BERTH" load "$T/bad"
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp "^berth load: $T/bad: blob sha256:$layer: expected sha256:$layer \([0-9]+ bytes\), found sha256:[0-9a-f]{64} \([0-9]+ bytes\) \(blobs/sha256/$layer\)$"
	assert_store_empty
}

@test "load: a truncated archive is refused and nothing is stored" {
	size=$(stat -c %s "$D/img.tar")
	head -c $((size / 2)) "$D/img.tar" >"$T/half.tar"
	run -1 "$BERTH" load "$T/half.tar"
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp "^berth load: $T/half.tar: tar: .*truncated"
	assert_store_empty
	# cut at a block boundary between members: no end marker
	head -c 1536 "$D/img.tar" >"$T/cut.tar"
	run -1 "$BERTH" load "$T/cut.tar"
	assert_output --partial "truncated"
	assert_store_empty
}

@test "load: a layer whose DiffID does not match the config is refused" {
	python3 -c 'import tarfile,io; t=tarfile.open("'"$T"'/l.tar","w"); i=tarfile.TarInfo("f"); i.size=1; t.addfile(i, io.BytesIO(b"x"))'
	mkoci "$T/img" bad:1 --bad-diffid "$T/l.tar"
	run -1 "$BERTH" load "$T/img"
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp "DiffID expected sha256:0{64} \(config rootfs.diff_ids\), found sha256:$(sha256sum <"$T/l.tar" | cut -c1-64)"
	assert_store_empty
}

@test "load: hostile layer paths fail cleanly and write nothing outside the store" {
	mkdir "$T/outside"
	python3 - "$T" <<-'EOF'
		import io, sys, tarfile
		t = sys.argv[1]
		def tar(name, entries):
		    with tarfile.open(t + "/" + name + ".tar", "w", format=tarfile.PAX_FORMAT) as tf:
		        for n, kind, arg in entries:
		            ti = tarfile.TarInfo(n)
		            if kind == "file":
		                ti.size = len(arg); tf.addfile(ti, io.BytesIO(arg))
		            elif kind == "sym":
		                ti.type, ti.linkname = tarfile.SYMTYPE, arg; tf.addfile(ti)
		            elif kind == "hard":
		                ti.type, ti.linkname = tarfile.LNKTYPE, arg; tf.addfile(ti)
		tar("dotdot", [("a/../../escape", "file", b"x")])
		tar("absolute", [(t + "/outside/abs", "file", b"x")])
		tar("symlink", [("link", "sym", t + "/outside"), ("link/evil", "file", b"x")])
		tar("hardlink", [("etc", "file", b""), ("passwd", "hard", "../../etc/passwd")])
	EOF
	declare -A why=(
		[dotdot]='entry "a/../../escape": ".." component: path leaves the layer'
		[absolute]="entry \"$T/outside/abs\": absolute path: refused"
		[symlink]='entry "link/evil": a parent is a symlink or not a directory: refused'
		[hardlink]='entry "passwd": ".." component: path leaves the layer'
	)
	for k in dotdot absolute symlink hardlink; do
		mkoci "$T/$k" "$k:1" "$T/$k.tar"
		run -1 "$BERTH" load "$T/$k"
		[ "${#lines[@]}" -eq 1 ]
		assert_output --regexp "^berth load: $T/$k: layer sha256:[0-9a-f]{64}: "
		assert_output --partial "${why[$k]}"
		assert_output --regexp '\(tar offset [0-9]+\)$'
		assert_store_empty
	done
	[ -z "$(ls -A "$T/outside")" ]
	[ ! -e "$T/escape" ]
	[ ! -e "$BERTH_ROOT/escape" ]
	[ ! -e "$BERTH_ROOT/layers/escape" ]
}

@test "load: the same image twice stores each blob and layer once" {
	"$BERTH" load "$D/img.tar"
	find "$BERTH_ROOT/blobs" "$BERTH_ROOT/layers" -maxdepth 2 | sort >"$T/before"
	ino=$(stat -c %i "$BERTH_ROOT/layers/$(chainids demo 2 | head -1)/bin/busybox")
	run "$BERTH" load "$D/img.tar"
	assert_success
	assert_output "Loaded image: demo:2"
	find "$BERTH_ROOT/blobs" "$BERTH_ROOT/layers" -maxdepth 2 | sort | diff "$T/before" -
	[ "$(stat -c %i "$BERTH_ROOT/layers/$(chainids demo 2 | head -1)/bin/busybox")" = "$ino" ]
	[ "$(jq '.images | length' "$BERTH_ROOT/images.json")" -eq 1 ]
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" -eq 2 ]
}

@test "rmi: removes what no image uses and keeps shared layers" {
	"$BERTH" load "$D/img.tar"
	"$BERTH" load "$D/base.tar"
	mapfile -t ids < <(chainids demo 2)
	[ "$(chainids base 1)" = "${ids[0]}" ]
	run "$BERTH" rmi demo:2
	assert_success
	assert_line --index 0 "Untagged: demo:2"
	assert_line "Deleted: layer sha256:${ids[1]}"
	[ -d "$BERTH_ROOT/layers/${ids[0]}" ]
	[ ! -e "$BERTH_ROOT/layers/${ids[1]}" ]
	run "$BERTH" images
	assert_line --index 1 --regexp '^base +1 '
	[ "${#lines[@]}" -eq 2 ]
	# every blob left is one base:1 names
	jq -r '.images[] | (.manifest, .config, .blobs[]) | sub("sha256:"; "")' "$BERTH_ROOT/images.json" | sort >"$T/want"
	ls "$BERTH_ROOT/blobs/sha256" | diff "$T/want" -
	# by ID prefix: the last image, and with it everything
	id=$(jq -r '.images[0].config[7:19]' "$BERTH_ROOT/images.json")
	run "$BERTH" rmi "$id"
	assert_success
	assert_line "Untagged: base:1"
	assert_equal "$(ls -A "$BERTH_ROOT/layers")" ""
	assert_equal "$(ls -A "$BERTH_ROOT/blobs/sha256")" ""
	[ -z "$(ls -A "$BERTH_ROOT/layerdb")" ]
}

# docker's units.HumanSizeWithPrecision(bytes, 3), as berth prints sizes
human() { awk -v b="$1" 'BEGIN { split("B kB MB GB TB", u, " "); i = 1; while (b >= 1000 && i < 5) { b /= 1000; i++ }; s = sprintf("%.3g", b); print s u[i] }'; }

# what the store takes on disk, as du counts it (a hard link once)
store_du() {
	local d sum=0
	for d in blobs layers layerdb tmp downloads; do
		if [ -e "$BERTH_ROOT/$d" ]; then sum=$((sum + $(du -s -B1 "$BERTH_ROOT/$d" | cut -f1))); fi
	done
	echo "$sum"
}

@test "image prune: a moved tag leaves a dangling image, prune deletes it and what pulls left; -a spares what a container uses" {
	export BERTH_ETC=$T/etc BERTH_RUN=$T/run
	mkdir -p "$BERTH_ETC/berth/containers"
	"$BERTH" load "$D/img.tar" >/dev/null
	"$BERTH" load "$D/base.tar" >/dev/null
	old=$(jq -r '.images[] | select(.name == "demo") | .config' "$BERTH_ROOT/images.json")
	mapfile -t ids < <(chainids demo 2)
	# demo:2 moves to base's image: the old one stays, dangling
	skopeo copy -q "oci:$D/demo:base" "oci-archive:$T/moved.tar:demo:2"
	"$BERTH" load "$T/moved.tar" >/dev/null
	run -0 "$BERTH" images
	assert_line --regexp "^<none> +<none> +${old:7:12} "
	assert_equal "$(jq -r --arg c "$old" '[.images[] | select(.config == $c)] | length' "$BERTH_ROOT/images.json")" 1
	# what a killed pull left, and a definition that names base:1
	mkdir -p "$BERTH_ROOT/downloads/sha256" "$BERTH_ROOT/downloads/pull.99999/blobs"
	head -c 100000 /dev/urandom >"$BERTH_ROOT/downloads/sha256/$(printf '%064d' 0).partial"
	printf 'image: base:1\n' >"$BERTH_ETC/berth/containers/web.yaml"
	# not on a terminal: it wants -f
	run -100 "$BERTH" image prune </dev/null
	assert_line --index 0 "berth image: prune: no terminal to ask on: -f to prune without asking"
	[ -d "$BERTH_ROOT/layers/${ids[1]}" ]
	# a pull running: downloads/ stays as it is
	flock -o -s "$BERTH_ROOT/downloads" sleep 60 3>&- &
	holder=$!
	wait_until 10 sh -c "! flock -n -x '$BERTH_ROOT/downloads' true"
	before=$(store_du)
	run -0 "$BERTH" image prune -f
	kill "$holder"
	wait_until 10 flock -n -x "$BERTH_ROOT/downloads" true
	assert_line --index 0 "Deleted Images:"
	assert_line --index 1 "deleted: $old"
	assert_line "downloads: a pull is running: what it downloads stays"
	[ -e "$BERTH_ROOT/downloads/sha256/$(printf '%064d' 0).partial" ]
	assert_line "Total reclaimed space: $(human $((before - $(store_du))))"
	[ ! -e "$BERTH_ROOT/layers/${ids[1]}" ]
	[ -d "$BERTH_ROOT/layers/${ids[0]}" ]
	# no pull: downloads/ is emptied, its sha256/ stays for the next pull
	before=$(store_du)
	run -0 "$BERTH" image prune -f
	assert_output "Total reclaimed space: $(human $((before - $(store_du))))"
	[ "$before" -gt "$(store_du)" ]
	assert_equal "$(ls -A "$BERTH_ROOT/downloads")" sha256
	assert_equal "$(ls -A "$BERTH_ROOT/downloads/sha256")" ""
	# -a: base:1 and demo:2 are one image, which web uses
	run -0 "$BERTH" image prune -a -f
	assert_output "Total reclaimed space: 0B"
	rm "$BERTH_ETC/berth/containers/web.yaml"
	cfg=$(jq -r '.images[0].config' "$BERTH_ROOT/images.json")
	run -0 "$BERTH" image prune --all --force
	assert_line --index 0 "Deleted Images:"
	assert_line "untagged: base:1"
	assert_line "untagged: demo:2"
	assert_line "deleted: $cfg"
	assert_equal "$(jq '.images | length' "$BERTH_ROOT/images.json")" 0
	assert_equal "$(ls -A "$BERTH_ROOT/layers")" ""
	assert_equal "$(ls -A "$BERTH_ROOT/blobs/sha256")" ""
}

@test "system df: images, containers and volumes on disk; -v: each image's shared and unique size" {
	export BERTH_ETC=$T/etc BERTH_RUN=$T/run
	mkdir -p "$BERTH_ETC/berth/containers" "$BERTH_ROOT/volumes/data" "$BERTH_ROOT/volumes/old"
	"$BERTH" load "$D/img.tar" >/dev/null
	"$BERTH" load "$D/base.tar" >/dev/null
	head -c 200000 /dev/urandom >"$BERTH_ROOT/volumes/old/f"
	printf 'image: base:1\nvolumes: ["data:/data"]\n' >"$BERTH_ETC/berth/containers/web.yaml"
	run -0 "$BERTH" system df
	assert_line --index 0 --regexp '^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$'
	total=$(store_du)
	# base:1 is the bottom layer of demo:2: what web keeps is base's own
	base=$(for f in manifest config; do du -s -B1 "$BERTH_ROOT/blobs/sha256/$(jq -r --arg f $f '.images[] | select(.name == "base") | .[$f][7:]' "$BERTH_ROOT/images.json")"; done | awk '{ s += $1 } END { print s }')
	bl=$(du -s -B1 "$BERTH_ROOT/blobs/sha256/$(jq -r '.images[] | select(.name == "base") | .blobs[0][7:]' "$BERTH_ROOT/images.json")" | cut -f1)
	lay=$(du -s -B1 "$BERTH_ROOT/layers/$(chainids base 1)" "$BERTH_ROOT/layerdb/$(chainids base 1)" | awk '{ s += $1 } END { print s }')
	kept=$((base + bl + lay))
	assert_line --index 1 --regexp "^Images +2 +1 +$(human "$total") +$(human $((total - kept))) \\($(((total - kept) * 100 / total))%\\)$"
	assert_line --index 2 --regexp '^Containers +1 +0 +0B +0B \(0%\)$'
	vol=$(du -s -B1 "$BERTH_ROOT/volumes/old" | cut -f1)
	vsum=$(( $(du -s -B1 "$BERTH_ROOT/volumes/data" | cut -f1) + vol ))
	assert_line --index 3 --regexp "^Local Volumes +2 +1 +$(human "$vsum") +$(human "$vol") "
	run -0 "$BERTH" system df -v
	assert_line --index 0 "Images space usage:"
	assert_line --regexp "^base +1 +[0-9a-f]{12} +$(human "$kept") +$(human $((bl + lay))) +$(human $((base))) +1$"
	assert_line --regexp "^demo +2 +[0-9a-f]{12} +[0-9.]+[kM]?B +$(human $((bl + lay))) +[0-9.]+[kM]?B +0$"
	assert_line --regexp '^web +base:1 +created +0B$'
	assert_line --regexp "^old +0 +$(human "$vol")$"
	assert_line --regexp '^data +1 +'
	run -100 "$BERTH" system df --bogus
	run -100 "$BERTH" system
	run -100 "$BERTH" image rm x
}

@test "errors: usage, help, missing files and images" {
	run -100 "$BERTH" load
	assert_output --partial "usage: berth load"
	run -100 "$BERTH" rmi
	run -100 "$BERTH" images --bogus
	for c in load images rmi; do
		run -0 "$BERTH" "$c" --help
		assert_line --index 0 --partial "usage: berth $c"
	done
	run -1 "$BERTH" load "$T/nope.tar"
	assert_output "berth load: $T/nope.tar: cannot open: No such file or directory"
	echo '{}' >"$T/x.json"
	run -1 "$BERTH" load "$T/x.json"
	assert_output --partial "tar: "
	mkdir "$T/empty"
	run -1 "$BERTH" load "$T/empty"
	assert_output "berth load: $T/empty: neither an OCI layout nor a docker save archive (no index.json, no manifest.json)"
	run -1 "$BERTH" rmi nosuch:1
	assert_output "berth rmi: nosuch:1: no such image"
}

# ---- the fuzz target ----

@test "fuzz target for the archive and manifest parsers: the seeds reach the end (libFuzzer: tests/host-slow)" {
	load ../lib/fuzz
	main=$(fuzz_main image)
	image_seeds "$T/seeds" "$D"
	cd "$T/seeds"
	run --separate-stderr "$main" layer-pax layer-gnu layer-short archive archive-noend oci-archive \
		docker-archive index.json manifest config manifest.json json-nul
	assert_success
	assert_output "layer-pax: layer ok
layer-gnu: layer ok
layer-short: layer refused
archive: archive ok: index.json
archive-noend: archive refused
oci-archive: archive ok: index.json
docker-archive: archive ok: manifest.json
index.json: index ok
manifest: manifest ok
config: config ok
manifest.json: manifest.json ok
json-nul: json refused"
}

@test "load: JSON nested too deep is refused with one line, not a crash" {
	local d=$BATS_TEST_TMPDIR/deep
	mkdir -p "$d/blobs/sha256"
	printf '{"imageLayoutVersion": "1.0.0"}' >"$d/oci-layout"
	python3 -c 'import sys; sys.stdout.write("[" * 1000000 + "]" * 1000000)' >"$d/index.json"
	run "$BERTH" load "$d"
	assert_failure
	assert_output --partial 'nested deeper than 256 levels'
	[ "$status" -lt 128 ]
}
