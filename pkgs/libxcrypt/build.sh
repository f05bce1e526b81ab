# shellcheck shell=sh
# libxcrypt: crypt() for password logins (Debian's musl has none);
# modern hashes only (yescrypt, sha512crypt, sha256crypt, bcrypt)
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
./configure --host="$HOST" --prefix=/usr --enable-static --disable-shared \
	--enable-hashes=strong,glibc --enable-obsolete-api=no --disable-failure-tokens
make -j"$JOBS"
make install DESTDIR="$DESTDIR"
rm -rf "${DESTDIR:?}/usr/share"
