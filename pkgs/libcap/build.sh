# shellcheck shell=sh
# libcap: static library only, no PAM, no Go bindings
make -C libcap CC="$CC" BUILD_CC=gcc SHARED=no PAM_CAP=no GOLANG=no \
	prefix=/usr lib=lib DESTDIR="$DESTDIR" install-static
# its pkg-config file is only written by the shared install; write it here
mkdir -p "$DESTDIR/usr/lib/pkgconfig"
cat >"$DESTDIR/usr/lib/pkgconfig/libcap.pc" <<PC
prefix=/usr
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: libcap
Description: libcap - linux capabilities library
Version: 2.66
Libs: -L\${libdir} -lcap
Cflags: -I\${includedir}
PC
