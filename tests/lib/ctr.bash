# The container supervisor's suites (tests/host/ctr.bats on fixture state,
# tests/host-slow/ctr-real.bats with real containers): berth, and busybox's
# runit tools, in the suite's bin; the test's own BERTH_* paths; definition
# files. Load after common.bash.

# ctr_bin: for setup_file: berth and busybox's sv, svlogd, runsv in
# $BATS_FILE_TMPDIR/bin
ctr_bin() {
	berth_bin "$BATS_FILE_TMPDIR/bin" || return 1
	for a in sv svlogd runsv; do
		ln -sf "$OUT/rootfs-bin/busybox" "$BATS_FILE_TMPDIR/bin/$a"
	done
}

# ctr_env: for setup: BIN, BERTH, T, and the test's own store, run, etc and
# log directories, crun and the runit tools (the BERTH_* paths)
ctr_env() {
	BIN=$BATS_FILE_TMPDIR/bin
	# shellcheck disable=SC2034 # the suites run it
	BERTH=$BIN/berth
	T=$BATS_TEST_TMPDIR
	export BERTH_ROOT=$T/root BERTH_RUN=$T/run BERTH_ETC=$T/etc BERTH_LOG=$T/log
	export BERTH_CRUN=$OUT/rootfs-bin/crun BERTH_SV=$BIN/sv BERTH_SVLOGD=$BIN/svlogd BERTH_RUNSV=$BIN/runsv
	mkdir -p "$BERTH_ETC/berth/containers"
}

# def NAME BODY: a definition file
def() {
	printf '%s\n' "$2" >"$BERTH_ETC/berth/containers/$1.yaml"
}
