# Shared shell glue for the build scripts: sourced, not run.
# shellcheck shell=sh

CACHE=${BERTH_CACHE:-$HOME/.cache/berth}
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$TOP/out}
JOBS=${JOBS:-$(nproc)}

# Image outputs are a function of the commit: every time stamp a tool writes
# is the commit's time (reproducible-builds.org's SOURCE_DATE_EPOCH), unless
# the caller fixed one.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$TOP" log -1 --format=%ct 2>/dev/null) || SOURCE_DATE_EPOCH=
	[ -n "$SOURCE_DATE_EPOCH" ] || SOURCE_DATE_EPOCH=0
fi
export SOURCE_DATE_EPOCH

# derived_uuid WHAT...: a UUID (version 4 layout) that is a function of its
# arguments, for the tools that would otherwise take a random one
derived_uuid() {
	printf '%s\n' "$*" | sha256sum | sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*/\1-\2-4\3-8\4-\5/'
}

die() { echo "berth-build: $*" >&2; exit 1; }
note() { echo "berth-build: $*" >&2; }

# need TOOL...: stop before any work, naming the first host tool not on PATH
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "$t not found: run make deps"
	done
}

# die_log WHAT LOG: stop with one line: what failed, where its log is and the
# log's likely error line. Under CI (CI=true) or V=1 the log's tail comes
# first: a CI job leaves no log file to open afterwards.
die_log() {
	if show_logs; then tail -n 30 "$2" >&2; fi
	die "$1 (log: $2)$(log_error "$2" | sed 's/^/: /')"
}

show_logs() {
	case ${V:-0} in 0) ;; *) return 0 ;; esac
	case ${CI:-false} in false | 0) return 1 ;; esac
}

# log_error LOG: the line near the end of a build log that most likely says
# what went wrong: the last compiler or configure error, else make's own
# "***" line, else the last line (sh -x trace lines are never it)
log_error() {
	end=$(tail -n 40 "$1" | grep -vE '^\+ |^[[:space:]]*$') || true
	{
		printf '%s\n' "$end" | grep -E 'error:|Error:|ERROR:|undefined reference|No such file|not found|cannot|[Ff]atal' | grep -v '\*\*\*' | tail -n 1
		printf '%s\n' "$end" | grep -E '\*\*\*' | tail -n 1
		printf '%s\n' "$end" | tail -n 1
	} | grep -m 1 . | cut -c 1-240
}

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
