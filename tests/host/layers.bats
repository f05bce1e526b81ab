#!/usr/bin/env bats
# Layers on top of layers, and the containers that sit on them:
#  - a parent directory a layer's tar does not list is as the layers below
#    have it: the merged root is compared field by field with `umoci unpack`
#    of the same image (tests/host-slow/layers-big.bats does the same for
#    a debootstrap-sized one);
#  - layer directories are keyed by ChainID (and a store keyed by DiffID
#    still works);
#  - `berth rmi` refuses an image a defined container uses, `rmi -f` only
#    untags it, `berth rm` of the last such container lets gc collect it;
#  - `berth run`/`create` and `berth rmi` resolve image IDs the same way.
# Runs as root: owners, xattrs and the overlay mount are real.
# shellcheck disable=SC2154 # bats' run sets status, output, lines
# shellcheck disable=SC2030,SC2031 # each test exports its own BERTH_* paths
# shellcheck disable=SC2012,SC2016 # ls of hex names; the unshare script expands its own variables

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	berth_make "$OUT/bin/berth"
	command -v getfattr >/dev/null || "$TOP/scripts/deps.sh" >&2

	# base: /tmp 1777, /srv/app 0750 1000:1000 with an xattr, /var/mail
	# 2775 0:8, old mtimes; "t" adds a file under each with umoci (whose
	# layer lists the parents again); "hand" adds the same files with a
	# GNU tar layer that lists only the files; "hand2" is that same layer
	# on another base, where /srv/app is 0700 2000:2000
	local d=$BATS_FILE_TMPDIR r
	r=$d/bundle/rootfs
	umoci init --layout "$d/img"
	umoci new --image "$d/img:t"
	umoci unpack --image "$d/img:t" "$d/bundle" >/dev/null
	mkdir -p "$r/bin" "$r/tmp" "$r/srv/app" "$r/var/mail"
	if [ -x "$OUT/rootfs-bin/busybox" ]; then
		cp "$OUT/rootfs-bin/busybox" "$r/bin/busybox"
		for a in sh stat; do ln -s busybox "$r/bin/$a"; done
	fi
	chmod 1777 "$r/tmp"
	chown 1000:1000 "$r/srv/app"
	chmod 0750 "$r/srv/app"
	setfattr -n user.note -v kept "$r/srv/app"
	chown 0:8 "$r/var/mail"
	chmod 2775 "$r/var/mail"
	touch -h -d @1600000000 "$r/tmp" "$r/srv/app" "$r/srv" "$r/var/mail" "$r/var"
	umoci repack --refresh-bundle --image "$d/img:t" "$d/bundle"
	umoci tag --image "$d/img:t" base
	echo a >"$r/tmp/new"
	echo b >"$r/srv/app/new"
	echo c >"$r/var/mail/new"
	# a directory no layer below has, under the setgid /var/mail
	mkdir "$r/var/mail/sub"
	echo d >"$r/var/mail/sub/new"
	(cd "$r" && tar --numeric-owner -cf "$d/hand.tar" tmp/new srv/app/new var/mail/new var/mail/sub/new)
	# "depth": each directory listed after what is in it (find -depth's
	# order), /srv/app with a mode of its own: the tar's, not base's
	chmod 0701 "$r/srv/app"
	(cd "$r" && tar --numeric-owner --no-recursion -cf "$d/depth.tar" srv/app/new srv/app tmp/new tmp)
	chmod 0750 "$r/srv/app"
	umoci repack --image "$d/img:t" "$d/bundle"
	umoci raw add-layer --image "$d/img:base" --tag hand "$d/hand.tar"
	umoci unpack --image "$d/img:base" "$d/bundle2" >/dev/null
	chown 2000:2000 "$d/bundle2/rootfs/srv/app"
	chmod 0700 "$d/bundle2/rootfs/srv/app"
	umoci repack --image "$d/img:base2" "$d/bundle2"
	umoci raw add-layer --image "$d/img:base2" --tag hand2 "$d/hand.tar"
	umoci raw add-layer --image "$d/img:base" --tag depth "$d/depth.tar"
	for t in base t hand base2 hand2 depth; do
		umoci unpack --image "$d/img:$t" "$d/unpacked-$t" >/dev/null
	done
}

