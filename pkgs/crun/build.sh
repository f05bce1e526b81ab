# shellcheck shell=sh
# crun: fully static, with seccomp, capabilities and yajl; no systemd, criu
# or dlopen'ed handlers
./configure --host="$HOST" --prefix=/usr --disable-systemd --disable-criu \
	--disable-dl --enable-static --disable-shared LIBS="-lcap"
make git-version.h
make -j"$JOBS" CRUN_LDFLAGS=-all-static crun
install -s -Dm755 crun "$DESTDIR/bin/crun"
