# shellcheck shell=sh
# libseccomp: the library only (crun links it for its seccomp filters)
./configure --host="$HOST" --prefix=/usr --enable-static --disable-shared --disable-python
make -j"$JOBS" -C include
make -j"$JOBS" -C src
make -C include install DESTDIR="$DESTDIR"
make -C src install DESTDIR="$DESTDIR"
install -Dm644 libseccomp.pc "$DESTDIR/usr/lib/pkgconfig/libseccomp.pc"
