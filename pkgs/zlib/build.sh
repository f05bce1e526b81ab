# shellcheck shell=sh
# zlib: static only
./configure --static --prefix=/usr
make -j"$JOBS" libz.a
make install DESTDIR="$DESTDIR"
