#!/bin/sh
# Install the host packages listed in pkgs/host-packages.txt that are missing,
# and enable deb-src for Debian's archive by deriving it from the machine's
# own apt sources (so no archive host name is ever written in this repo).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
list=${BERTH_HOST_PACKAGES:-$top/pkgs/host-packages.txt}
srcfile=/etc/apt/sources.list.d/berth-deb-src.sources

# one dpkg-query for the whole list: this runs before every build target
want=$(awk 'NF && $1 !~ /^#/ { print $1 }' "$list" | sort -u)
# shellcheck disable=SC2086
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $want 2>/dev/null | WANT=$want awk '
	$2 == "install" && $3 == "ok" && $4 == "installed" { ok[$1] = 1 }
	END { n = split(ENVIRON["WANT"], w, "\n"); for (i = 1; i <= n; i++) if (!(w[i] in ok)) print w[i] }')
# a virtual package counts when an installed package provides it (NodeSource's
# nodejs provides npm and conflicts with Debian's); asked only when one is missing
if [ -n "$missing" ]; then
	provided=$(dpkg-query -W -f='${db:Status-Abbrev} ${Provides}\n' 2>/dev/null |
		awk '$1 == "ii" { $1 = ""; n = split($0, p, ","); for (i = 1; i <= n; i++) { sub(/\(.*/, "", p[i]); gsub(/[[:space:]]/, "", p[i]); if (p[i] != "") print p[i] } }')
	missing=$(printf '%s\n' "$missing" | grep -vxF "${provided:-/}" || true)
fi

# deb-src stanzas: Debian's own deb822 stanzas with Types: deb-src.
want_src() {
	f=/etc/apt/sources.list.d/debian.sources
	if [ -f "$f" ]; then
		sed -e 's/^Types:.*/Types: deb-src/' -e '/^#/d' "$f"
	elif [ -f /etc/apt/sources.list ]; then
		# one-line format: copy Debian's "deb" lines as "deb-src"
		grep -E '^deb[[:space:]]' /etc/apt/sources.list | grep -E 'debian' |
			sed 's/^deb[[:space:]]/deb-src /'
	fi
}
have_src() { grep -rqsE '^(Types:.*deb-src|deb-src[[:space:]])' /etc/apt/sources.list /etc/apt/sources.list.d/; }

need_src=0
have_src || need_src=1

[ -z "$missing" ] && [ "$need_src" = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing host packages or deb-src:$(echo "$missing" | tr '\n' ' ') - run: sudo make deps" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$need_src" = 1 ]; then
	tmp="$srcfile.tmp"
	want_src >"$tmp"
	if [ ! -s "$tmp" ]; then
		rm -f "$tmp"
		echo "deps: cannot derive deb-src: no Debian entry in /etc/apt/sources.list{,.d}" >&2
		exit 1
	fi
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then mv "$tmp" "$srcfile"; else mv "$tmp" "${srcfile%.sources}.list"; fi
	echo "deps: enabled deb-src (derived from this machine's apt sources)"
fi
apt-get update -q >/dev/null
if [ -n "$missing" ]; then
	echo "deps: installing $(echo "$missing" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
