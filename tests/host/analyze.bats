#!/usr/bin/env bats
# The berth command's dispatcher and `berth analyze`: the boot timeline as a
# blame list and as an SVG chart, against timelines captured from real boots.
# shellcheck disable=SC2154 # bats' run --separate-stderr sets stderr, stderr_lines

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	berth_make "$OUT/bin/berth"
}

setup() {
	load ../lib/common
	BERTH=$OUT/bin/berth
	T=$BATS_TEST_TMPDIR
}

# /run/berth/timeline of a UEFI boot in QEMU (tests/vm/boot.bats)
boot_timeline() {
	cat <<-'EOF'
		berth[1.286]: init start
		berth[1.330]: root mounted
		berth[1.587]: provision done
		berth[1.591]: services started
		berth[1.591]: ready
	EOF
}

# the same boot with two containers, a blessing and a shutdown
full_timeline() {
	cat <<-'EOF'
		berth[1.324]: init start
		berth[1.374]: root mounted
		berth[1.642]: provision done
		berth[1.646]: services started
		berth[2.104]: container web started
		berth[2.388]: container db started
		berth[2.390]: ready
		berth[2.912]: boot blessed
		berth[8.769]: shutdown start
		berth[9.274]: shutdown done
	EOF
}

# python3's expat parser: fails on anything not well-formed; prints the root
# tag, its width, the number of rect.phase, then every <text>'s content
svg_facts() {
	python3 - "$1" <<-'EOF'
		import sys, xml.etree.ElementTree as ET
		S = '{http://www.w3.org/2000/svg}'
		root = ET.parse(sys.argv[1]).getroot()
		print('root', root.tag, root.get('version'))
		print('width', root.get('width'))
		print('phases', sum(1 for r in root.iter(S + 'rect') if r.get('class') == 'phase'))
		for t in root.iter(S + 'text'):
		    print('text', ''.join(t.itertext()))
	EOF
}

@test "berth --help and berth help list analyze with its one-line help" {
	for arg in --help help; do
		run "$BERTH" "$arg"
		assert_success
		assert_line --index 0 'usage: berth COMMAND [ARGS...]'
		assert_line --regexp '^  analyze +how long each boot phase took'
	done
}

@test "berth without a command prints the list on stderr and exits 100" {
	run --separate-stderr "$BERTH"
	assert_equal "$status" 100
	assert_equal "$output" ''
	[[ $stderr == *analyze* ]]
}

@test "an unknown command is one line naming it, exit 100" {
	run --separate-stderr "$BERTH" frobnicate
	assert_equal "$status" 100
	assert_equal "$stderr" "berth: unknown command \"frobnicate\"; 'berth help' lists them"
	assert_equal "$output" ''
}

@test "berth analyze --help and berth help analyze print its usage" {
	run "$BERTH" analyze --help
	assert_success
	assert_line --index 0 'usage: berth analyze [--svg] [--timeline FILE]'
	run "$BERTH" help analyze
	assert_success
	assert_line --index 0 'usage: berth analyze [--svg] [--timeline FILE]'
	run "$BERTH" analyze --svg --timeline /nonexistent -h
	assert_success
	assert_line --index 0 'usage: berth analyze [--svg] [--timeline FILE]'
}

@test "berth analyze refuses an unknown argument or a --timeline without FILE, exit 100" {
	run --separate-stderr "$BERTH" analyze --bogus
	assert_equal "$status" 100
	[[ ${stderr_lines[0]} == 'berth analyze: unknown argument "--bogus"' ]]
	[[ ${stderr_lines[1]} == 'usage: berth analyze [--svg] [--timeline FILE]' ]]
	run --separate-stderr "$BERTH" analyze --timeline
	assert_equal "$status" 100
	[[ ${stderr_lines[0]} == 'berth analyze: --timeline needs a FILE' ]]
}

@test "a real boot: the summary line, then every phase slowest first" {
	boot_timeline >"$T/timeline"
	run --separate-stderr "$BERTH" analyze --timeline "$T/timeline"
	assert_success
	assert_equal "$stderr" ''
	assert_equal "$output" "$(
		cat <<-'EOF'
			boot: 1.591s to ready (kernel 1.286s + userspace 0.305s)
			   1.286s  at 0.000s  kernel            (kernel start → init start)
			   0.257s  at 1.330s  provision done    (root mounted → provision done)
			   0.044s  at 1.286s  root mounted      (init start → root mounted)
			   0.004s  at 1.587s  services started  (provision done → services started)
			   0.000s  at 1.591s  ready             (services started → ready)
		EOF
	)"
}

@test "--timeline=FILE works like --timeline FILE" {
	boot_timeline >"$T/timeline"
	run "$BERTH" analyze --timeline="$T/timeline"
	assert_success
	assert_line --index 0 'boot: 1.591s to ready (kernel 1.286s + userspace 0.305s)'
}

