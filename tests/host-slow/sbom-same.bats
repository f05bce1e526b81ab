#!/usr/bin/env bats
# The SBOM (scripts/sbom.sh) is the same bytes every time the root is staged
# (tests/host/sbom.bats checks what it says): four stagings of the root.
# shellcheck disable=SC2154 # bats' run sets status, output, lines

# the root staged once, as tests/host/sbom.bats has it (tests/lib/build.bash)
setup_file() { load ../lib/common; load ../lib/build; stage_progs; }
setup() { load ../lib/common; load ../lib/build; sbom_paths; }

@test "the SBOM is the same bytes every time; its time is SOURCE_DATE_EPOCH or the commit's, its serial number follows its content" {
	stage "$BATS_TEST_TMPDIR/b"
	cmp "$SBOM" "$BATS_TEST_TMPDIR/b/manifest.json"
	run jq -r .metadata.timestamp "$SBOM"
	assert_output "$(date -u -d "@$(git -C "$TOP" log -1 --format=%ct)" +%Y-%m-%dT%H:%M:%SZ)"
	run jq -r .serialNumber "$SBOM"
	assert_output --regexp '^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
	serial=$output
	# another time, another file: each changes the serial number
	mkdir -p "$BATS_TEST_TMPDIR/extra/etc"
	echo extra >"$BATS_TEST_TMPDIR/extra/etc/extra"
	stage "$BATS_TEST_TMPDIR/c" SOURCE_DATE_EPOCH=86400 ROOTFS_EXTRA="$BATS_TEST_TMPDIR/extra"
	run jq -r '.metadata.timestamp, .serialNumber != $s' --arg s "$serial" "$BATS_TEST_TMPDIR/c/manifest.json"
	assert_output $'1970-01-02T00:00:00Z\ntrue'
	run jq -r '.components[] | select(."bom-ref" == "berth") | .components[] | select(.name == "/etc/extra") | .hashes[0].content' \
		"$BATS_TEST_TMPDIR/c/manifest.json"
	assert_output "$(echo extra | sha256sum | cut -d' ' -f1)"
	# the same file a second time gives the same document again
	stage "$BATS_TEST_TMPDIR/d" SOURCE_DATE_EPOCH=86400 ROOTFS_EXTRA="$BATS_TEST_TMPDIR/extra"
	cmp "$BATS_TEST_TMPDIR/c/manifest.json" "$BATS_TEST_TMPDIR/d/manifest.json"
}
