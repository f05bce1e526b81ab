# shellcheck shell=sh
# zstd: the static library only (berth decompresses zstd image layers);
# single-threaded, no legacy formats, headers and .pc by hand
make -C lib -j"$JOBS" CC="$CC" CFLAGS="$CFLAGS" ZSTD_LEGACY_SUPPORT=0 libzstd.a
install -d "$DESTDIR/usr/include" "$DESTDIR/usr/lib/pkgconfig"
install -m644 lib/zstd.h lib/zstd_errors.h lib/zdict.h "$DESTDIR/usr/include/"
install -m644 lib/libzstd.a "$DESTDIR/usr/lib/libzstd.a"
cat >"$DESTDIR/usr/lib/pkgconfig/libzstd.pc" <<PC
prefix=/usr
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: zstd
Description: fast lossless compression algorithm library
Version: 1.5.4
Libs: -L\${libdir} -lzstd
Cflags: -I\${includedir}
PC
