#!/usr/bin/env bash
# report.sh FIGURES.json BENCH.json: the end of `make bench`, kept apart from
# the boots so a host test can feed it a sample. Writes BENCH.json: FIGURES
# with "missing" set to the name of every null figure (its path, e.g.
# "update.dd_rate_mib_s"); "peer": null only means BENCH_PEER was not set and
# is not listed. Then prints the table (bench/table.jq), a null figure as
# "missing", never as null or 0, and a last line naming the missing ones.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
in=${1:?usage: report.sh FIGURES.json BENCH.json}
out=${2:?usage: report.sh FIGURES.json BENCH.json}

jq 'del(.missing) | . + {missing: [
	if .peer == null then del(.peer) else . end
	| paths(. == null) | map(tostring) | join(".")
]}' "$in" >"$out.tmp"
mv "$out.tmp" "$out"

jq -r -f "$here/table.jq" "$out" | awk -F '\t' '
	function cell(v) { return v == "null" ? "missing" : v }
	{
		r = $4
		if (r != "-" && r != "ratio") r = sprintf("%.2f", r)
		printf "%-50s %12s %12s %8s  %s\n", $1, cell($2), cell($3), r, $5
	}'
jq -r '.missing | select(length > 0) | "bench: missing: " + join(", ")' "$out"
