#!/usr/bin/env bats
# The build for real (tests/host/build.bats has the rest): zlib built from
# its pinned source and an interrupted build of it redone; packages made from
# zlib's source with recipes of their own (fake_pkg), run by scripts/pkg.sh
# and by make pkgs in a copy of the tree: a failed build's one line, and a
# package set published whole or not at all; the kernel configured from
# Debian's tree with an option that does not survive olddefconfig, a failed
# kernel build step, and apt-get asked for a version the archive does not
# have. Temporary caches and trees are tests/lib/build.bash's.
# shellcheck disable=SC2030,SC2031 # fake_tree sets tmpc and t for the test that calls it

setup() {
	load ../lib/common
	load ../lib/build
}

# kernel_cache DIR: a temporary cache that also shares the real one's kernel
# source (download and extracted tree, both only read)
kernel_cache() {
	local c
	c=$(temp_cache)
	ln -s "$BERTH_CACHE"/sources/linux-source-* "$c/sources/"
	ln -s "$BERTH_CACHE/linux" "$c/linux"
	echo "$c"
}

# fake_pkg TREE NAME BUILD: a package NAME built from zlib's pinned source by
# the recipe BUILD (fast: nothing of zlib is compiled)
fake_pkg() {
	mkdir -p "$1/pkgs/$2"
	cp "$TOP/pkgs/zlib/pkg.conf" "$TOP/pkgs/zlib/sha256sums" "$1/pkgs/$2/"
	printf '%s\n' "$3" >"$1/pkgs/$2/build.sh"
}

# fake_tree: $tmpc, a temporary cache with zlib's pinned source (what
# fake_pkg builds from), and $t, a tree of the build without any package
fake_tree() {
	tmpc=$(temp_cache)
	cp -a "$("$TOP/scripts/fetch.sh" zlib)" "$tmpc/sources/"
	t=$(mktemp -d)
	temp_tree "$t"
}

# the recipe of a package that fails: noise, then a compiler-like error
FAILING_BUILD='i=0; while [ $i -lt 40 ]; do echo "noise $i"; i=$((i + 1)); done
echo "two.c:1:1: error: the build of two fails here" >&2
exit 1'

@test "a package build interrupted before it completed is rebuilt, not used" {
	tmpc=$(temp_cache)
	run pkg_zlib "$tmpc"
	assert_success
	assert_output --partial 'zlib 1:1.2.13.dfsg-1: building'
	result=$(ls -d "$tmpc"/pkg/zlib-*)
	[ -f "$result/.complete" ]
	# an interrupted build never published: simulate a half-written result
	rm "$result/.complete" "$result/usr/lib/libz.a"
	run pkg_zlib "$tmpc"
	assert_success
	assert_output --partial 'building'
	[ -f "$result/usr/lib/libz.a" ]
	# and a complete one is reused
	run pkg_zlib "$tmpc"
	assert_success
	refute_output --partial 'building'
	rm -rf "$tmpc"
}

@test "a version that is not on the archive stops the fetch in one line and caches nothing" {
	tmpc=$(temp_cache)
	t=$(mktemp -d)
	temp_tree "$t" zlib
	sed -i 's/^VERSION=.*/VERSION=1:0.0.0-0berth/' "$t/pkgs/zlib/pkg.conf"
	run env BERTH_CACHE="$tmpc" OUT="$t/out" "$t/scripts/fetch.sh" zlib
	assert_failure
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^berth-build: pkgs/zlib: apt-get could not fetch source zlib=1:0.0.0-0berth: E: .+'
	# and the package build stops there, with the same one line
	run env BERTH_CACHE="$tmpc" OUT="$t/out" "$t/scripts/pkg.sh" zlib
	assert_failure
	assert_equal "${#lines[@]}" 1
	assert_output --partial 'berth-build: pkgs/zlib: apt-get could not fetch source zlib=1:0.0.0-0berth'
	run ls -A "$tmpc/sources"
	assert_output ''
	[ ! -e "$tmpc/pkg" ]
	rm -rf "$tmpc" "$t"
}

@test "a kernel option dropped by olddefconfig fails the kernel build and removes the old out/vmlinuz" {
	tmpc=$(kernel_cache)
	t=$(mktemp -d)
	temp_tree "$t"
	printf 'CONFIG_BERTH_NO_SUCH_OPTION=y\n' >"$t/kernel-config/zz-test.config"
	mkdir "$t/out"
	for f in vmlinuz kernel.config kernel.release; do echo old >"$t/out/$f"; done
	run env -u CI -u V BERTH_CACHE="$tmpc" OUT="$t/out" "$t/scripts/kernel.sh"
	assert_failure
	assert_line "$t/kernel-config/zz-test.config:1: CONFIG_BERTH_NO_SUCH_OPTION=y requested, but it is not set"
	obj=$(ls -d "$tmpc"/kernel/obj-*)
	assert_equal "${lines[-1]}" "berth-build: kernel $(. "$TOP/pkgs/linux/pkg.conf"; echo "$VERSION"): config check failed: 1 requested option(s) did not survive olddefconfig (config: $obj/.config)"
	for f in vmlinuz kernel.config kernel.release; do [ ! -e "$t/out/$f" ]; done
	run ls "$tmpc/kernel"
	assert_output "$(basename "$obj")"
	rm -rf "$tmpc" "$t"
}

