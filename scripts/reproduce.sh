#!/bin/sh
# reproduce.sh [COMMIT]: build the image of COMMIT (default HEAD) twice, in
# two fresh clones in different directories, each with a BERTH_CACHE of its
# own for the image steps (the packages and the kernel come from the warm
# cache, read-only through links), and compare every output that ships.
# Prints the first differing file and byte offset, and diffoscope's report
# when diffoscope is installed. Both builds sign with one key
# (BERTH_SIGNING_KEY, else the cache's development key): the root holds its
# public half; the bundle is compared without its signature file.
# REPRODUCE_IMAGE_ONLY=1: only the image assembly, twice, from this tree's
# out/ (the packages, kernel and programs as they are): what the host test runs.
# REPRODUCE_PACKAGES=1: build b builds every package itself, from the
# sources alone, in a cache of its own; each package's installed files are
# then compared with the warm cache's, file by file, before the images.
# REPRODUCE_DIR: where the builds go (default $BERTH_CACHE/reproduce).
set -eu
. "$(dirname "$0")/lib.sh"
need git cmp tar sha256sum

SHIPPED="root.img initramfs.cpio berth.efi berth.img vmlinuz cmdline manifest.json"

# first_diff A B: 0 if every shipped file is the same in out dirs A and B
first_diff() {
	rc=0
	for f in $SHIPPED bundle; do
		if [ "$f" = bundle ]; then
			ba=$(ls "$1"/berth-*.bundle 2>/dev/null | head -1) bb=$(ls "$2"/berth-*.bundle 2>/dev/null | head -1)
			[ -n "$ba" ] && [ -n "$bb" ] || continue
			# the bundle without its signature: its other members, in order
			mkdir -p "$1/.unbundled" "$2/.unbundled"
			tar -xf "$ba" -C "$1/.unbundled" && tar -xf "$bb" -C "$2/.unbundled"
			for m in $(tar -tf "$ba" | grep -v '\.minisig$'); do
				compare_one "$1/.unbundled/$m" "$2/.unbundled/$m" "$(basename "$ba") member $m" || rc=1
			done
			continue
		fi
		compare_one "$1/$f" "$2/$f" "$f" || rc=1
	done
	return "$rc"
}

compare_one() {
	[ -f "$1" ] || die "reproduce: $3 was not built in $(dirname "$1")"
	[ -f "$2" ] || die "reproduce: $3 was not built in $(dirname "$2")"
	if out=$(cmp "$1" "$2" 2>&1); then
		echo "reproduce: same: $3 ($(sha256sum <"$1" | cut -c1-16))"
		return 0
	fi
	echo "reproduce: DIFFERS: $3: $(echo "$out" | sed -E 's/.* differ: (byte|char) ([0-9]+).*/first difference at byte offset \2/')"
	if command -v diffoscope >/dev/null 2>&1; then
		diffoscope --text - "$1" "$2" 2>/dev/null | head -n 40 || true
	fi
	return 1
}

# tree_list DIR: each entry below DIR but the cache's .complete mark, as
# "type mode path link-target", sorted
tree_list() { (cd "$1" && find . -path ./.complete -prune -o -printf '%y %m %p %l\n' | LC_ALL=C sort); }

# compare_tree A B LABEL: every file, link and mode under A and B the same
compare_tree() {
	rc=0
	la=$(tree_list "$1")
	lb=$(tree_list "$2")
	if [ "$la" != "$lb" ]; then
		echo "reproduce: DIFFERS: $3: the file lists differ:"
		printf '%s\n' "$la" >"$work/list-a" && printf '%s\n' "$lb" >"$work/list-b"
		diff "$work/list-a" "$work/list-b" | head -n 10
		return 1
	fi
	(cd "$1" && find . -type f ! -name .complete | LC_ALL=C sort) >"$work/files"
	while IFS= read -r p; do
		cmp -s "$1/$p" "$2/$p" || { compare_one "$1/$p" "$2/$p" "$3: ${p#./}"; rc=1; }
	done <"$work/files"
	[ "$rc" = 0 ] && echo "reproduce: same: $3 ($(echo "$la" | wc -l) entries)"
	return "$rc"
}