@test "containers, blessing and shutdown: phases after ready are shown too" {
	full_timeline >"$T/timeline"
	run "$BERTH" analyze --timeline "$T/timeline"
	assert_success
	assert_equal "${#lines[@]}" 11
	assert_line --index 0 'boot: 2.390s to ready (kernel 1.324s + userspace 1.066s)'
	assert_line --index 1 --regexp '^   5\.857s  at 2\.912s  shutdown start +\(boot blessed → shutdown start\)$'
	assert_line --index 2 --regexp '^   1\.324s  at 0\.000s  kernel '
	assert_line --regexp '^   0\.505s  at 8\.769s  shutdown done +\(shutdown start → shutdown done\)$'
	assert_line --regexp '^   0\.458s  at 1\.646s  container web started +\(services started → container web started\)$'
	assert_line --regexp '^   0\.522s  at 2\.390s  boot blessed +\(ready → boot blessed\)$'
	# slowest first, all the way down
	durations=$(printf '%s\n' "${lines[@]:1}" | awk '{ print $1 }' | tr -d s)
	assert_equal "$durations" "$(sort -rn <<<"$durations")"
}

@test "equal phases keep the order they happened in" {
	# phases of 0.1s and 0.2s, alternating: an unstable sort shuffles them
	{
		echo 'berth[1.000]: init start'
		t=1000
		for i in $(seq 1 12); do
			t=$((t + (i % 2 ? 100 : 200)))
			printf 'berth[%d.%03d]: e%d\n' $((t / 1000)) $((t % 1000)) "$i"
		done
	} >"$T/timeline"
	run "$BERTH" analyze --timeline "$T/timeline"
	assert_success
	assert_line --index 1 --regexp '^   1\.000s  at 0\.000s  kernel '
	assert_equal "$(printf '%s\n' "${lines[@]:2}" | awk '{ print $4 }' | xargs)" \
		'e2 e4 e6 e8 e10 e12 e1 e3 e5 e7 e9 e11'
}

@test "without ready, the summary names the last event" {
	boot_timeline | head -n 3 >"$T/timeline"
	run "$BERTH" analyze --timeline "$T/timeline"
	assert_success
	assert_line --index 0 'boot: not ready yet (last event "provision done" at 1.587s)'
	assert_equal "${#lines[@]}" 4
}

@test "an unknown event is shown as a phase of its own" {
	{ boot_timeline | head -n 2; echo 'berth[1.500]: disk grown'; boot_timeline | tail -n 3; } >"$T/timeline"
	run "$BERTH" analyze --timeline "$T/timeline"
	assert_success
	assert_line --regexp '^   0\.170s  at 1\.330s  disk grown +\(root mounted → disk grown\)$'
	assert_line --regexp '^   0\.087s  at 1\.500s  provision done +\(disk grown → provision done\)$'
}

@test "lines out of time order are put in order" {
	printf 'berth[1.000]: init start\nberth[1.500]: ready\nberth[1.200]: root mounted\n' >"$T/timeline"
	run "$BERTH" analyze --timeline "$T/timeline"
	assert_success
	assert_line '   0.300s  at 1.200s  ready         (root mounted → ready)'
}

@test "malformed lines are ignored, counted and mentioned once on stderr" {
	{
		boot_timeline | head -n 2
		echo 'garbage'
		echo 'berth[1.4]: too few decimals'
		echo 'berth[x.400]: not a number'
		echo 'berth[1.400] missing colon'
		echo 'berth[1.400]: '
		printf 'berth[1.400]: tab\there\n'
		echo ''
		boot_timeline | tail -n 3
	} >"$T/timeline"
	run --separate-stderr "$BERTH" analyze --timeline "$T/timeline"
	assert_success
	assert_equal "$stderr" "berth analyze: $T/timeline: ignored 6 malformed lines (the first is line 3); expected \"berth[SECONDS.mmm]: EVENT\""
	assert_equal "$output" "$(boot_timeline >"$T/clean" && "$BERTH" analyze --timeline "$T/clean")"
}

@test "lines ending in CRLF, as copied from a serial console, are read" {
	boot_timeline | sed 's/$/\r/' >"$T/timeline"
	run --separate-stderr "$BERTH" analyze --timeline "$T/timeline"
	assert_success
	assert_equal "$stderr" ''
	assert_line --index 0 'boot: 1.591s to ready (kernel 1.286s + userspace 0.305s)'
	refute_output --partial $'\r'
}

@test "a missing timeline is one line naming it, exit 111" {
	run --separate-stderr "$BERTH" analyze --timeline "$T/nope"
	assert_equal "$status" 111
	assert_equal "$stderr" "berth analyze: $T/nope: No such file or directory"
	assert_equal "$output" ''
}

@test "the default timeline is /run/berth/timeline" {
	[ ! -e /run/berth/timeline ] || skip "this host has a /run/berth/timeline"
	run --separate-stderr "$BERTH" analyze
	assert_equal "$status" 111
	assert_equal "$stderr" 'berth analyze: /run/berth/timeline: No such file or directory'
}

