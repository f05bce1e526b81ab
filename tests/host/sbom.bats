#!/usr/bin/env bats
# The SBOM (scripts/sbom.sh): a CycloneDX 1.5 document of the staged root that
# validates against the pinned official schema, names every package with its
# version and pinned sources, every file of the root with its sha256 and its
# origin, no host; and `berth version`. The same bytes every time:
# tests/host-slow/sbom-same.bats.
# shellcheck disable=SC2154 # bats' run sets status, output, lines

setup_file() {
	load ../lib/common
	load ../lib/build
	stage_progs
}

setup() {
	load ../lib/common
	load ../lib/build
	sbom_paths
	PKGS=$(sed -n 's/^PKGS := //p' "$TOP/Makefile")
	[ -n "$PKGS" ]
}

# the schema comes from npm at test time; skip only when npm has no registry
check() {
	run "$TOP/scripts/sbom-check.sh" "$1"
	if [ "$status" = 111 ]; then skip "$output"; fi
}

@test "the SBOM validates against the pinned CycloneDX 1.5 schema; a bad one does not" {
	check "$SBOM"
	assert_success
	assert_output "sbom-check: $SBOM: valid CycloneDX 1.5"
	cmp "$SBOM" "$A/rootfs/usr/share/berth/sbom.json"
	jq '(.components[] | select(."bom-ref" == "zlib") | .licenses) = [{license: {id: "Zlib-Like"}}]' "$SBOM" >"$BATS_TEST_TMPDIR/bad.json"
	check "$BATS_TEST_TMPDIR/bad.json"
	assert_failure 1
	assert_output --partial "bad.json: components/"
	assert_output --partial "/licenses/0/license/id: 'Zlib-Like': not one of the"
}

@test "the SBOM names the kernel and every package with its pkg.conf version and license and each pinned source's pool path and sha256" {
	for p in linux $PKGS; do
		# shellcheck source=/dev/null # every pkg.conf sets SOURCE, VERSION, LICENSE
		. "$TOP/pkgs/$p/pkg.conf"
		run jq -e --arg p "$p" --arg v "$VERSION" --arg l "$LICENSE" '.components[] | select(."bom-ref" == $p and .version == $v)
			| .licenses[0] | select((.license.id // .license.name // .expression) == $l)' "$SBOM"
		assert_success
		src=$SOURCE
		[ "$p" != linux ] || src=linux
		case $src in lib?*) dir=pool/main/${src:0:4}/$src ;; *) dir=pool/main/${src:0:1}/$src ;; esac
		while read -r sum file; do
			run jq -e --arg p "$p" --arg u "$dir/$file" --arg s "$sum" '.components[] | select(."bom-ref" == $p)
				| .externalReferences[] | select(.type == "distribution" and .url == $u and .hashes == [{alg: "SHA-256", content: $s}])' "$SBOM"
			assert_success
		done <"$TOP/pkgs/$p/sha256sums"
	done
	# and nothing else: the packages, Berth
	run jq -r '[.components[]."bom-ref"] | join(" ")' "$SBOM"
	# shellcheck disable=SC2086 # PKGS is a list
	assert_output "$(printf '%s\n' berth linux $PKGS | sort | tr '\n' ' ' | sed 's/ $//')"
	run jq -r '.components[] | select(."bom-ref" == "crun" or ."bom-ref" == "libcap" or ."bom-ref" == "linux") | .externalReferences[0].url' "$SBOM"
	assert_output $'pool/main/c/crun/crun_1.8.1-1+deb12u1.debian.tar.xz\npool/main/libc/libcap2/libcap2_2.66-4+deb12u3.debian.tar.xz\npool/main/l/linux/linux-source-6.1_6.1.192-2_all.deb'
}

