# Temporary caches and build trees for the build suites (tests/host/build.bats,
# tests/host-slow/build-real.bats), and staged roots for the SBOM's
# (tests/host/sbom.bats, tests/host-slow/sbom-same.bats). Load after
# common.bash.

# temp_cache: a temporary cache that shares the real one's kernel headers
temp_cache() {
	local c
	c=$(mktemp -d)
	mkdir -p "$c/sources"
	ln -s "$BERTH_CACHE/headers" "$c/headers"
	echo "$c"
}

# pkg_zlib CACHE: scripts/pkg.sh zlib with CACHE as the cache and CACHE/out
# as out/
pkg_zlib() { BERTH_CACHE=$1 OUT=$1/out "$TOP/scripts/pkg.sh" zlib; }

# temp_tree DIR PKG...: a copy of the Makefile (and berth/parts.mk, which it
# includes), the scripts and the kernel fragments with only the named package
# folders, for a test to pin or break a package without touching pkgs/
temp_tree() {
	local t=$1 p
	shift
	mkdir -p "$t/pkgs" "$t/berth"
	cp -a "$TOP/Makefile" "$TOP/VERSION" "$TOP/scripts" "$TOP/kernel-config" "$t/"
	cp -a "$TOP/berth/parts.mk" "$t/berth/"
	cp -a "$TOP/pkgs/host-packages.txt" "$TOP/pkgs/linux" "$t/pkgs/"
	for p; do cp -a "$TOP/pkgs/$p" "$t/pkgs/"; done
}

# stage OUTDIR [VAR=VALUE...]: images/rootfs.sh's staged root (and its SBOM)
# in OUTDIR, from the programs and packages in $OUT, as update-images.sh does
stage() {
	local d=$1 f
	shift
	mkdir -p "$d"
	for f in rootfs-bin bin pkgs toolchain sysroot; do ln -sfn "$OUT/$f" "$d/$f"; done
	env OUT="$d" ROOTFS_STAGE_ONLY=1 "$@" "$TOP/images/rootfs.sh" >/dev/null
}

# stage_progs: for setup_file: Berth's programs made, then staged once as
# stage does, in $BATS_FILE_TMPDIR/a (sbom_paths names its files)
stage_progs() {
	berth_make "$OUT/bin/init" "$OUT/bin/berth" "$OUT/bin/provision" "$OUT/bin/netcfg" "$OUT/bin/initramfs-init"
	stage "$BATS_FILE_TMPDIR/a"
}

# sbom_paths: for setup: A, the root stage_progs staged, and SBOM, its SBOM
sbom_paths() {
	A=$BATS_FILE_TMPDIR/a
	# shellcheck disable=SC2034 # the suites read it
	SBOM=$A/manifest.json
}
