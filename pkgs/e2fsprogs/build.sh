# shellcheck shell=sh
# e2fsprogs: e2fsck and mke2fs for the data partition. The initramfs runs
# them from the verified root before it mounts /var: e2fsck when the
# superblock records errors, mke2fs only on a partition with no filesystem.
# Internal libuuid and libblkid (no util-linux here), no NLS, no fuse.
# only what e2fsck and mke2fs call of libext2fs is linked
CFLAGS="$CFLAGS -ffunction-sections -fdata-sections"
LDFLAGS="$LDFLAGS -Wl,--gc-sections"
export CFLAGS LDFLAGS
./configure --host="$HOST" --prefix=/usr --disable-nls --disable-fuse2fs \
	--disable-defrag --disable-imager --disable-resizer --disable-debugfs \
	--disable-uuidd --disable-e2initrd-helper --disable-backtrace \
	--disable-elf-shlibs --disable-bsd-shlibs --disable-rpath \
	--enable-libuuid --enable-libblkid --without-libarchive \
	--without-udev-rules-dir --without-crond-dir --without-systemd-unit-dir
make -j"$JOBS" libs
make -j"$JOBS" -C e2fsck e2fsck
make -j"$JOBS" -C misc mke2fs
install -s -Dm755 e2fsck/e2fsck "$DESTDIR/bin/e2fsck"
install -s -Dm755 misc/mke2fs "$DESTDIR/bin/mke2fs"
