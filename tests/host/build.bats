#!/usr/bin/env bats
# The build foundation: static musl binaries, the kernel config, the source
# pins, the cache, the manifest and the Makefile's own help.

setup() { load ../lib/common; }

# a temporary cache that shares the big kernel tree and headers of the real one
temp_cache() {
	local c
	c=$(mktemp -d)
	mkdir -p "$c/sources"
	ln -s "$BERTH_CACHE/headers" "$c/headers"
	echo "$c"
}

image_binaries() { find "$OUT/rootfs-bin" -type f; }

@test "every binary for the image is static and free of glibc" {
	run image_binaries
	assert_success
	[ "${#lines[@]}" -ge 3 ]
	for f in "${lines[@]}"; do
		run readelf -lW "$f"
		assert_success
		refute_output --partial 'INTERP'
		run readelf -dW "$f"
		refute_output --partial 'NEEDED'
		run grep -c 'GLIBC_2' "$f"
		assert_output 0
	done
}

@test "busybox has exactly the applets in pkgs/busybox/applets.txt, runit's among them" {
	want=$(grep -v '^#' "$TOP/pkgs/busybox/applets.txt" | tr ' ' '\n' | grep . | sort)
	run "$OUT/rootfs-bin/busybox" --list
	assert_success
	have=$(printf '%s\n' "${lines[@]}" | sort)
	assert_equal "$have" "$want"
	for a in runsvdir runsv sv svlogd chpst; do
		assert_line "$a"
	done
}

@test "the runit tools run and print their usage" {
	for a in runsvdir runsv sv svlogd chpst; do
		run "$OUT/rootfs-bin/busybox" "$a"
		assert_failure
		assert_output --partial "Usage: $a"
	done
}

@test "crun runs and has seccomp, capabilities and yajl" {
	run "$OUT/rootfs-bin/crun" --version
	assert_success
	assert_line --regexp '^crun version 1\.8\.1'
	assert_output --partial '+SECCOMP'
	assert_output --partial '+CAP'
	assert_output --partial '+YAJL'
}

@test "dropbear, dropbearkey and scp run" {
	run "$OUT/rootfs-bin/dropbear" -V
	assert_output --partial 'Dropbear v2022.83'
	tmp=$(mktemp -d)
	run "$OUT/rootfs-bin/dropbearkey" -t ed25519 -f "$tmp/key"
	assert_success
	assert_output --partial 'ssh-ed25519 '
	rm -rf "$tmp"
	run "$OUT/rootfs-bin/scp"
	assert_output --partial 'usage: scp'
}

@test "the kernel .config holds every option the fragments ask for" {
	[ -s "$OUT/kernel.config" ]
	run "$TOP/scripts/kconfig-check.sh" "$OUT/kernel.config" "$TOP"/kernel-config/*.config
	assert_success
	run grep -c '^CONFIG_DM_VERITY=y' "$OUT/kernel.config"
	assert_output 1
}

@test "an option that does not survive olddefconfig fails the check, naming it" {
	frag=$(mktemp)
	printf 'CONFIG_DM_VERITY=y\nCONFIG_BERTH_NO_SUCH_OPTION=y\n# CONFIG_DM_VERITY is not set\n' >"$frag"
	run "$TOP/scripts/kconfig-check.sh" "$OUT/kernel.config" "$frag"
	rm -f "$frag"
	assert_failure
	assert_output --partial 'CONFIG_BERTH_NO_SUCH_OPTION=y requested, but it is not set'
	assert_output --partial 'CONFIG_DM_VERITY off requested, but got y'
}

@test "out/vmlinuz is a bzImage of Debian's 6.1 kernel" {
	run file "$OUT/vmlinuz"
	assert_output --partial 'Linux kernel x86 boot executable bzImage, version 6.1.'
}

@test "a corrupted source in the cache is refused with a clear error" {
	tmpc=$(temp_cache)
	src=$("$TOP/scripts/fetch.sh" zlib)
	cp -a "$src" "$tmpc/sources/"
	f=$(ls "$tmpc"/sources/*/zlib_*.orig.tar.*)
	printf 'X' | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
	run env BERTH_CACHE="$tmpc" "$TOP/scripts/fetch.sh" zlib
	assert_failure
	assert_output --regexp "pkgs/zlib: .*$(basename "$f"): sha256 mismatch \(pinned [0-9a-f]{64}, got [0-9a-f]{64}\)"
	# and the build stops there too
	run env BERTH_CACHE="$tmpc" OUT="$tmpc/out" "$TOP/scripts/pkg.sh" zlib
	assert_failure
	assert_output --partial 'sha256 mismatch'
	rm -rf "$tmpc"
}

@test "a source file missing from the cache is refused" {
	tmpc=$(temp_cache)
	src=$("$TOP/scripts/fetch.sh" zlib)
	cp -a "$src" "$tmpc/sources/"
	rm "$tmpc"/sources/*/zlib_*.dsc
	run env BERTH_CACHE="$tmpc" "$TOP/scripts/fetch.sh" zlib
	rm -rf "$tmpc"
	assert_failure
	assert_output --partial '.dsc: missing from cache'
}

@test "a package build interrupted before it completed is rebuilt, not used" {
	tmpc=$(temp_cache)
	run env BERTH_CACHE="$tmpc" OUT="$tmpc/out" "$TOP/scripts/pkg.sh" zlib
	assert_success
	assert_output --partial 'zlib 1:1.2.13.dfsg-1: building'
	result=$(ls -d "$tmpc"/pkg/zlib-*)
	[ -f "$result/.complete" ]
	# an interrupted build never published: simulate a half-written result
	rm "$result/.complete" "$result/usr/lib/libz.a"
	run env BERTH_CACHE="$tmpc" OUT="$tmpc/out" "$TOP/scripts/pkg.sh" zlib
	assert_success
	assert_output --partial 'building'
	[ -f "$result/usr/lib/libz.a" ]
	# and a complete one is reused
	run env BERTH_CACHE="$tmpc" OUT="$tmpc/out" "$TOP/scripts/pkg.sh" zlib
	assert_success
	refute_output --partial 'building'
	rm -rf "$tmpc"
}

@test "out/manifest.json lists every package with version, license and source checksums" {
	run jq -e '.packages | length' "$OUT/manifest.json"
	assert_success
	for d in "$TOP"/pkgs/*/; do
		p=$(basename "$d")
		. "$d/pkg.conf"
		run jq -e --arg p "$p" --arg v "$VERSION" --arg l "$LICENSE" \
			'.packages[] | select(.name == $p and .version == $v and .license == $l)' "$OUT/manifest.json"
		assert_success
		while read -r sum file; do
			run jq -e --arg p "$p" --arg f "$file" --arg s "$sum" \
				'.packages[] | select(.name == $p) | .files[] | select(.name == $f and .sha256 == $s)' "$OUT/manifest.json"
			assert_success
		done <"$d/sha256sums"
	done
}

@test "make help names every target" {
	run make -s -C "$TOP" help
	assert_success
	for t in all deps kernel pkgs image run check test bench clean distclean help; do
		assert_line --regexp "^$t "
	done
}

@test "make deps is quiet when nothing is missing" {
	run "$TOP/scripts/deps.sh"
	assert_success
	assert_output ''
}

@test "make deps as a user names what to run when something is missing" {
	list=$(mktemp)
	echo berth-no-such-package >"$list"
	chmod 644 "$list"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups env BERTH_HOST_PACKAGES="$list" "$TOP/scripts/deps.sh"
	rm -f "$list"
	assert_failure
	assert_output --partial 'berth-no-such-package'
	assert_output --partial 'run: sudo make deps'
}