@test "a failed kernel build step ends with one line naming the step and the log" {
	tmpc=$(kernel_cache)
	t=$(mktemp -d)
	mkdir "$t/bin" "$t/out"
	printf '#!/bin/sh\necho "kconfig: making it"\necho "make: *** [tinyconfig] Error 2" >&2\nexit 2\n' >"$t/bin/make"
	chmod +x "$t/bin/make"
	echo old >"$t/out/vmlinuz"
	run env -u CI -u V PATH="$t/bin:$PATH" BERTH_CACHE="$tmpc" OUT="$t/out" "$TOP/scripts/kernel.sh"
	assert_failure
	obj=$(ls -d "$tmpc"/kernel/obj-*)
	assert_equal "${lines[-1]}" "berth-build: kernel $(. "$TOP/pkgs/linux/pkg.conf"; echo "$VERSION"): make tinyconfig failed (log: $obj/build.log): make: *** [tinyconfig] Error 2"
	refute_line 'kconfig: making it'
	[ ! -e "$t/out/vmlinuz" ]
	run env CI=true PATH="$t/bin:$PATH" BERTH_CACHE="$tmpc" OUT="$t/out" "$TOP/scripts/kernel.sh"
	assert_line 'kconfig: making it'
	assert_equal "${lines[-1]}" "berth-build: kernel $(. "$TOP/pkgs/linux/pkg.conf"; echo "$VERSION"): make tinyconfig failed (log: $obj/build.log): make: *** [tinyconfig] Error 2"
	rm -rf "$tmpc" "$t"
}

@test "a failed package build ends with one line naming the package, the step and the log" {
	fake_tree
	fake_pkg "$t" two "$FAILING_BUILD"
	want="berth-build: pkgs/two: build.sh failed (log: $tmpc/build/two.failed.log): two.c:1:1: error: the build of two fails here"
	run env -u CI -u V BERTH_CACHE="$tmpc" OUT="$t/out" "$t/scripts/pkg.sh" two
	assert_failure
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp '^berth-build: two .*: building$'
	assert_line --index 1 "$want"
	run grep -c '^noise' "$tmpc/build/two.failed.log"
	assert_output 40
	# under CI the log's tail comes first, the same line last
	run env CI=true BERTH_CACHE="$tmpc" OUT="$t/out" "$t/scripts/pkg.sh" two
	assert_failure
	assert_line 'noise 39'
	assert_equal "${lines[-1]}" "$want"
	run env -u CI V=1 BERTH_CACHE="$tmpc" OUT="$t/out" "$t/scripts/pkg.sh" two
	assert_line 'noise 39'
	assert_equal "${lines[-1]}" "$want"
	run env CI=false BERTH_CACHE="$tmpc" OUT="$t/out" "$t/scripts/pkg.sh" two
	refute_line 'noise 39'
	[ ! -e "$tmpc/pkg" ]
	rm -rf "$tmpc" "$t"
}

@test "make pkgs publishes a package set whole or not at all; a no-op rewrites nothing" {
	fake_tree
	fake_pkg "$t" one 'mkdir -p "$DESTDIR/bin" "$DESTDIR/usr/include"
printf "#!/bin/sh\necho one\n" >"$DESTDIR/bin/one" && chmod +x "$DESTDIR/bin/one"
echo "#define ONE 1" >"$DESTDIR/usr/include/one.h"'
	fake_pkg "$t" two "$FAILING_BUILD"
	export BERTH_CACHE=$tmpc OUT=$t/out
	unset CI V

	# a failure in a fresh out/: nothing that looks built
	run make -s -C "$t" pkgs PKGS="one two" OUT="$t/fresh"
	assert_failure
	assert_line "berth-build: pkgs/two: build.sh failed (log: $tmpc/build/two.failed.log): two.c:1:1: error: the build of two fails here"
	refute_line --partial 'noise'
	for d in sysroot rootfs-bin pkgs; do [ ! -e "$t/fresh/$d" ]; done
	run ls -A "$t/fresh"
	assert_output 'toolchain'

	run make -s -C "$t" pkgs PKGS=one OUT="$t/out"
	assert_success
	assert_line 'pkgs: 1 binaries in out/rootfs-bin'
	[ -x "$t/out/rootfs-bin/one" ]
	[ -f "$t/out/sysroot/usr/include/one.h" ]
	[ -f "$t/out/pkgs/.complete" ]
	before=$(stat -c '%i %Y' "$t/out/sysroot" "$t/out/rootfs-bin" "$t/out/pkgs" "$t/out/pkgs/.complete" "$t/out/toolchain/musl-cc")

	# nothing changed: out/ is left alone (a rename would change the inodes)
	run make -s -C "$t" pkgs PKGS=one OUT="$t/out"
	assert_success
	assert_output 'pkgs: up to date, 1 binaries in out/rootfs-bin'
	assert_equal "$(stat -c '%i %Y' "$t/out/sysroot" "$t/out/rootfs-bin" "$t/out/pkgs" "$t/out/pkgs/.complete" "$t/out/toolchain/musl-cc")" "$before"

	# a failure leaves the last complete set as it was, and no staging
	run make -s -C "$t" pkgs PKGS="one two" OUT="$t/out"
	assert_failure
	assert_equal "$(stat -c '%i %Y' "$t/out/sysroot" "$t/out/rootfs-bin" "$t/out/pkgs" "$t/out/pkgs/.complete" "$t/out/toolchain/musl-cc")" "$before"
	[ ! -e "$t/out/pkgs/two.key" ]
	run ls -A "$t/out"
	assert_output $'pkgs\nrootfs-bin\nsysroot\ntoolchain'

	# pkg.sh run by hand changes the set: the next make pkgs publishes it anew
	run "$t/scripts/pkg.sh" one
	assert_success
	[ ! -e "$t/out/pkgs/.complete" ]
	run make -s -C "$t" pkgs PKGS=one OUT="$t/out"
	assert_success
	assert_output 'pkgs: 1 binaries in out/rootfs-bin'
	[ -f "$t/out/pkgs/.complete" ]
	rm -rf "$tmpc" "$t"
}
