# Shared shell glue for the build scripts: sourced, not run.
# shellcheck shell=sh

CACHE=${BERTH_CACHE:-$HOME/.cache/berth}
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$TOP/out}
JOBS=${JOBS:-$(nproc)}

die() { echo "berth-build: $*" >&2; exit 1; }
note() { echo "berth-build: $*" >&2; }

# pkg_conf NAME: load pkgs/NAME/pkg.conf (SOURCE, VERSION, LICENSE, KIND, DEPS)
pkg_conf() {
	PKG=$1
	PKGDIR=$TOP/pkgs/$PKG
	[ -f "$PKGDIR/pkg.conf" ] || die "pkgs/$PKG/pkg.conf: no such package"
	SOURCE='' VERSION='' LICENSE='' KIND=dsc DEPS=''
	export KIND DEPS
	# shellcheck disable=SC1090,SC1091
	. "$PKGDIR/pkg.conf"
	[ -n "$SOURCE" ] && [ -n "$VERSION" ] && [ -n "$LICENSE" ] ||
		die "pkgs/$PKG/pkg.conf: SOURCE, VERSION and LICENSE are required"
	# Debian file names drop the epoch
	UVERSION=${VERSION#*:}
	SRCDIR=$CACHE/sources/${SOURCE}_$UVERSION
	export SRCDIR
}

# hash_files FILE...: one sha256 over the names and contents of files
hash_files() {
	for f in "$@"; do
		printf '%s\n' "${f#"$TOP"/}"
		sha256sum <"$f"
	done | sha256sum | cut -c1-16
}

# atomic_publish TMPDIR DEST: make DEST appear complete or not at all
atomic_publish() {
	sync -f "$1" 2>/dev/null || true
	rm -rf "$2.old"
	[ -e "$2" ] && mv "$2" "$2.old"
	mv "$1" "$2"
	rm -rf "$2.old"
}
