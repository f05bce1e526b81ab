# provision under test on a fixture root, for tests/host/provision.bats and the
# temporary-network half of tests/host-slow/dhcp.bats. Load after common.bash.

# provision_setup: for setup: P, the provision under test; FIX, its fixtures;
# T; R, a fixture root (a copy of rootfs/etc); S, a NoCloud seed with
# meta-data (instance-id i-123, local-hostname node1); MARKS, a file the
# tests' scripts write to; berth.images runs this berth, never the host's
# /usr/bin/berth, and the store is $R/var/lib/berth unless a test names
# BERTH_ROOT
# shellcheck disable=SC2034 # the suites read P and FIX
provision_setup() {
	P=$OUT/bin/provision
	FIX=$TOP/tests/host/fixtures/provision
	T=$BATS_TEST_TMPDIR
	R=$T/root
	S=$T/seed
	mkdir -p "$R" "$S"
	cp -a "$TOP/rootfs/etc" "$R/"
	printf 'instance-id: i-123\nlocal-hostname: node1\n' >"$S/meta-data"
	export MARKS=$T/marks
	export BERTH_PROVISION_BERTH=$OUT/bin/berth
	unset BERTH_ROOT
}
