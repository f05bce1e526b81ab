#!/usr/bin/env bats
# Layers on a debootstrap-sized tree (tests/host/layers.bats has the small
# image): a layer umoci wrote and a bare tar that lists only files, each
# changing directories deep inside, merge as `umoci unpack` has them, field
# by field (tests/lib/layers.bash). The tree is Debian's minbase from
# debootstrap, cached in $BERTH_CACHE/layers, else a generated one.
# Runs as root: owners, xattrs and the overlay mount are real.
# shellcheck disable=SC2154 # bats' run sets status, output, lines

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	berth_make "$OUT/bin/berth"
	command -v getfattr >/dev/null || "$TOP/scripts/deps.sh" >&2
}

setup() {
	load ../lib/common
	load ../lib/layers
	layers_store
}

teardown() { layers_unmount; }

# top_blob LAYOUT TAG: the hex digest of the top layer blob of LAYOUT:TAG
top_blob() {
	local m
	m=$(jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json")
	jq -r '.layers[-1].digest | sub("sha256:"; "")' "$1/blobs/sha256/${m#sha256:}"
}

# tree DIR: a debootstrap minbase tree (cached in $BERTH_CACHE), or where
# there is no debootstrap or no archive, a generated one of ~6000 entries
tree() {
	local cache=$BERTH_CACHE/layers/bookworm-minbase.tar src mirror
	if [ ! -f "$cache" ] && command -v debootstrap >/dev/null; then
		mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
		mkdir -p "$BERTH_CACHE/layers"
		src=$BERTH_CACHE/layers/tree.$$
		if timeout 600 debootstrap --variant=minbase bookworm "$src" ${mirror:+"$mirror"} >"$T/debootstrap.log" 2>&1; then
			rm -rf "$src/var/cache/apt/archives/"*.deb "$src/var/log/bootstrap.log"
			tar --xattrs --xattrs-include='*' --numeric-owner -C "$src" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
		fi
		rm -rf "$src" "$cache.tmp"
	fi
	mkdir -p "$1"
	if [ -f "$cache" ]; then
		tar --xattrs --xattrs-include='*' --numeric-owner -C "$1" -xpf "$cache"
		# what is compared is metadata: file contents cut to 4 KiB (mtime
		# kept) make umoci and berth quick on it
		python3 - "$1" <<-'EOF'
			import os, sys
			for top, dirs, files in os.walk(sys.argv[1]):
			    for f in files:
			        p = os.path.join(top, f)
			        st = os.lstat(p)
			        if os.path.isfile(p) and not os.path.islink(p) and st.st_size > 4096:
			            os.truncate(p, 4096)
			            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
		EOF
		echo debootstrap
		return
	fi
	python3 - "$1" <<-'EOF'
		import os, random, sys
		root = sys.argv[1]
		rnd = random.Random(7)
		dirs = [root]
		for i in range(1200):
		    d = os.path.join(rnd.choice(dirs), "d%d" % i)
		    os.mkdir(d)
		    os.chown(d, rnd.choice([0, 0, 0, 1000, 33]), rnd.choice([0, 0, 8, 50]))
		    os.chmod(d, rnd.choice([0o755, 0o755, 0o750, 0o700, 0o1777, 0o2775, 0o2755]))
		    dirs.append(d)
		files = []
		for i in range(4000):
		    f = os.path.join(rnd.choice(dirs), "f%d" % i)
		    with open(f, "w") as fh:
		        fh.write("x" * rnd.randrange(200))
		    os.chown(f, rnd.choice([0, 0, 1000, 33]), rnd.choice([0, 0, 8, 50]))
		    os.chmod(f, rnd.choice([0o644, 0o644, 0o755, 0o600, 0o4755, 0o2755, 0o640]))
		    if i % 97 == 0:
		        os.setxattr(f, "user.tag", b"v%d" % i)
		    files.append(f)
		for i in range(500):
		    os.symlink(os.path.relpath(rnd.choice(files), os.path.dirname(dirs[i])), os.path.join(dirs[i], "l%d" % i))
		for i in range(200):
		    os.link(files[i], os.path.join(rnd.choice(dirs), "h%d" % i))
		for d in dirs[::-1]:
		    os.utime(d, (1500000000 + dirs.index(d), 1500000000 + dirs.index(d)), follow_symlinks=False)
	EOF
	echo generated
}

@test "layers: a debootstrap-sized tree, changed deep inside by umoci and by a bare tar, merges as umoci unpacks it" {
	local b=$T/bundle r
	r=$b/rootfs
	umoci init --layout "$T/big"
	umoci new --image "$T/big:t"
	umoci unpack --image "$T/big:t" "$b" >/dev/null
	rmdir "$r"
	kind=$(tree "$r")
	[ "$(find "$r" | wc -l)" -gt 5000 ]
	umoci repack --refresh-bundle --image "$T/big:t" "$b"
	umoci tag --image "$T/big:t" base
	# deep existing directories: the five deepest, and the directory of
	# the first setuid file, get a new file, a changed file and a new
	# subdirectory; one file is deleted
	mapfile -t deep < <(cd "$r" && find . -mindepth 3 -type d -printf '%d %P\n' | sort -k1,1nr -k2 | head -5 | cut -d' ' -f2)
	deep+=("$(cd "$r" && find . -type f -perm -4000 -printf '%h\n' | sort | head -1 | sed 's|^\./||')")
	: >"$T/list"
	for d in "${deep[@]}"; do
		echo new >"$r/$d/berth-new"
		mkdir -p "$r/$d/berth-sub"
		echo deeper >"$r/$d/berth-sub/f"
		chmod 0640 "$r/$d/berth-sub/f"
		chown 1000:1000 "$r/$d/berth-sub/f"
		printf '%s\n' "$d/berth-new" "$d/berth-sub/f" >>"$T/list"
		f=$(find "$r/$d" -maxdepth 1 -type f ! -name 'berth-*' | sort | head -1)
		if [ -n "$f" ]; then
			echo changed >>"$f"
			echo "${f#"$r"/}" >>"$T/list"
		fi
	done
	gone=$(cd "$r" && find . -mindepth 3 -type f | sed 's|^\./||' | grep -vxFf "$T/list" | sort | sed -n 100p)
	# the bare tar: only the files, a whiteout for the deleted one
	mkdir -p "$T/wh/$(dirname "$gone")"
	: >"$T/wh/$(dirname "$gone")/.wh.$(basename "$gone")"
	(cd "$r" && tar --numeric-owner -cf "$T/bare.tar" -T "$T/list")
	(cd "$T/wh" && tar --numeric-owner -rf "$T/bare.tar" "$(dirname "$gone")/.wh.$(basename "$gone")")
	rm "$r/$gone"
	umoci repack --image "$T/big:t" "$b"
	umoci raw add-layer --image "$T/big:base" --tag bare "$T/bare.tar"
	# nothing but files and the whiteout in the bare layer
	run bash -c "tar tvf '$T/bare.tar' | grep -c '^d'"
	assert_output 0

	run "$BERTH" load "$T/big"
	assert_success
	for t in t bare; do
		umoci unpack --image "$T/big:$t" "$T/unpacked-$t" >/dev/null
		"$BERTH" create --name "big-$t" "big:$t"
	done
	umoci unpack --image "$T/big:base" "$T/unpacked-base" >/dev/null
	same_as_umoci big-t "$T/unpacked-t" "$T/unpacked-base" "$T/big/blobs/sha256/$(top_blob "$T/big" t)"
	same_as_umoci big-bare "$T/unpacked-bare" "$T/unpacked-base" "$T/bare.tar"
	[ ! -e "$T/mnt-big-bare/$gone" ]
	echo "# tree: $kind, $(wc -l <"$T/want-big-bare") lines compared" >&3
}