@test "an empty timeline says there are no events" {
	: >"$T/timeline"
	run --separate-stderr "$BERTH" analyze --timeline "$T/timeline"
	assert_equal "$status" 1
	assert_equal "$stderr" "berth analyze: $T/timeline: no events"
	run --separate-stderr "$BERTH" analyze --svg --timeline "$T/timeline"
	assert_equal "$status" 1
	assert_equal "$output" ''
}

@test "a timeline over 10000 lines or 1 MiB is read up to the cap, with a warning" {
	boot_timeline >"$T/timeline"
	for i in $(seq 1 10005); do echo "berth[2.000]: container c$i started"; done >>"$T/timeline"
	run --separate-stderr "$BERTH" analyze --timeline "$T/timeline"
	assert_success
	assert_equal "$stderr" "berth analyze: $T/timeline: longer than 10000 lines; only the first 10000 are read"
	assert_equal "${#lines[@]}" 10001
	assert_line --index 0 'boot: 1.591s to ready (kernel 1.286s + userspace 0.305s)'

	boot_timeline >"$T/big"
	head -c 1100000 /dev/zero | tr '\0' x >>"$T/big"
	run --separate-stderr "$BERTH" analyze --timeline "$T/big"
	assert_success
	assert_equal "$stderr" "berth analyze: $T/big: larger than 1048576 bytes; only the lines before that are read"
	assert_equal "${#lines[@]}" 6
}

@test "a failed write to stdout is an error, exit 111" {
	[ -w /dev/full ] || skip "no /dev/full"
	boot_timeline >"$T/timeline"
	run bash -c '"$0" analyze --svg --timeline "$1" >/dev/full' "$BERTH" "$T/timeline"
	assert_equal "$status" 111
	assert_output --partial 'write to standard output'
}

@test "--svg: a well-formed SVG 1.1 document with one rect.phase per phase, each named" {
	boot_timeline >"$T/timeline"
	"$BERTH" analyze --svg --timeline "$T/timeline" >"$T/boot.svg"
	head -n 1 "$T/boot.svg" | grep -qx '<?xml version="1.0" encoding="UTF-8"?>'
	run svg_facts "$T/boot.svg"
	assert_success
	assert_line 'root {http://www.w3.org/2000/svg}svg 1.1'
	assert_line 'phases 5'
	assert_line 'text Berth boot: 1.591s to ready (kernel 1.286s + userspace 0.305s)'
	for p in 'kernel 1.286s' 'root mounted 0.044s' 'provision done 0.257s' \
		'services started 0.004s' 'ready 0.000s'; do
		assert_line "text $p"
	done
	# a time axis in seconds
	assert_line 'text 0s'
	assert_line 'text 1s'
	# and nothing but the phases in class "phase"
	assert_equal "$(grep -c 'class="phase"' "$T/boot.svg")" 5
}

@test "--svg: phases in chronological order, containers and shutdown included" {
	full_timeline >"$T/timeline"
	"$BERTH" analyze --svg --timeline "$T/timeline" >"$T/boot.svg"
	run svg_facts "$T/boot.svg"
	assert_success
	assert_line 'phases 10'
	names=$(printf '%s\n' "${lines[@]}" | sed -n 's/^text \(.*\) [0-9.]*s$/\1/p' | grep -v '^Berth')
	assert_equal "$names" "$(printf '%s\n' kernel 'root mounted' 'provision done' 'services started' \
		'container web started' 'container db started' ready 'boot blessed' 'shutdown start' 'shutdown done')"
}

@test "--svg: event names are escaped for XML" {
	{
		boot_timeline | head -n 4
		echo "berth[1.590]: container a&b<c>\"d'e started"
		echo 'berth[1.591]: ready'
	} >"$T/timeline"
	"$BERTH" analyze --svg --timeline "$T/timeline" >"$T/boot.svg"
	run svg_facts "$T/boot.svg"
	assert_success
	assert_line 'phases 6'
	assert_line "text container a&b<c>\"d'e started 0.003s"
	grep -qF 'container a&amp;b&lt;c&gt;&quot;d&apos;e started' "$T/boot.svg"
	run grep -F 'a&b' "$T/boot.svg"
	assert_failure
}

@test "--svg: the width grows with the time, between a minimum and a maximum" {
	printf 'berth[0.010]: init start\nberth[0.020]: ready\n' >"$T/short"
	printf 'berth[1.000]: init start\nberth[2.000]: ready\n' >"$T/mid"
	printf 'berth[1.000]: init start\nberth[300.000]: ready\n' >"$T/long"
	for f in short mid long; do
		"$BERTH" analyze --svg --timeline "$T/$f" >"$T/$f.svg"
		svg_facts "$T/$f.svg" | sed -n 's/^width //p' >"$T/$f.width"
	done
	short=$(cat "$T/short.width") mid=$(cat "$T/mid.width") long=$(cat "$T/long.width")
	[ "$short" -ge 400 ]
	[ "$short" -lt "$mid" ]
	[ "$mid" -lt "$long" ]
	[ "$long" -le 2000 ]
	run svg_facts "$T/long.svg"
	assert_line 'text 300s'
	assert_line 'phases 2'
}
