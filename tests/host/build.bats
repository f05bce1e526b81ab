#!/usr/bin/env bats
# The build foundation: static musl binaries, the kernel config, the source
# pins, the cache, the manifest and the Makefile's own help
# (tests/host-slow/build-real.bats builds packages, a real one and fakes
# from zlib's source, and the kernel's config, and asks the archive).

setup() {
	load ../lib/common
	load ../lib/build
}

# everything Berth puts in the image: the packages' binaries and its own
# (-H: out/rootfs-bin may be a link into another out/)
image_binaries() { find -H "$OUT/rootfs-bin" "$OUT/bin" -type f; }

# not_static_musl FILE: print why FILE is not a static musl binary, or
# nothing. glibc's start files carry a .note.ABI-tag section, static or not
# (a static glibc binary has no GLIBC_2 symbol versions); musl's carry none.
not_static_musl() {
	readelf -hW "$1" >/dev/null 2>&1 || { echo "$1: not an ELF file"; return; }
	if readelf -lW "$1" | grep -q 'INTERP'; then echo "$1: has a program interpreter (dynamic)"; fi
	if readelf -dW "$1" | grep -q 'NEEDED'; then echo "$1: needs shared libraries"; fi
	if readelf -SW "$1" | grep -q '\.note\.ABI-tag'; then echo "$1: has .note.ABI-tag (glibc)"; fi
	if grep -q 'GLIBC_2' "$1"; then echo "$1: has glibc symbol versions"; fi
}

@test "the static musl check rejects a static glibc binary and a dynamic one" {
	# negative controls from this host: Debian's ldconfig is static glibc
	run file -L /sbin/ldconfig
	assert_output --partial 'static'
	run not_static_musl /sbin/ldconfig
	assert_output '/sbin/ldconfig: has .note.ABI-tag (glibc)'
	run not_static_musl /bin/true
	assert_output --partial 'has a program interpreter (dynamic)'
	assert_output --partial 'needs shared libraries'
}

@test "every binary for the image (out/rootfs-bin, out/bin) is static and free of glibc" {
	run image_binaries
	assert_success
	for b in busybox crun dropbearmulti doas; do assert_line "$OUT/rootfs-bin/$b"; done
	for b in init berth provision netcfg; do assert_line "$OUT/bin/$b"; done
	for f in "${lines[@]}"; do
		run not_static_musl "$f"
		assert_output ''
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
	run pkg_zlib "$tmpc"
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

@test "out/manifest.json lists every package with version, license and source checksums" {
	run jq -e '.components | length' "$OUT/manifest.json"
	assert_success
	for d in "$TOP"/pkgs/*/; do
		p=$(basename "$d")
		. "$d/pkg.conf"
		run jq -e --arg p "$p" --arg v "$VERSION" --arg l "$LICENSE" \
			'.components[] | select(."bom-ref" == $p and .version == $v and (.licenses[0] | .license.id // .license.name // .expression) == $l)' "$OUT/manifest.json"
		assert_success
		while read -r sum file; do
			run jq -e --arg p "$p" --arg f "$file" --arg s "$sum" \
				'.components[] | select(."bom-ref" == $p) | .externalReferences[] | select((.url | endswith("/" + $f)) and .hashes[0].content == $s)' "$OUT/manifest.json"
			assert_success
		done <"$d/sha256sums"
	done
}

@test "make help names every target of the Makefile's .PHONY line" {
	phony=$(sed -n 's/^\.PHONY:[[:space:]]*//p' "$TOP/Makefile")
	for t in all deps kernel pkgs image run check test bench clean distclean help test-image; do
		case " $phony " in *" $t "*) ;; *) fail "$t is not in .PHONY" ;; esac
	done
	run make -s -C "$TOP" help
	assert_success
	for t in $phony; do
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

@test "a download that does not match its pin is refused and never enters the cache" {
	tmpc=$(temp_cache)
	t=$(mktemp -d)
	src=$("$TOP/scripts/fetch.sh" zlib)
	# stands in for apt-get source: the pinned files, the tarball altered
	mkdir "$t/bin"
	printf '#!/bin/sh\ncp %s/* . && printf X >>"$(ls ./*.orig.tar.*)"\n' "$src" >"$t/bin/apt-get"
	chmod +x "$t/bin/apt-get"
	run env PATH="$t/bin:$PATH" BERTH_CACHE="$tmpc" "$TOP/scripts/fetch.sh" zlib
	assert_failure
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^berth-build: pkgs/zlib: zlib_[^ ]+\.orig\.tar\.[a-z0-9]+: sha256 mismatch after download \(pinned [0-9a-f]{64}, got [0-9a-f]{64}\)$'
	run ls -A "$tmpc/sources"
	assert_output ''
	rm -rf "$tmpc" "$t"
}

@test "a build tool missing from PATH stops the build in one line naming it" {
	tmpc=$(temp_cache)
	t=$(mktemp -d)
	mkdir "$t/bin"
	ln -s /usr/bin/* "$t/bin/"
	rm "$t/bin/musl-gcc" "$t/bin/apt-get"
	run env PATH="$t/bin" OUT="$t/out" "$TOP/scripts/pkg.sh" zlib
	assert_failure
	assert_output 'berth-build: musl-gcc not found: run make deps'
	run env PATH="$t/bin" BERTH_CACHE="$tmpc" "$TOP/scripts/fetch.sh" zlib
	assert_failure
	assert_output 'berth-build: apt-get not found: run make deps'
	# through make: that line, then make's own, and nothing in out/
	run env PATH="$t/bin" make -s -C "$TOP" pkgs OUT="$t/out"
	assert_failure
	assert_equal "${lines[0]}" 'berth-build: musl-gcc not found: run make deps'
	assert_equal "${#lines[@]}" 2
	run ls -A "$t/out"
	assert_output ''
	rm -rf "$tmpc" "$t"
}
