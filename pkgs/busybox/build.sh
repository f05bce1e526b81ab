# shellcheck shell=sh
# busybox: the lean configuration in busybox.config (see applets.txt)
cp "$PKGDIR/busybox.config" .config
yes '' | make -s oldconfig >/dev/null
opts() { grep -E '^(CONFIG_|# CONFIG_)' "$1"; }
opts "$PKGDIR/busybox.config" >want.opts
opts .config >have.opts
cmp -s want.opts have.opts || { diff want.opts have.opts >&2; echo "busybox.config is stale: run pkgs/busybox/genconfig.sh" >&2; exit 1; }
make -j"$JOBS" CC="$CC" HOSTCC=gcc EXTRA_CFLAGS="$CPPFLAGS" EXTRA_LDFLAGS="-L$SYSROOT/usr/lib" busybox
install -Dm755 busybox "$DESTDIR/bin/busybox"
