# shellcheck shell=sh
# crun: fully static, with seccomp, capabilities and yajl; no systemd, criu
# or dlopen'ed handlers
./configure --host="$HOST" --prefix=/usr --disable-systemd --disable-criu \
	--disable-dl --enable-static --disable-shared LIBS="-lcap"
make git-version.h
# crun's objects include libocispec's generated headers but do not depend on
# them, and generate.py rewrites them in place: under make -j, src/crun-spec.o
# could compile against a half-written runtime_spec_schema_config_vm.h. So
# generate every schema first, one at a time (the four stamps write into one
# directory), then build libocispec, then crun.
make -C libocispec src/runtime_spec_stamp src/image_spec_stamp \
	src/image_manifest_stamp src/basic-test_stamp
make -C libocispec -j"$JOBS" libocispec.la
make -j"$JOBS" CRUN_LDFLAGS=-all-static crun
install -s -Dm755 crun "$DESTDIR/bin/crun"