# image_twice: the image steps twice from this out/, into two out dirs
image_twice() {
	base=$1
	for n in a b; do
		o=$base/out-$n c=$base/cache-$n
		mkdir -p "$o" "$c"
		for d in rootfs-bin bin sysroot toolchain pkgs; do ln -sfn "$OUT/$d" "$o/$d"; done
		# b's programs are copies with other mtimes, as a build at another
		# time links them: no step may take a file's time into an output
		if [ "$n" = b ]; then
			rm "$o/bin" && cp -r "$OUT/bin" "$o/bin" && touch -d '+1 hour' "$o"/bin/*
		fi
		cp "$OUT/vmlinuz" "$OUT/manifest.json" "$o/"
		# inputs stay shared: the kernel tree (gen_init_cpio), the sources and
		# the packages' cache entries (the SBOM reads what each one installed)
		for d in linux sources pkg; do ln -sfn "$CACHE/$d" "$c/$d"; done
		# REPRODUCE_B_ENV="VAR=value": build b only (the test's way to make one differ)
		extra=
		[ "$n" = b ] && extra=${REPRODUCE_B_ENV:-}
		for s in rootfs initramfs uki disk bundle; do
			# shellcheck disable=SC2086 # extra is a list of VAR=value words
			env OUT="$o" BERTH_CACHE="$c" BERTH_SIGNING_KEY="$key" $extra "$TOP/images/$s.sh" >>"$base/$n.log" 2>&1 ||
				die "reproduce: images/$s.sh failed in build $n (log: $base/$n.log)"
		done
	done
}

key=${BERTH_SIGNING_KEY:-$("$TOP/scripts/signing-key.sh" 2>/dev/null)}
work=${REPRODUCE_DIR:-$CACHE/reproduce}
rm -rf "$work"; mkdir -p "$work"
start=$(date +%s)

if [ "${REPRODUCE_IMAGE_ONLY:-0}" = 1 ]; then
	for f in vmlinuz manifest.json; do
		[ -f "$OUT/$f" ] || die "reproduce: out/$f is missing (make image)"
	done
	image_twice "$work"
	a=$work/out-a b=$work/out-b
else
	commit=$(git -C "$TOP" rev-parse "${1:-HEAD}")
	for n in a b; do
		# two directories with different names and depths: paths must not leak
		dir=$work/$n/clone-$n
		[ "$n" = b ] && dir=$work/$n/deeper/clone-b
		mkdir -p "$(dirname "$dir")"
		git clone -q --no-local "$TOP" "$dir"
		git -C "$dir" checkout -q "$commit"
		c=$work/$n/cache
		mkdir -p "$c"
		# downloads and slow builds from the warm cache; the rest is the build's own
		for d in sources pkg kernel linux headers; do
			[ "$n$d" = bpkg ] && [ "${REPRODUCE_PACKAGES:-0}" = 1 ] && continue
			[ -e "$CACHE/$d" ] && ln -sfn "$CACHE/$d" "$c/$d"
		done
		note "reproduce: build $n of $commit in $dir"
		# the clone's own out/: OUT, VERSION and make's own variables come
		# from `make reproduce` (the Makefile exports them) and must not reach it
		(cd "$dir" && env -u OUT -u VERSION -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
			BERTH_CACHE="$c" BERTH_SIGNING_KEY="$key" make image bundle) >"$work/$n.log" 2>&1 ||
			die "reproduce: make image bundle failed in build $n (log: $work/$n.log)"
	done
	a=$work/a/clone-a/out b=$work/b/deeper/clone-b/out
fi

pkgs_rc=0
if [ "${REPRODUCE_PACKAGES:-0}" = 1 ] && [ "${REPRODUCE_IMAGE_ONLY:-0}" != 1 ]; then
	for e in "$work"/b/cache/pkg/*/; do
		e=${e%/}
		[ -d "$CACHE/pkg/${e##*/}" ] || { echo "reproduce: DIFFERS: package ${e##*/}: no such entry in $CACHE/pkg (another key)"; pkgs_rc=1; continue; }
		compare_tree "$CACHE/pkg/${e##*/}" "$e" "package ${e##*/}" || pkgs_rc=1
	done
fi

if first_diff "$a" "$b" && [ "$pkgs_rc" = 0 ]; then
	echo "reproduce: every shipped output is byte-identical ($(( $(date +%s) - start )) s)"
	exit 0
fi
echo "reproduce: the two builds differ (logs and outputs in $work)"
exit 1
