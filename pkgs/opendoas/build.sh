# shellcheck shell=sh
# opendoas: doas, run a command as another user by /etc/doas.conf rules;
# passwords checked against /etc/shadow with libxcrypt's crypt() (no PAM);
# `persist` timestamps under /run/doas. Installed setuid root by rootfs.sh.
# The triplet needs a vendor field: configure reads the OS from its third part.
./configure --host=x86_64-pc-linux-musl --prefix=/usr --enable-static \
	--without-pam --with-shadow --with-timestamp
make -j"$JOBS" YACC="bison -y"
install -s -Dm755 doas "$DESTDIR/bin/doas"
