#!/bin/sh
# part-edges.sh OBJDIR: check the berth command's edges (berth/parts.mk).
# For each part's archive OBJDIR/berth-PART.a, every symbol it uses but does
# not define must come from lib/, libc or a package, or from a part that
# PART lists in USES_PART; where CALLS_PART_OTHER is set, only those of
# OTHER's symbols. One line per forbidden call, then exit 1.
set -eu
export LC_ALL=C
. "$(dirname "$0")/lib.sh"
obj=${1:?usage: part-edges.sh OBJDIR}
mk=$TOP/berth/parts.mk
# "USES_ctr := net spec" -> "net spec"
uses() { sed -n "s/^USES_$1 *:= *//p" "$mk"; }
# "CALLS_ctr_image := a b": ctr may call only these of image's symbols
calls() { sed -n "s/^CALLS_$1_$2 *:= *//p" "$mk"; }
parts=$(sed -n 's/^BERTH_PARTS *:= *//p' "$mk")
[ -n "$parts" ] || die "berth/parts.mk: no BERTH_PARTS line"

defs=$(mktemp); trap 'rm -f "$defs"' EXIT
for p in $parts; do
	[ -f "$obj/berth-$p.a" ] || die "part-edges: $obj/berth-$p.a is not built"
	nm -g --defined-only "$obj/berth-$p.a" 2>/dev/null | awk -v p="$p" 'NF == 3 { print $3, p }'
done | sort -u >"$defs"

bad=0
for p in $parts; do
	allowed=" $p $(uses "$p") "
	out=$(nm -g --undefined-only "$obj/berth-$p.a" 2>/dev/null | awk 'NF == 2 { print $2 }' | sort -u |
		join - "$defs" | while read -r sym owner; do
			case "$allowed" in
			*" $owner "*)
				narrow=$(calls "$p" "$owner")
				case " $narrow " in
				"  " | *" $sym "*) ;;
				*) echo "berth/$p calls $sym of berth/$owner, which is not in CALLS_${p}_$owner (berth/parts.mk)" ;;
				esac ;;
			*) echo "berth/$p calls $sym, which berth/$owner defines: $owner is not in USES_$p (berth/parts.mk)" ;;
			esac
		done)
	if [ -n "$out" ]; then
		printf '%s\n' "$out" >&2
		bad=1
	fi
done
# an include by relative path would step around the include path
if grep -n '#include "\.\./' "$TOP"/berth/*/*.[ch] >&2; then
	echo "part-edges: berth/ includes by relative path (above): a part sees other parts' headers only through USES (berth/parts.mk)" >&2
	bad=1
fi
exit $bad
