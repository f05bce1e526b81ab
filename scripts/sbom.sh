#!/bin/sh
# sbom.sh ROOT: the image's software bill of materials, a CycloneDX 1.5 JSON
# document, written into the staged root ROOT at /usr/share/berth/sbom.json
# and to out/manifest.json. It lists the kernel and every package of the
# published set (out/pkgs/*.key) with its Debian version, license and the
# pool path and sha256 of each pinned source file, Berth's own programs, and
# every regular file of ROOT with its sha256 under the component it came
# from. images/rootfs.sh runs it once the root is staged (docs/BUILD.md).
set -eu
. "$(dirname "$0")/lib.sh"
need jq sha256sum dpkg-deb
root=${1:?usage: sbom.sh ROOT}
[ -f "$root/etc/os-release" ] || die "sbom: $root/etc/os-release: missing: not a staged root"
rel=usr/share/berth/sbom.json

# no clock: the same tree gives the same bytes
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$TOP" log -1 --format=%ct 2>/dev/null || true)}
case $epoch in '' | *[!0-9]*) die "sbom: no creation time: set SOURCE_DATE_EPOCH (not a git checkout)" ;; esac
berth_version=$(sed -n 's/^VERSION_ID=//p' "$root/etc/os-release" | tr -d '"')
[ -n "$berth_version" ] || die "sbom: $root/etc/os-release: no VERSION_ID"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pool_dir SOURCE: where Debian's pool keeps a source package's files
pool_dir() {
	case $1 in
	lib?*) printf 'pool/main/%s/%s\n' "$(printf %s "$1" | cut -c1-4)" "$1" ;;
	*) printf 'pool/main/%s/%s\n' "$(printf %s "$1" | cut -c1)" "$1" ;;
	esac
}

# every package of the image: a line of tab-separated fields each, a line
# per pinned source file, and the owner table, which maps the sha256 of each
# binary (or root data file) a package built to the package
pkgs=
for k in "$OUT"/pkgs/*.key; do
	if [ -f "$k" ]; then pkgs="$pkgs $(basename "$k" .key)"; fi
done
[ -n "$pkgs" ] || die "sbom: $OUT/pkgs: no published package set (make pkgs)"
: >"$work/owners"
: >"$work/sources"
tab=$(printf '\t')
for p in linux $pkgs; do
	pkg_conf "$p"
	srcpkg=$SOURCE
	if [ "$KIND" = deb ]; then
		# a binary package lives in the pool folder of the source package
		# that built it, which only its control file names
		deb=$("$TOP/scripts/fetch.sh" "$p")/$(awk 'NR == 1 { print $2 }' "$PKGDIR/sha256sums")
		srcpkg=$(dpkg-deb -f "$deb" Source | sed 's/ .*//')
		[ -n "$srcpkg" ] || srcpkg=$SOURCE
	fi
	if [ "$p" != linux ]; then
		built=$CACHE/pkg/$p-$UVERSION-$(cat "$OUT/pkgs/$p.key")
		# which binary a package built: only its cache entry tells
		[ -f "$built/.complete" ] ||
			die "sbom: pkgs/$p: $built, the build out/ holds, is not in the cache: rm $OUT/pkgs/.complete; make pkgs"
		# and the data files it made for the root (usr/share/berth: the CA bundle)
		for d in "$built/bin" "$built/usr/share/berth"; do
			if [ -d "$d" ]; then
				find "$d" -type f -exec sha256sum {} + | awk -v p="$p" '{ print $1, p }' >>"$work/owners"
			fi
		done
	fi
	case $p$SOURCE$VERSION$KIND$LICENSE$DEPS in *"$tab"*) die "sbom: pkgs/$p/pkg.conf: a tab in a value" ;; esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$SOURCE" "$VERSION" "$KIND" "$LICENSE" "$DEPS" "$(pool_dir "$srcpkg")" >>"$work/pkgs"
	awk -v p="$p" 'NF { print p, $1, $2 }' "$PKGDIR/sha256sums" >>"$work/sources"
done

# Berth's own programs; the initramfs's init is not in this root
: >"$work/progs"
for p in berth provision netcfg init initramfs-init; do
	if [ -f "$OUT/bin/$p" ]; then sha256sum "$OUT/bin/$p" | awk -v p="$p" '{ print $1, p }' >>"$work/progs"; fi
done
awk '{ print $1, "berth/" $2 }' "$work/progs" >>"$work/owners"
dup=$(sort -u "$work/owners" | cut -d' ' -f1 | uniq -d | head -n 1)
[ -z "$dup" ] || die "sbom: two components built a file with sha256 $dup: cannot tell whose it is"

# every regular file of the root but this document; sha256sum marks a name
# it had to escape with a leading backslash
(cd "$root" && find . -type f ! -path "./$rel" -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) >"$work/files"
if grep -q '^[\\]' "$work/files"; then die "sbom: $root: a file name with a newline or backslash: $(grep -m1 '^[\\]' "$work/files")"; fi