setup() {
	load ../lib/common
	load ../lib/layers
	layers_store
	D=$BATS_FILE_TMPDIR
}

teardown() {
	layers_unmount
	# the registry of the pull test
	if declare -F reg_stop >/dev/null; then reg_stop lay; fi
}

# chain_of DIFFID...: the ChainID of a stack of DiffIDs, bottom first
chain_of() {
	local c=$1
	shift
	for d in "$@"; do
		c=sha256:$(printf '%s %s' "$c" "$d" | sha256sum | cut -c1-64)
	done
	echo "$c"
}

diffids() {
	jq -r --arg t "$1" '.images[] | select(.tag == $t) | .layers[]' "$BERTH_ROOT/images.json"
}

# umoci_same CONTAINER TAG: same_as_umoci for a container of TAG; for a tag
# made with umoci raw add-layer, with the unpacked base and that top layer
# (umoci loses the mtime of a directory it has to make a missing one in)
umoci_same() {
	case $2 in
	hand | depth) same_as_umoci "$1" "$D/unpacked-$2" "$D/unpacked-base" "$D/$2.tar" ;;
	hand2) same_as_umoci "$1" "$D/unpacked-$2" "$D/unpacked-base2" "$D/hand.tar" ;;
	*) same_as_umoci "$1" "$D/unpacked-$2" ;;
	esac
}

# pulled TAG STORE: img:TAG pushed to the test's registry, pulled into a
# store $T/STORE of its own, container c-TAG made on it, compared with umoci
pulled() {
	export BERTH_ROOT=$T/$2
	reg_push "oci:$D/img:$1" "$REG_lay/x/img:$1"
	run "$BERTH" pull -q "$REG_lay/x/img:$1"
	assert_success
	run "$BERTH" create --name "c-$1" "$REG_lay/x/img:$1"
	assert_success
	umoci_same "c-$1" "$1"
}

# hand_parents MNT: the parents hand's top layer does not list, in the
# merged root MNT, are base's
hand_parents() {
	run stat -c '%n %a %u:%g %Y' "$1/tmp" "$1/srv/app" "$1/var/mail"
	assert_output "$1/tmp 1777 0:0 1600000000
$1/srv/app 750 1000:1000 1600000000
$1/var/mail 2775 0:8 1600000000"
	# made under the setgid /var/mail: its group and the bit, as mkdir gives
	run stat -c '%a %u:%g' "$1/var/mail/sub"
	assert_output "2755 0:8"
	run getfattr -h -n user.note --only-values --absolute-names "$1/srv/app"
	assert_output kept
}

config_of() {
	jq -r --arg t "$1" '.images[] | select(.tag == $t) | .config' "$BERTH_ROOT/images.json"
}

# ---- unlisted parents ----

@test "layers: a parent a layer does not list keeps the lower layer's mode, owner, xattrs and mtime (as umoci unpack)" {
	# the hand layer really lists only the files
	run tar tf "$D/hand.tar"
	assert_output $'tmp/new\nsrv/app/new\nvar/mail/new\nvar/mail/sub/new'
	run "$BERTH" load "$D/img"
	assert_success
	for t in t hand hand2 depth; do
		run "$BERTH" create --name "c-$t" "img:$t"
		assert_success
		umoci_same "c-$t" "$t"
	done
	# and what that means, spelt out
	hand_parents "$T/mnt-c-hand"
	run stat -c '%a %u:%g' "$T/mnt-c-hand2/srv/app"
	assert_output "700 2000:2000"
	# the file itself is the layer's
	assert_equal "$(cat "$T/mnt-c-hand/srv/app/new")" b
}

@test "layers: pulled, each layer unpacked as it downloads (before the layers below): a parent it does not list is the same" {
	load ../lib/registry
	reg_start lay
	pulled hand store
	hand_parents "$T/mnt-c-hand"
	# hand's top layer again, in a store of its own: on base2, whose
	# /srv/app is 0700 2000:2000, and downloaded beside base2's layers
	pulled hand2 store2
	run stat -c '%a %u:%g' "$T/mnt-c-hand2/srv/app"
	assert_output "700 2000:2000"
	[ -z "$(ls -A "$BERTH_ROOT/downloads/layers")" ]
	# directories listed after their contents: the tar's metadata wins
	pulled depth store3
	run stat -c '%a %u:%g' "$T/mnt-c-depth/srv/app"
	assert_output "701 1000:1000"
}

