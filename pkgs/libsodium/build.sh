# shellcheck shell=sh
# libsodium: the minimal build has what Berth uses (Ed25519, BLAKE2b, SHA-256)
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
./configure --host="$HOST" --prefix=/usr --enable-static --disable-shared \
	--disable-ssp --enable-minimal --disable-pie
make -j"$JOBS"
make install DESTDIR="$DESTDIR"