jq -nS --arg version "$berth_version" --argjson epoch "$epoch" --rawfile pkgs "$work/pkgs" \
	--rawfile sources "$work/sources" --rawfile progs "$work/progs" \
	--rawfile owners "$work/owners" --rawfile files "$work/files" '
def lines: split("\n") | map(select(. != ""));
def sha: [{alg: "SHA-256", content: .}];
def file: {type: "file", name: .path, hashes: (.sha256 | sha)};
def licenses: if test("^[A-Za-z0-9.+-]+$") then [{license: {id: .}}]
	elif test("^[A-Za-z0-9.+() -]+$") and test(" (AND|OR|WITH) ") then [{expression: .}]
	else [{license: {name: .}}] end;
# Berth has no LICENSE file and states none
def berth_license: [{license: {name: "NOASSERTION"}}];
($owners | lines | map(split(" ") | {(.[0]): .[1]}) | add // {}) as $owner
| ($sources | lines | map(split(" ") | {ref: .[0], sha256: .[1], file: .[2]})) as $sources
| ($pkgs | lines | map(split("\t") | {ref: .[0], name: .[1], version: .[2], kind: .[3], license: .[4],
	deps: (.[5] | split(" ") | map(select(. != ""))), pool: .[6]}
	| .ref as $r | .sources = [$sources[] | select(.ref == $r)])) as $pkgs
| ($progs | lines | map(split(" ") | {sha256: .[0], name: .[1]})) as $progs
| ($files | lines | map(capture("^(?<sha256>[0-9a-f]{64})  \\.(?<path>/.*)$")
	| .ref = ($owner[.sha256] // "berth"))) as $files
| def files_of($r): [$files[] | select(.ref == $r) | file] | sort_by(.name);
[$pkgs[] | (files_of(.ref)) as $f | {
	"bom-ref": .ref, name, version,
	type: (if .ref == "linux" then "operating-system" elif ($f | length) > 0 then "application" else "library" end),
	purl: "pkg:deb/debian/\(.name)@\(.version | @uri)?arch=\(if .kind == "deb" then (.sources[0].file | sub("^.*_"; "") | sub("\\.deb$"; "")) else "source" end)",
	licenses: (.license | licenses),
	externalReferences: (.pool as $pool | [.sources[] | {type: "distribution", url: "\($pool)/\(.file)", hashes: (.sha256 | sha)}] | sort_by(.url)),
	properties: [{name: "berth:package", value: .ref}]
} + (if ($f | length) > 0 then {components: $f} else {} end)] as $packages
| {
	"bom-ref": "berth", type: "application", name: "berth", version: $version, licenses: berth_license,
	description: "Berth: its own programs and the files of its root that no package built",
	components: ([$progs[] | ("berth/" + .name) as $r | {
		"bom-ref": $r, type: "application", name, version: $version, licenses: berth_license,
		hashes: (.sha256 | sha)
	} + (if .name == "initramfs-init" then {properties: [{name: "berth:installed-as", value: "/init of the initramfs"}]}
		else {components: files_of($r)} end)] + files_of("berth") | sort_by(.name))
} as $berth
| ([$berth] + $packages | sort_by(."bom-ref")) as $components
| {
	bomFormat: "CycloneDX", specVersion: "1.5", version: 1,
	metadata: {
		timestamp: ($epoch | todate),
		lifecycles: [{phase: "build"}],
		component: {"bom-ref": "image", type: "operating-system", name: "berth", version: $version,
			description: "the Berth root filesystem image", licenses: berth_license}
	},
	components: $components,
	dependencies: ([{ref: "image", dependsOn: [$components[]."bom-ref"] | sort}]
		+ [$pkgs[] | {ref: .ref, dependsOn: (.deps | sort)}] | sort_by(.ref))
}
' >"$work/body"

# the serial number: a UUID from the sha256 of the rest of the document, so
# the same content has the same one; version 8 (RFC 9562: custom), as
# version 5 means SHA-1 (jq has no hash: sha256sum here)
h=$(sha256sum <"$work/body" | cut -c1-32)
variant=$(printf %x $(( (0x$(printf %s "$h" | cut -c17) & 3) | 8 )))
serial=$(printf %s "$h" | sed -E "s/^(.{8})(.{4}).(.{3}).(.{3})(.{12})$/\1-\2-8\3-${variant}\4-\5/")
jq -S --arg s "urn:uuid:$serial" '.serialNumber = $s' "$work/body" >"$work/sbom.json"

mkdir -p "$root/$(dirname "$rel")"
install -m644 "$work/sbom.json" "$root/$rel"
# unchanged: leave out/manifest.json (and its time) alone
if ! cmp -s "$work/sbom.json" "$OUT/manifest.json"; then
	cp "$work/sbom.json" "$OUT/manifest.json.tmp"
	mv "$OUT/manifest.json.tmp" "$OUT/manifest.json"
fi
echo "sbom: $OUT/manifest.json and /$rel (CycloneDX 1.5): $(jq '.components | length' "$work/sbom.json") components, $(wc -l <"$work/files") files of the root"
