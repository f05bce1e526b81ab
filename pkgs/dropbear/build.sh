# shellcheck shell=sh
# dropbear: SSH server, keys only (no password authentication over SSH),
# one static multi-call binary for dropbear, dropbearkey and scp
cp "$PKGDIR/localoptions.h" localoptions.h
./configure --host="$HOST" --prefix=/usr --enable-static --enable-bundled-libtom \
	--disable-pam --disable-lastlog --disable-utmp --disable-utmpx --disable-wtmp \
	--disable-wtmpx --disable-loginfunc --disable-pututline --disable-pututxline \
	--with-zlib="$SYSROOT/usr"
make -j"$JOBS" PROGRAMS="dropbear dropbearkey scp" MULTI=1 STATIC=1
install -s -Dm755 dropbearmulti "$DESTDIR/bin/dropbearmulti"
for p in dropbear dropbearkey scp; do ln -s dropbearmulti "$DESTDIR/bin/$p"; done
