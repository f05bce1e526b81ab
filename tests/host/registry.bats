#!/usr/bin/env bats
# The registry client's parsers through their fuzz target's plain main
# (berth/fuzz/fuzz-registry.c): image references in Docker's grammar, and
# registries.yaml. The pulls themselves: tests/host-slow/registry.bats.
# shellcheck disable=SC2154 # bats' run sets status, output, lines

setup() {
	load ../lib/common
	load ../lib/fuzz
	FIX=$TOP/tests/host/fixtures/registry
}

@test "fuzz target for references and registries.yaml: each seed reaches its result" {
	main=$(fuzz_main registry)
	cd "$FIX"
	TMPDIR=$BATS_TEST_TMPDIR run "$main" ref-familiar ref-digest ref-ipv6 ref-bad-tag ref-upper ref-library-nested yaml-docs-example yaml-broken
	assert_success
	assert_output "ref-familiar: parsed
ref-digest: parsed
ref-ipv6: parsed
ref-bad-tag: refused
ref-upper: refused
ref-library-nested: parsed
yaml-docs-example: loaded
yaml-broken: refused"
}
