# busybox: the lean configuration in busybox.config (see applets.txt)
cp "$PKGDIR/busybox.config" .config
yes '' | make -s oldconfig >/dev/null
cmp -s .config "$PKGDIR/busybox.config" || { diff "$PKGDIR/busybox.config" .config >&2; echo "busybox.config is stale: run pkgs/busybox/genconfig.sh" >&2; exit 1; }
make -j"$JOBS" CC="$CC" HOSTCC=gcc EXTRA_CFLAGS="$CPPFLAGS" EXTRA_LDFLAGS="-L$SYSROOT/usr/lib" busybox
install -Dm755 busybox "$DESTDIR/bin/busybox"
