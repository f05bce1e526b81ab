#!/usr/bin/env bash
# pull.sh DIR: `make bench`'s pull figures as JSON on stdout. A 5-layer image
# of about 100 MB (incompressible: each layer a 20 MB file of random bytes)
# made with umoci and pushed by skopeo to a docker-registry on loopback;
# then, side by side, five rounds of skopeo copy docker://… oci:… (it only
# downloads) and berth pull into an empty store (it also verifies, unpacks
# and commits), the median of each, with berth's peak RSS (its largest
# process, from wait4). And what curl, wolfSSL and the CA bundle add: the bytes a
# linker map of berth and of provision gives libcurl.a's and libwolfssl.a's
# sections, and the bundle's size.
# shellcheck disable=SC2034,SC2154,SC2016 # the helpers read BATS_*; reg_start sets REG_bench; make expands $(...)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
d=${1:?usage: pull.sh DIR}
OUT=${OUT:-$top/out}
mb=${BENCH_PULL_MB:-20}
rm -rf "$d"
mkdir -p "$d"

# the test suite's registry helpers, outside bats
BATS_TEST_DIRNAME=$top/tests/lib BATS_FILE_TMPDIR=$d
# shellcheck source=/dev/null
source "$top/tests/lib/common.bash"
# shellcheck source=/dev/null
source "$top/tests/lib/registry.bash"
trap reg_stop_all EXIT

umoci init --layout "$d/img" >&2
umoci new --image "$d/img:t" >&2
umoci unpack --rootless --image "$d/img:t" "$d/b" >/dev/null
for i in 1 2 3 4 5; do
	head -c $((mb * 1000 * 1000)) /dev/urandom >"$d/b/rootfs/layer$i"
	umoci repack --refresh-bundle --image "$d/img:t" "$d/b" >&2
done
reg_start bench >&2
reg_push "oci:$d/img:t" "$REG_bench/bench/img:1" >&2
bytes=$(du -s -B1 "$d/img/blobs" | cut -f1)

# five rounds, each into an empty directory, skopeo first in one round and
# berth first in the next; each program timed from its exec to its exit (no
# shell or interpreter start-up in either figure), after a sync (neither
# pays for what the other left to write back), the median of the five
# kept. berth's peak RSS is its largest process's: wait4 gives the most any
# process of its tree had
read -r s_copy b_pull rss < <(BERTH_ETC=$d/etc python3 - "$d" "$REG_bench/bench/img:1" "$OUT/bin/berth" <<-'PY'
	import os, shutil, subprocess, sys, time
	d, ref, berth = sys.argv[1:]
	def timed(argv, env=None):
	    os.sync()
	    t = time.perf_counter()
	    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env)
	    _, status, ru = os.wait4(p.pid, 0)
	    p.returncode = 0
	    if status != 0:
	        sys.exit("pull.sh: %s failed (%d)" % (argv[0], status))
	    return time.perf_counter() - t, ru.ru_maxrss
	sk, br, rss = [], [], 0
	for i in range(5):
	    shutil.rmtree(d + "/sk", ignore_errors=True)
	    shutil.rmtree(d + "/store", ignore_errors=True)
	    for who in (("skopeo", "berth") if i % 2 == 0 else ("berth", "skopeo")):
	        if who == "skopeo":
	            sk.append(timed(["skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + ref,
	                             "oci:%s/sk:1" % d])[0])
	        else:
	            t, m = timed([berth, "pull", "-q", ref], dict(os.environ, BERTH_ROOT=d + "/store"))
	            br.append(t)
	            rss = max(rss, m)
	print("%.3f %.3f %d" % (sorted(sk)[2], sorted(br)[2], rss))
	print("pull.sh: skopeo", " ".join("%.3f" % x for x in sk), "berth", " ".join("%.3f" % x for x in br),
	      file=sys.stderr)
	PY
)

# map PROG OBJECTS...: link PROG again with a map; its curl and wolfSSL bytes
map_bytes() {
	local m=$d/$1.map
	shift
	"$OUT/toolchain/musl-cc" -o "$d/linked" "$@" -static -s -Wl,--gc-sections -Wl,-Map="$m" \
		-L"$OUT/sysroot/usr/lib" -lyaml -lyajl -lnettle -lsodium -lzstd -lz -lcurl -lwolfssl -lm >&2
	python3 - "$m" <<-'PY'
		import re, sys
		tot = 0
		pend = None
		text = open(sys.argv[1]).read()
		text = text[text.index('Linker script and memory map'):]
		text = text[:text.find('/DISCARD/')] if '/DISCARD/' in text else text
		for l in text.split('\n'):
		    m = re.match(r'^ (\.\S+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(\S+)', l)
		    if not m:
		        m1 = re.match(r'^ (\.\S+)$', l)
		        if m1:
		            pend = m1.group(1)
		            continue
		        m2 = re.match(r'^\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(\S+)', l)
		        if not (pend and m2):
		            continue
		        sec, size, src = pend, m2.group(1), m2.group(2)
		    else:
		        sec, size, src = m.groups()
		    pend = None
		    if sec.startswith(('.bss', '.tbss')):
		        continue
		    if 'libcurl.a' in src or 'libwolfssl.a' in src:
		        tot += int(size, 16)
		print(tot)
	PY
}
o=$OUT/obj
parts=()
for p in cli update ctr registry spec compose image net; do parts+=("$o/berth-$p.a"); done
in_berth=$(map_bytes berth "${parts[@]}" "$o/libberth.a") || in_berth=null
cflags=$(make -s -C "$top" --no-print-directory --eval 'print-cflags: ; @echo $(BERTH_CFLAGS)' print-cflags)
# shellcheck disable=SC2086 # the flags are words
in_prov=$(map_bytes provision $cflags "$top"/provision/*.c "$o/libberth.a") || in_prov=null
ca=$(stat -c %s "$OUT/sysroot/usr/share/berth/ca-certificates.crt")

jq -n --argjson b "$b_pull" --argjson s "$s_copy" \
	--argjson rss "$rss" --argjson bytes "$bytes" --argjson ib "$in_berth" --argjson ip "$in_prov" --argjson ca "$ca" '{
	image_bytes: $bytes, berth_pull_s: $b, skopeo_copy_s: $s, berth_peak_rss_kib: $rss,
	tls: { curl_wolfssl_in_berth: $ib, curl_wolfssl_in_provision: $ip, ca_bundle: $ca,
		total: (if $ib == null or $ip == null then null else $ib + $ip + $ca end) }
}'
