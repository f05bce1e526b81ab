#!/usr/bin/env bats
# The build for real (tests/host/build.bats has the rest, on fake packages):
# zlib built from its pinned source and an interrupted build of it redone,
# the kernel configured from Debian's tree with an option that does not
# survive olddefconfig, a failed kernel build step, and apt-get asked for a
# version the archive does not have.

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
