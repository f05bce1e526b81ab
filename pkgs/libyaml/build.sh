# shellcheck shell=sh
# libyaml: the original tarball ships without configure
autoreconf -fi >/dev/null 2>&1
./configure --host="$HOST" --prefix=/usr --enable-static --disable-shared
make -j"$JOBS" -C src
make -C src install DESTDIR="$DESTDIR"
install -Dm644 include/yaml.h "$DESTDIR/usr/include/yaml.h"
install -Dm644 yaml-0.1.pc "$DESTDIR/usr/lib/pkgconfig/yaml-0.1.pc"
