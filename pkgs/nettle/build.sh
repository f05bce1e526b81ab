# shellcheck shell=sh
# nettle: SHA-256 only (README.md says why). The library without its
# public-key half (hogweed, which needs GMP) or documentation; "fat", so the
# SHA-NI or x86_64 assembly is chosen at start-up by what the CPU has
./configure --host="$HOST" --prefix=/usr --libdir=/usr/lib --enable-static --disable-shared \
	--disable-public-key --disable-documentation --disable-openssl \
	--disable-gcov --enable-fat
make -j"$JOBS" libnettle.a
make install-headers install-static DESTDIR="$DESTDIR"
