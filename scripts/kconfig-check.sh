#!/bin/sh
# kconfig-check.sh CONFIG FRAGMENT...: fail, naming each one, if an option a
# fragment asks for did not survive olddefconfig.
set -eu
config=$1; shift
awk '
FNR == 1 { nfile++ }
nfile == 1 {
	if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=/) { split($0, kv, "="); have[kv[1]] = substr($0, length(kv[1]) + 2) }
	next
}
/^CONFIG_[A-Za-z0-9_]+=/ {
	split($0, kv, "="); want = substr($0, length(kv[1]) + 2)
	if (!(kv[1] in have)) { printf "%s:%d: %s=%s requested, but it is not set\n", FILENAME, FNR, kv[1], want; bad++ }
	else if (have[kv[1]] != want) { printf "%s:%d: %s=%s requested, but got %s\n", FILENAME, FNR, kv[1], want, have[kv[1]]; bad++ }
}
/^# CONFIG_[A-Za-z0-9_]+ is not set/ {
	if (($2 in have) && have[$2] != "n") { printf "%s:%d: %s off requested, but got %s\n", FILENAME, FNR, $2, have[$2]; bad++ }
}
END { if (bad) { printf "kernel-config: %d requested option(s) did not survive olddefconfig\n", bad; exit 1 } }
' "$config" "$@" >&2