@test "layers: stored by ChainID; one DiffID on two bases is two directories" {
	"$BERTH" load "$D/img"
	mapfile -t hand < <(diffids hand)
	mapfile -t hand2 < <(diffids hand2)
	# hand2: base, the layer that makes base2, and hand's top layer again
	[ "${#hand[@]}" -eq 2 ]
	[ "${#hand2[@]}" -eq 3 ]
	assert_equal "${hand[1]}" "${hand2[2]}"
	assert_equal "${hand[0]}" "${hand2[0]}"
	c1=$(chain_of "${hand[@]}")
	c2=$(chain_of "${hand2[@]}")
	[ -d "$BERTH_ROOT/layers/${hand[0]#sha256:}" ]
	[ -d "$BERTH_ROOT/layers/${c1#sha256:}" ]
	[ -d "$BERTH_ROOT/layers/${c2#sha256:}" ]
	[ ! -e "$BERTH_ROOT/layers/${hand[1]#sha256:}" ]
	run stat -c %a "$BERTH_ROOT/layers/${c1#sha256:}/srv/app" "$BERTH_ROOT/layers/${c2#sha256:}/srv/app"
	assert_output $'750\n700'
	# every layer directory is one an image names by ChainID, and sizes too
	for t in base t hand base2 hand2 depth; do
		mapfile -t ids < <(diffids "$t")
		for i in "${!ids[@]}"; do
			c=$(chain_of "${ids[@]:0:i+1}")
			echo "${c#sha256:}"
		done
	done | sort -u >"$T/want"
	ls "$BERTH_ROOT/layers" | diff "$T/want" -
	ls "$BERTH_ROOT/layerdb" | diff "$T/want" -
	# the ID the container is bound to is the image's
	"$BERTH" create --name c img:hand
	assert_equal "$(sed -n 's/^config=//p' "$BERTH_ROOT/containers/c/image")" "$(config_of hand)"
	assert_equal "$(sed -n 's/^layers=//p' "$BERTH_ROOT/containers/c/image")" "${hand[0]} $c1"
}

