# shellcheck shell=sh
# yajl: the static library (cmake target yajl_s); headers and .pc by hand
mkdir build && cd build || exit 1
cmake .. -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=MinSizeRel >/dev/null
make -j"$JOBS" yajl_s
inc=$(find . -path '*include/yajl' -type d | head -1)
install -d "$DESTDIR/usr/include/yajl" "$DESTDIR/usr/lib/pkgconfig"
install -m644 ../src/api/*.h "$inc"/yajl_version.h "$DESTDIR/usr/include/yajl/"
install -m644 "$(find . -name libyajl_s.a | head -1)" "$DESTDIR/usr/lib/libyajl.a"
cat >"$DESTDIR/usr/lib/pkgconfig/yajl.pc" <<PC
prefix=/usr
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: Yet Another JSON Library
Description: A Portable JSON parsing and serialization library in ANSI C
Version: 2.1.0
Cflags: -I\${includedir}
Libs: -L\${libdir} -lyajl
PC
