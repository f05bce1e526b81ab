#!/bin/sh
# sbom-check.sh FILE: validate an SBOM (scripts/sbom.sh) against the official
# CycloneDX 1.5 JSON schema, with python3's jsonschema. The schema comes from
# the npm package of CycloneDX's JavaScript library, which ships it with the
# two schemas it references (SPDX license ids, JSF signatures): `npm pack` of
# the pinned version into the cache, checked against the sha256 below before
# every use. Exit 0 valid, 1 invalid or a bad download, 111 when npm cannot
# reach its registry.
set -eu
. "$(dirname "$0")/lib.sh"
doc=${1:?usage: sbom-check.sh FILE}
need python3 sha256sum tar
schema_pkg=@cyclonedx/cyclonedx-library
schema_version=10.3.0
schema_sha256=9833bd949052eb18218dd64b13ad62d9246f7395eef01c66dad08fcbacf74f01
tgz=$CACHE/schema/cyclonedx-library-$schema_version.tgz

[ -f "$doc" ] || die "sbom-check: $doc: no such file"
python3 -c 'import jsonschema' 2>/dev/null || die "sbom-check: python3 has no jsonschema module: run make deps"

if [ ! -f "$tgz" ]; then
	need npm
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
	if ! (cd "$tmp" && npm ping) >"$tmp/log" 2>&1; then
		echo "sbom-check: npm cannot reach its registry: $(grep -m1 -iE 'err|fail' "$tmp/log" || tail -n1 "$tmp/log")" >&2
		exit 111
	fi
	(cd "$tmp" && npm pack --ignore-scripts --silent "$schema_pkg@$schema_version") >"$tmp/log" 2>&1 ||
		die "sbom-check: npm pack $schema_pkg@$schema_version failed: $(tail -n1 "$tmp/log")"
	set -- "$tmp"/*.tgz
	[ -f "$1" ] || die "sbom-check: npm pack $schema_pkg@$schema_version wrote no tarball"
	mkdir -p "$(dirname "$tgz")"
	mv "$1" "$tgz.tmp"
	mv "$tgz.tmp" "$tgz"
fi
got=$(sha256sum <"$tgz" | cut -d' ' -f1)
[ "$got" = "$schema_sha256" ] ||
	die "sbom-check: $tgz: sha256 mismatch (pinned $schema_sha256, got $got): remove it to fetch again"

schemas=$(mktemp -d)
trap 'rm -rf "$schemas" ${tmp:+"$tmp"}' EXIT
tar -xzf "$tgz" -C "$schemas" --strip-components=3 \
	package/res/schema/bom-1.5.SNAPSHOT.schema.json package/res/schema/spdx.SNAPSHOT.schema.json \
	package/res/schema/jsf-0.82.SNAPSHOT.schema.json || die "sbom-check: $tgz: no CycloneDX 1.5 schema in it"

# The references between the three files are relative to the main schema's
# $id: every one is served from here, and anything else fails instead of
# being fetched.
python3 - "$schemas" "$doc" <<'PY'
import json, pathlib, sys, urllib.parse, warnings
import jsonschema

schemas, doc_path = pathlib.Path(sys.argv[1]), sys.argv[2]
main = json.loads((schemas / "bom-1.5.SNAPSHOT.schema.json").read_text())
store = {urllib.parse.urljoin(main["$id"], f.name): json.loads(f.read_text()) for f in schemas.glob("*.json")}
store[main["$id"]] = main

def offline(uri):
    raise jsonschema.RefResolutionError(f"{uri}: not among the pinned schemas")

try:
    doc = json.loads(pathlib.Path(doc_path).read_text())
except (OSError, ValueError) as e:
    sys.exit(f"sbom-check: {doc_path}: not JSON: {e}")
with warnings.catch_warnings():
    # RefResolver is what both Debian 12's jsonschema (4.10) and newer ones have
    warnings.simplefilter("ignore", DeprecationWarning)
    resolver = jsonschema.RefResolver(main["$id"], main, store=store, handlers={"http": offline, "https": offline})
    validator = jsonschema.Draft7Validator(main, resolver=resolver, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
for e in errors[:10]:
    # a oneOf's own message names no field: the error deepest inside it does
    e = jsonschema.exceptions.best_match([e])
    where = "/".join(str(p) for p in e.absolute_path) or "(document)"
    msg = e.message
    if e.validator == "enum":
        msg = f"{e.instance!r}: not one of the {len(e.validator_value)} values the schema allows"
    print(f"sbom-check: {doc_path}: {where}: {msg[:300]}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"sbom-check: {doc_path}: valid CycloneDX {doc.get('specVersion')}")
PY
