# The merged roots of containers on layers, compared field by field with
# what umoci unpacks (tests/host/layers.bats, tests/host-slow/layers-big.bats).
# Load after common.bash; layers_store sets T, BERTH and the store's paths.

# layers_store: T, BERTH, and a store, definitions, run and log directory of
# the test's own (the BERTH_* paths)
layers_store() {
	# shellcheck disable=SC2034 # the suites run it
	BERTH=$OUT/bin/berth
	T=$BATS_TEST_TMPDIR
	export BERTH_ROOT=$T/store BERTH_ETC=$T/etc BERTH_RUN=$T/run BERTH_LOG=$T/log
	mkdir -p "$BERTH_ETC/berth/containers"
}

# layers_unmount: the teardown: every merged root the test mounted ($T/mnt*)
layers_unmount() {
	local m
	for m in "$T"/mnt*; do
		if mountpoint -q "$m" 2>/dev/null; then umount "$m"; fi
	done
	return 0
}

# meta DIR: every path below DIR, sorted: name, type, mode, owner, mtime;
# then every xattr (getfattr prints the files that have some)
meta() {
	(cd "$1" && find . -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%n %F %a %u:%g %Y' &&
		find . -print0 | LC_ALL=C sort -z | xargs -0 getfattr -h -d -m - --absolute-names 2>/dev/null)
}

# merged CONTAINER MNT: mount the layers berth bound CONTAINER to as ctr-exec
# stacks them (top first, named below $BERTH_ROOT/layers), read-only
merged() {
	local lower
	lower=$(sed -n 's/^layers=//p' "$BERTH_ROOT/containers/$1/image" | tr ' ' '\n' | tac | sed 's/^sha256://' | paste -sd:)
	[ -n "$lower" ]
	mkdir -p "$2"
	(cd "$BERTH_ROOT/layers" && mount -t overlay overlay -o "ro,lowerdir=$lower" "$2")
}

# same_as_umoci CONTAINER UNPACKED [BASE LAYER.tar]: the merged root of
# CONTAINER is what umoci unpacked, field by field. With the unpacked base
# and the top layer's tar, the mtime of a directory that layer does not list
# is the base's (the spec's "unchanged": umoci itself loses it where it has
# to make a missing directory inside), and that of a directory no layer has
# (made for a file in it, at load time) is not compared
same_as_umoci() {
	merged "$1" "$T/mnt-$1"
	meta "$2/rootfs" >"$T/want-$1"
	meta "$T/mnt-$1" >"$T/got-$1"
	if [ $# -gt 2 ]; then
		meta "$3/rootfs" >"$T/base-$1"
		unlisted_mtimes "$T/want-$1" "$T/base-$1" "$4" base
		unlisted_mtimes "$T/got-$1" "$T/base-$1" "$4" keep
	fi
	diff -u "$T/want-$1" "$T/got-$1"
}

# unlisted_mtimes META BASEMETA LAYER.tar base|keep: in META, the mtime of a
# directory LAYER.tar does not list becomes BASEMETA's (base) or stays (keep)
# where the base has it, and "-" where it does not
unlisted_mtimes() {
	python3 - "$@" <<-'EOF'
		import sys, tarfile
		meta, base, layer, how = sys.argv[1:5]
		def norm(n):
		    while n.startswith("./"):
		        n = n[2:]
		    n = n.rstrip("/")
		    return "." if n in ("", ".") else "./" + n
		listed = {norm(m.name) for m in tarfile.open(layer) if m.isdir()}
		def split(line):
		    # "NAME directory MODE OWNER MTIME", or None for any other line
		    if not line.startswith(".") or " directory " not in line:
		        return None
		    name, rest = line.rstrip("\n").split(" directory ", 1)
		    head, mtime = rest.rsplit(" ", 1)
		    return name, head, mtime
		bdirs = {d[0]: d[2] for d in map(split, open(base)) if d}
		lines = []
		for line in open(meta):
		    d = split(line)
		    if d and d[0] not in listed:
		        name, head, mtime = d
		        mtime = (bdirs[name] if how == "base" else mtime) if name in bdirs else "-"
		        line = "%s directory %s %s\n" % (name, head, mtime)
		    lines.append(line)
		open(meta, "w").writelines(lines)
	EOF
}
