#!/bin/sh
# genconfig.sh BUSYBOX_SRC: regenerate busybox.config from applets.txt.
# Start from busybox's defconfig (sane features), switch off every applet not
# listed, build static, and use libxcrypt's crypt() (yescrypt, sha512crypt).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?usage: genconfig.sh BUSYBOX_SRC}
cd "$src"
make -s defconfig >/dev/null
# "SYMBOL name" for every applet, from the //applet: lines of the source
grep -rhoE '//applet:IF_[A-Z0-9_]+\( *[A-Z_]+\( *[^,]+,' --include='*.c' --exclude-dir=.pc . |
	sed -E 's#//applet:IF_([A-Z0-9_]+)\( *[A-Z_]+\( *([^,]+),#\1 \2#' | sort -u >applets.map
# only symbols that are real config options (some IF_ guards are not)
all=$(cut -d' ' -f1 applets.map | sort -u | while read -r s; do
	grep -qE "^(CONFIG_$s=|# CONFIG_$s is not set)" .config && echo "$s"
done)
want=
for name in $(grep -v '^#' "$here/applets.txt"); do
	sym=$(awk -v n="$name" '$2 == n { print $1; exit }' applets.map)
	[ -n "$sym" ] || { echo "genconfig: '$name' in applets.txt is not a busybox applet" >&2; exit 1; }
	want="$want $sym"
done
want=$(echo "$want" | tr ' ' '\n' | grep . | sort -u)
{
	for a in $all; do
		if echo "$want" | grep -qx "$a"; then echo "CONFIG_$a=y"; else echo "# CONFIG_$a is not set"; fi
	done
	cat <<'CFG'
CONFIG_STATIC=y
CONFIG_BUSYBOX=y
CONFIG_FEATURE_INSTALLER=y
# CONFIG_USE_BB_CRYPT is not set
CONFIG_EXTRA_LDLIBS="crypt"
# CONFIG_FEATURE_WGET_HTTPS is not set
# CONFIG_FEATURE_WGET_OPENSSL is not set
# CONFIG_FEATURE_MOUNT_NFS is not set
# CONFIG_FEATURE_MOUNT_CIFS is not set
# CONFIG_FEATURE_SUID is not set
# CONFIG_FEATURE_SYSLOGD_CFG is not set
CONFIG_FEATURE_SH_STANDALONE=n
CFG
} >berth.frag
# later lines win: apply the fragment over defconfig
awk 'NR == FNR { k = $0; sub(/^# /, "", k); sub(/[= ].*/, "", k); over[k] = $0; next }
     { k = $0; sub(/^# /, "", k); sub(/[= ].*/, "", k); if (k in over) { print over[k]; done[k] = 1 } else print }
     END { for (k in over) if (!(k in done)) print over[k] }' berth.frag .config | grep -v '=n$' >.config.new
mv .config.new .config
rm berth.frag applets.map
yes '' | make -s oldconfig >/dev/null
cp .config "$here/busybox.config"
echo "busybox.config: $(grep -c '^CONFIG_.*=y' .config) options on"