@test "layers: a store from before ChainIDs (layers by DiffID) still serves; a new load and gc move it over" {
	"$BERTH" load "$D/img"
	mapfile -t ids < <(diffids hand)
	c=$(chain_of "${ids[@]}")
	old=$BERTH_ROOT/layers/${ids[1]#sha256:} new=$BERTH_ROOT/layers/${c#sha256:}
	# what an old Berth left: the top layer under its DiffID
	mv "$new" "$old"
	mv "$BERTH_ROOT/layerdb/${c#sha256:}" "$BERTH_ROOT/layerdb/${ids[1]#sha256:}"
	run "$BERTH" create --name c img:hand
	assert_success
	assert_equal "$(sed -n 's/^layers=//p' "$BERTH_ROOT/containers/c/image")" "${ids[0]} ${ids[1]}"
	# loading the image again unpacks it under its ChainID; the old one
	# stays while the container is bound to it
	"$BERTH" load "$D/img"
	[ -d "$new" ]
	[ -d "$old" ]
	run stat -c %a "$new/srv/app"
	assert_output 750
	"$BERTH" rmi img:t
	[ -d "$old" ]
	"$BERTH" rm c
	run "$BERTH" rmi img:hand2
	assert_success
	assert_line "Deleted: layer ${ids[1]}"
	[ ! -e "$old" ] && [ -d "$new" ]
}

# ---- containers keep their images ----

@test "rmi: an image a created container uses is refused, naming it; its layers stay" {
	"$BERTH" load "$D/img"
	"$BERTH" create --name web img:hand
	mapfile -t ids < <(diffids hand)
	c=$(chain_of "${ids[@]}")
	cfg=$(config_of hand)
	run -1 "$BERTH" rmi img:hand
	assert_output "berth rmi: img:hand: image ${cfg:0:19} is used by container web: remove it first (rmi -f only untags it)"
	[ -d "$BERTH_ROOT/layers/${c#sha256:}" ]
	[ "$(config_of hand)" = "$cfg" ]
	# by ID too, and a definition written by hand that was never started
	printf 'image: img:hand\n' >"$BERTH_ETC/berth/containers/db.yaml"
	run -1 "$BERTH" rmi "${cfg:7:12}"
	assert_output "berth rmi: ${cfg:7:12}: image ${cfg:0:19} is used by containers db, web: remove them first (rmi -f only untags it)"
	# another name of the same image goes: the image stays named
	cp -a "$D/img" "$T/img"
	umoci tag --image "$T/img:hand" hand-too
	"$BERTH" load "$T/img" >/dev/null
	run "$BERTH" rmi img:hand-too
	assert_success
	assert_output "Untagged: img:hand-too"
	run -1 "$BERTH" rmi img:hand
	[ -d "$BERTH_ROOT/layers/${c#sha256:}" ]
}

@test "rmi -f: untags only; blobs and layers stay until berth rm of the last container; then gc removes them" {
	"$BERTH" load "$D/img"
	"$BERTH" create --name web img:hand
	printf 'image: img:hand\n' >"$BERTH_ETC/berth/containers/db.yaml"
	mapfile -t ids < <(diffids hand)
	c=$(chain_of "${ids[@]}")
	cfg=$(config_of hand)
	# its own blobs (its top layer blob is hand2's too)
	man=$(jq -r '.images[] | select(.tag == "hand") | .manifest' "$BERTH_ROOT/images.json")
	run "$BERTH" rmi -f img:hand
	assert_success
	assert_output "Untagged: img:hand"
	run "$BERTH" images
	refute_line --regexp '^img +hand '
	assert_line --regexp '^img +hand2 '
	[ -d "$BERTH_ROOT/layers/${c#sha256:}" ]
	[ -f "$BERTH_ROOT/layerdb/${c#sha256:}" ]
	[ -f "$BERTH_ROOT/blobs/sha256/${cfg#sha256:}" ]
	[ -f "$BERTH_ROOT/blobs/sha256/${man#sha256:}" ]
	# the definition written by hand is bound to it now, as web was at create
	assert_equal "$(sed -n 's/^config=//p' "$BERTH_ROOT/containers/db/image")" "$cfg"
	# another gc keeps it too
	run "$BERTH" rmi img:t
	assert_success
	refute_output --partial "${c#sha256:}"
	[ -d "$BERTH_ROOT/layers/${c#sha256:}" ]
	# one container gone: the other still holds it
	"$BERTH" rm web
	[ -d "$BERTH_ROOT/layers/${c#sha256:}" ]
	"$BERTH" rm db
	[ ! -e "$BERTH_ROOT/layers/${c#sha256:}" ]
	[ ! -e "$BERTH_ROOT/layerdb/${c#sha256:}" ]
	[ ! -e "$BERTH_ROOT/blobs/sha256/${cfg#sha256:}" ]
	[ ! -e "$BERTH_ROOT/blobs/sha256/${man#sha256:}" ]
	# base, named by img:base, stays
	[ -d "$BERTH_ROOT/layers/${ids[0]#sha256:}" ]
}

@test "IDs: run, create and rmi accept the same prefixes and refuse the same ambiguous one" {
	"$BERTH" load "$D/img"
	# two more images whose IDs share their first hex digit with img:hand's
	cfg=$(config_of hand)
	python3 - "$T" "${cfg:7:1}" <<-'EOF'
		import hashlib, json, os, sys
		out, want = sys.argv[1], sys.argv[2]
		found = 0
		for i in range(10000):
		    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
		        "rootfs": {"type": "layers", "diff_ids": []}, "config": {"Env": ["N=%d" % i]}}).encode()
		    h = hashlib.sha256(config).hexdigest()
		    if h[0] != want:
		        continue
		    d = "%s/x%d" % (out, found)
		    os.makedirs(d + "/blobs/sha256")
		    def blob(data):
		        k = hashlib.sha256(data).hexdigest()
		        open(d + "/blobs/sha256/" + k, "wb").write(data)
		        return {"digest": "sha256:" + k, "size": len(data)}
		    c = blob(config)
		    c["mediaType"] = "application/vnd.oci.image.config.v1+json"
		    m = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		        "config": c, "layers": []}).encode())
		    m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
		    m["annotations"] = {"org.opencontainers.image.ref.name": "x%d" % found}
		    json.dump({"schemaVersion": 2, "manifests": [m]}, open(d + "/index.json", "w"))
		    json.dump({"imageLayoutVersion": "1.0.0"}, open(d + "/oci-layout", "w"))
		    found += 1
		    if found == 2:
		        break
	EOF
	"$BERTH" load "$T/x0" >/dev/null
	"$BERTH" load "$T/x1" >/dev/null
	p=${cfg:7:1}
	# the shortest prefix that names img:hand alone
	n=2
	while [ "$(jq -r '.images[].config[7:]' "$BERTH_ROOT/images.json" | sort -u | grep -c "^${cfg:7:n}")" -gt 1 ]; do
		n=$((n + 1))
	done
	u=${cfg:7:n}
	for cmd in run create; do
		run -125 "$BERTH" "$cmd" --name amb "$p"
		assert_output --regexp "^berth $cmd: Error: $p: ambiguous image ID, matches sha256:[0-9a-f]{12} and sha256:[0-9a-f]{12}$"
		[ ! -e "$BERTH_ETC/berth/containers/amb.yaml" ]
	done
	run -1 "$BERTH" rmi "$p"
	assert_output --regexp "^berth rmi: $p: ambiguous image ID, matches sha256:[0-9a-f]{12} and sha256:[0-9a-f]{12}$"
	run -1 "$BERTH" rmi "sha256:$p"
	assert_output --partial "ambiguous image ID"
	# a unique prefix, with and without sha256:, and the full ID: the same image
	for id in "$u" "sha256:$u" "$cfg" "${cfg#sha256:}"; do
		name=c$((++k))
		run "$BERTH" create --name "$name" "$id"
		assert_success
		assert_equal "$(sed -n 's/^config=//p' "$BERTH_ROOT/containers/$name/image")" "$cfg"
	done
	run -1 "$BERTH" rmi "$u"
	assert_output --partial "is used by containers c1, c2, c3, c4"
	# a name is tried before a prefix; no tag is latest
	cp -a "$D/img" "$T/img"
	umoci tag --image "$T/img:base" latest
	"$BERTH" load "$T/img" >/dev/null
	"$BERTH" create --name byname img
	assert_equal "$(sed -n 's/^config=//p' "$BERTH_ROOT/containers/byname/image")" "$(config_of latest)"
	run -1 "$BERTH" rmi "${p}zz"
	assert_output "berth rmi: ${p}zz: no such image"
}