@test "every regular file of the staged root is in the SBOM with its sha256, under a package or Berth" {
	# path, sha256 and the top-level component it is listed under
	(cd "$A/rootfs" && find . -type f ! -path ./usr/share/berth/sbom.json -printf '/%P\n' | LC_ALL=C sort |
		while read -r f; do echo "$f $(sha256sum <".$f" | cut -d' ' -f1)"; done) >"$BATS_TEST_TMPDIR/root"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/root")" -gt 20 ]
	jq -r '.components[] | ."bom-ref" as $owner | .. | objects | select(.type? == "file")
		| "\(.name) \(.hashes[0].content) \($owner)"' "$SBOM" | LC_ALL=C sort >"$BATS_TEST_TMPDIR/listed"
	run diff <(cut -d' ' -f1,2 "$BATS_TEST_TMPDIR/listed") "$BATS_TEST_TMPDIR/root"
	assert_success
	run cut -d' ' -f3 "$BATS_TEST_TMPDIR/listed"
	for owner in "${lines[@]}"; do
		case " berth $PKGS " in *" $owner "*) ;; *) fail "a file is attributed to $owner" ;; esac
	done
	run jq -r '[.components[] | ."bom-ref" as $o | .. | objects | select(.type? == "file")
		| select(.name | IN("/bin/busybox", "/usr/bin/crun", "/usr/sbin/dropbearmulti", "/usr/bin/doas", "/usr/sbin/e2fsck",
			"/usr/bin/berth", "/sbin/init", "/etc/os-release", "/etc/berth/update.pub")) | "\(.name) \($o)"] | sort[]' "$SBOM"
	assert_output "$(printf '%s\n' '/bin/busybox busybox' '/etc/berth/update.pub berth' '/etc/os-release berth' \
		'/sbin/init berth' '/usr/bin/berth berth' '/usr/bin/crun crun' '/usr/bin/doas opendoas' \
		'/usr/sbin/dropbearmulti dropbear' '/usr/sbin/e2fsck e2fsprogs')"
}

@test "Berth's own programs are components of Berth, with their sha256 and files; Berth's license is NOASSERTION" {
	for p in berth provision netcfg init initramfs-init; do
		sum=$(sha256sum <"$OUT/bin/$p" | cut -d' ' -f1)
		run jq -e --arg r "berth/$p" --arg s "$sum" '.components[] | select(."bom-ref" == "berth") | .components[]
			| select(."bom-ref" == $r and .hashes == [{alg: "SHA-256", content: $s}]
				and .licenses == [{license: {name: "NOASSERTION"}}])' "$SBOM"
		assert_success
	done
	run jq -r '.components[] | select(."bom-ref" == "berth") | .components[] | select(."bom-ref" == "berth/init") | .components[].name' "$SBOM"
	assert_output /sbin/init
	run jq -r '.metadata.component | "\(.name) \(.version) \(.type)"' "$SBOM"
	assert_output "berth $(cat "$TOP/VERSION") operating-system"
}

@test "the SBOM names no host: no :// anywhere" {
	run grep -c '://' "$SBOM"
	assert_failure 1
	assert_output 0
}

@test "berth version prints 'Berth VERSION (ID)' from os-release, --sbom the root's SBOM; a missing file is one line, exit 1" {
	export BERTH_OS_RELEASE=$A/rootfs/etc/os-release BERTH_SBOM=$A/rootfs/usr/share/berth/sbom.json
	run "$OUT/bin/berth" version
	assert_success
	assert_output "Berth $(cat "$TOP/VERSION") (berth)"
	run bash -c '"$0" version --sbom | cmp - "$BERTH_SBOM"' "$OUT/bin/berth"
	assert_success
	BERTH_SBOM=$A/none run "$OUT/bin/berth" version --sbom
	assert_failure 1
	assert_output "berth version: $A/none: no such file: this root has no SBOM"
	BERTH_OS_RELEASE=$A/none run "$OUT/bin/berth" version
	assert_failure 1
	assert_output "berth version: $A/none: no such file: cannot tell the version"
	printf 'ID=berth\n' >"$BATS_TEST_TMPDIR/os-release"
	BERTH_OS_RELEASE=$BATS_TEST_TMPDIR/os-release run "$OUT/bin/berth" version
	assert_failure 1
	assert_output "berth version: $BATS_TEST_TMPDIR/os-release: VERSION: missing, empty or longer than 63 bytes"
	run "$OUT/bin/berth" version --json
	assert_failure 100
	assert_line 'berth version: unexpected argument --json'
	run "$OUT/bin/berth" help
	assert_line --regexp '^  version +the Berth version'
}