@test "real: a container started by a short ID prefix sees the lower layer's parents" {
	[[ $(id -u) == 0 ]] || skip "crun needs root"
	[[ -x $OUT/rootfs-bin/crun && -x $OUT/rootfs-bin/busybox ]] || skip "no crun or busybox in $OUT/rootfs-bin"
	local b=$BATS_TEST_TMPDIR/bin
	mkdir -p "$b"
	for a in sv svlogd runsv; do ln -sf "$OUT/rootfs-bin/busybox" "$b/$a"; done
	export BERTH_CRUN=$OUT/rootfs-bin/crun BERTH_SV=$b/sv BERTH_SVLOGD=$b/svlogd BERTH_RUNSV=$b/runsv
	"$BERTH" load "$D/img"
	cfg=$(config_of hand)
	n=3
	while [ "$(jq -r '.images[].config[7:]' "$BERTH_ROOT/images.json" | sort -u | grep -c "^${cfg:7:n}")" -gt 1 ]; do
		n=$((n + 1))
	done
	# as tests/host-slow/ctr-real.bats does: crun wants the unified cgroup hierarchy
	run timeout 60 unshare -m sh -c '
		if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified || exit 1; fi
		mkdir -p "$BERTH_RUN/service"
		"$1" run --name r --network none "$2" stat -c "%n %a %u:%g" /tmp /srv/app /var/mail
		rc=$?
		for s in "$BERTH_RUN"/service/*/; do [ -d "$s" ] && { sv -w 3 force-stop "$s"; sv exit "$s"; } >/dev/null 2>&1; done
		exit $rc' sh "$BERTH" "${cfg:7:n}"
	assert_success
	assert_output $'/tmp 1777 0:0\n/srv/app 750 1000:1000\n/var/mail 2775 0:8'
}
