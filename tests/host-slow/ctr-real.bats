#!/usr/bin/env bats
# The container supervisor with real containers (tests/host/ctr.bats has the
# rest, on fixture state): berth runs crun containers of an image made with
# umoci, each under its busybox runsv, in a private mount namespace: run,
# logs, exec, stop signals and grace periods, ctr-boot's order and
# healthchecks, published ports, a killed runsv or ctr-exec, and berth run
# against crun run of the same bundle.
# shellcheck disable=SC2154 # bats' run sets status, output, lines
# shellcheck disable=SC2030,SC2031 # each test exports its own BERTH_* paths
# shellcheck disable=SC2016 # the in_ns scripts expand their variables inside

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	load ../lib/ctr
	# one test at a time (run.sh): two tests' containers share names, and so
	# cgroups (berth/NAME); and the timings are to the second
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	ctr_bin
	# the image of the real containers, made once (real_setup loads it)
	if [[ $(id -u) == 0 ]] && command -v umoci >/dev/null; then demo_layout "$BATS_FILE_TMPDIR/img"; fi
}

setup() {
	load ../lib/common
	load ../lib/ctr
	ctr_env
}

# a registry a test started (pull_setup)
teardown() {
	if declare -F reg_stop_all >/dev/null; then reg_stop_all; fi
}

# def_real NAME IMAGE BODY: a definition of IMAGE with no network, as the
# real containers are run
def_real() {
	def "$1" "image: $2
network_mode: none
$3"
}

# ---- real containers: runsv, crun, an image from umoci ----

# demo_layout DIR: the real containers' image, demo:t in the OCI layout
# DIR/demo made with umoci: busybox with its applets, root in passwd and
# group, SIGUSR1 as its stop signal
demo_layout() {
	local d=$1 r=$1/bundle/rootfs
	umoci init --layout "$d/demo" >&2
	umoci new --image "$d/demo:t" >&2
	umoci unpack --image "$d/demo:t" "$d/bundle" >/dev/null
	mkdir -p "$r/bin" "$r/etc"
	cp "$OUT/rootfs-bin/busybox" "$r/bin/busybox"
	for a in sh echo sleep cat id hostname test true seq ps nc printf; do ln -s busybox "$r/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\n' >"$r/etc/group"
	umoci repack --image "$d/demo:t" "$d/bundle" >&2
	umoci config --image "$d/demo:t" --config.stopsignal SIGUSR1 >&2
}

# real_setup: demo:t loaded into the test's store from a copy of the layout
# setup_file made (a test may change its copy, $T/img/demo)
real_setup() {
	[[ $(id -u) == 0 ]] || skip "crun needs root"
	[[ -x $BERTH_CRUN ]] || skip "no $BERTH_CRUN"
	command -v umoci >/dev/null || skip "no umoci"
	mkdir -p "$T/img"
	cp -a "$BATS_FILE_TMPDIR/img/demo" "$T/img/demo"
	"$BERTH" load "$T/img/demo" >&2
	export PATH=$BIN:$PATH
}

# in_ns SCRIPT: run SCRIPT in a private mount namespace (the build machine's
# hybrid cgroup v2 mount is unmounted there, as crun wants); with NETNS=1 in
# a network namespace of its own too, for the bridge; with RUN_TMPFS=1
# $BERTH_RUN is a tmpfs, as /run is in the VM (and is gone afterwards).
# berth starts a runsv per container itself; whatever the test leaves is
# ended afterwards. SCRIPT may call cwd_pids PATTERN: the processes whose
# working directory matches PATTERN (one find over /proc: a loop of
# readlinks over every process on a busy machine took seconds).
in_ns() {
	local net=()
	[[ ${NETNS:-} != 1 ]] || net=(-n)
	# shellcheck disable=SC2016 # a function for SCRIPT
	printf '%s\n' 'cwd_pids() { find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$1" 2>/dev/null | cut -d/ -f3; }' \
		"$1" >"$T/script"
	# shellcheck disable=SC2016 # expanded by the inner sh
	RUN_TMPFS=${RUN_TMPFS:-} timeout 120 unshare -m "${net[@]}" sh -c '
		if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified || exit 1; fi
		ip link set lo up
		mkdir -p "$BERTH_RUN"
		if [ "$RUN_TMPFS" = 1 ]; then mount -t tmpfs tmpfs "$BERTH_RUN" || exit 1; fi
		mkdir -p "$BERTH_RUN/service"
		sh -e "$1"
		rc=$?
		# what the test left, by pid: a runsv or svlogd in one of its
		# service directories, a ctr-exec of one of its containers
		ours() {
			find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$BERTH_RUN/service/*" 2>/dev/null | cut -d/ -f3
			for e in $(grep -lzxF "BERTH_RUN=$BERTH_RUN" /proc/[0-9]*/environ 2>/dev/null); do
				d=${e%/environ}
				if [ "$(readlink "$d/cwd" 2>/dev/null)" = / ] &&
					[ "$(tr "\0" "\n" <"$d/cmdline" 2>/dev/null | sed -n 2p)" = ctr-exec ]; then
					echo "${d#/proc/}"
				fi
			done
		}
		for s in "$BERTH_RUN"/service/*/; do
			if [ -d "$s" ]; then { sv -w 3 force-stop "$s"; sv exit "$s"; } >/dev/null 2>&1; fi
		done
		for _ in $(seq 30); do
			if [ -z "$(ours)" ]; then break; fi
			sleep 0.1
		done
		left=$(ours)
		# shellcheck disable=SC2086
		[ -z "$left" ] || kill -KILL $left 2>/dev/null
		# a container whose supervisor was killed before its grace ended
		for c in "$BERTH_RUN"/containers/*/; do
			if [ -d "$c" ]; then "$BERTH_CRUN" --root "$BERTH_RUN/crun" delete -f "$(basename "$c")" >/dev/null 2>&1; fi
		done
		exit $rc' sh "$T/script"
}

@test "real: run -d, ps, logs, exec, stop with the image's stop signal, rm" {
	real_setup
	run in_ns '
B='"$BERTH"'
$B run -d --name web --network none demo:t sh -c "trap \"echo bye; exit 3\" USR1; echo hello; hostname; while :; do sleep 1; done"
$B ps | grep -q "^web  *demo:t  *running "
# hello and the hostname: its trap is set
for i in $(seq 50); do [ "$($B logs web | wc -l)" -ge 2 ] && break; sleep 0.1; done
$B logs web
$B exec web cat /etc/hostname
$B stop web
$B ps -a | grep "^web "
$B logs web | tail -1
$B rm web
echo rm done
grep -c "'"$T"'" /proc/self/mountinfo || true'
	assert_success
	assert_line --index 0 web
	assert_line --index 1 hello
	assert_line --index 2 web
	assert_line --index 3 web # exec
	assert_line --index 4 web # stop
	assert_regex "${lines[5]}" '^web +demo:t +stopped +Exited \(3\) (Less than a second|[0-9] seconds?) ago '

	assert_line --index 6 bye
	assert_line --index 7 web
	assert_line --index 9 0
	[ ! -e "$BERTH_ETC/berth/containers/web.yaml" ]
	[ ! -e "$BERTH_RUN/service/web" ]
	[ ! -e "$BERTH_RUN/service/.rm-web" ]
}

@test "real: run without -d prints the output and exits with the container's code" {
	real_setup
	run in_ns '
'"$BERTH"' run --name once --network none demo:t sh -c "echo one; exit 7" || echo "rc=$?"'
	assert_success
	assert_output $'one\nrc=7'
}

@test "real: a named volume lands under \$BERTH_ROOT/volumes and outlives its container" {
	real_setup
	run in_ns '
B='"$BERTH"'
$B run --name vol --network none -v ctrvol:/data demo:t sh -c "echo kept >/data/f"
$B rm vol'
	assert_success
	assert_output vol
	assert_equal "$(cat "$BERTH_ROOT/volumes/ctrvol/f")" kept
}

@test "real: ctr-boot starts in depends_on order, waits, restarts on failure with backoff" {
	real_setup
	def_real db demo:t 'restart: always
command: ["sh", "-c", "echo db; sleep 1000"]'
	def_real web demo:t 'restart: unless-stopped
depends_on: [db]
command: ["sh", "-c", "echo web; sleep 1000"]'
	def_real crash demo:t 'restart: on-failure:2
command: ["sh", "-c", "echo crash; exit 2"]'
	def_real broken nosuch:1 'restart: "no"
pull_policy: never'
	run in_ns '
B='"$BERTH"'
$B ctr-boot --prepare
$B ctr-boot
sleep 4
$B ps -a'
	assert_success
	assert_line --regexp '^berth\[[0-9.]+\]: container db started$'
	assert_line --regexp '^berth\[[0-9.]+\]: container web started$'
	# db before web in the timeline
	assert_equal "$(sed -n 's/.*: container \(db\|web\) started$/\1/p' "$BERTH_RUN/timeline" | tr '\n' ' ')" "db web "
	assert_equal "$(grep -c ' started$' "$BERTH_RUN/timeline")" 3
	assert_line --regexp '^crash +demo:t +exited +Exited \(2\) .* ago +2 *$'
	assert_line --regexp '^db +demo:t +running '
	assert_line --regexp '^web +demo:t +running '
	assert_line --regexp '^broken +nosuch:1 +failed '
	assert_line "berth ctr-boot: container broken failed to start: image nosuch:1: not in the store (pull_policy: never; berth pull or berth load it first)"
	assert_equal "$(grep -c crash "$BERTH_LOG/crash/current")" 3
	grep -q 'not in the store' "$BERTH_RUN/containers/broken/state"
}

# image_patch TAG JQ: rewrite the config of demo:TAG (made by real_setup)
# through a jq filter, for what `umoci config` cannot set; then load it
image_patch() {
	local l=$T/img/demo tag=$1 m c cfg man
	m=$(jq -r --arg t "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$l/index.json")
	c=$(jq -r .config.digest "$l/blobs/sha256/${m#sha256:}")
	jq -c "$2" "$l/blobs/sha256/${c#sha256:}" >"$l/new"
	cfg=$(sha256sum "$l/new" | cut -d' ' -f1)
	mv "$l/new" "$l/blobs/sha256/$cfg"
	jq -c --arg d "sha256:$cfg" --argjson s "$(stat -c %s "$l/blobs/sha256/$cfg")" \
		'.config.digest = $d | .config.size = $s' "$l/blobs/sha256/${m#sha256:}" >"$l/new"
	man=$(sha256sum "$l/new" | cut -d' ' -f1)
	mv "$l/new" "$l/blobs/sha256/$man"
	jq -c --arg t "$tag" --arg d "sha256:$man" --argjson s "$(stat -c %s "$l/blobs/sha256/$man")" \
		'(.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)) |= (.digest = $d | .size = $s)' \
		"$l/index.json" >"$l/new"
	mv "$l/new" "$l/index.json"
	"$BERTH" load "$l" >&2
}

@test "real: healthchecks: starting -> healthy; unhealthy after retries; timeouts; the image's; ps and inspect" {
	real_setup
	umoci config --image "$T/img/demo:t" --tag hc >&2
	image_patch hc '.config.Healthcheck = {"Test": ["CMD-SHELL", "echo from-image"], "Interval": 1000000000, "Retries": 2}'
	def_real ok demo:t 'command: ["sh", "-c", "echo >/ready; exec sleep 1000"]
healthcheck:
  test: ["CMD-SHELL", "test -e /ready && printf \"line1\\nline2\\n\""]
  interval: 1s
  timeout: 2s'
	def_real bad demo:t 'command: ["sleep", "1000"]
healthcheck:
  test: ["CMD", "sh", "-c", "echo nope; seq 1 200; exit 3"]
  interval: 1s
  retries: 3'
	def_real slow demo:t 'command: ["sleep", "1000"]
healthcheck:
  test: ["CMD", "sleep", "30"]
  interval: 1s
  timeout: 500ms
  retries: 1'
	def_real img demo:hc 'command: ["sleep", "1000"]'
	def_real off demo:hc 'command: ["sleep", "1000"]
healthcheck:
  disable: true'
	run in_ns '
B='"$BERTH"'
S=$BERTH_RUN/containers
# each change of health and failing streak, from before the start until
# all are settled
for i in $(seq 400); do
	done=0
	for c in ok bad slow img; do
		eval "prev=\${prev_$c:-}"
		# settled: not followed further
		case $prev in healthy*|unhealthy*) done=$((done + 1)); continue ;; esac
		st=$(cat $S/$c/state 2>/dev/null || :)
		cur="$(echo "$st" | sed -n "s/^health=//p") $(echo "$st" | sed -n "s/^health_failing=//p")"
		[ "$cur" = "$prev" ] || [ "$cur" = " " ] || echo "$c: $cur"
		eval "prev_$c=\$cur"
	done
	if [ $done = 4 ]; then break; fi
	sleep 0.05
done >$BATS_TEST_TMPDIR/changes &
watch=$!
$B start ok bad slow img off >/dev/null
wait $watch
cat $BATS_TEST_TMPDIR/changes
$B ps
$B inspect ok bad slow img off >$BATS_TEST_TMPDIR/inspect.json
$B exec slow ps -o args
$B stop ok >/dev/null
sed -n "s/^health=//p" $S/ok/state'
	assert_success
	# in order for each container, from the first look on
	assert_equal "$(grep '^ok:' <<<"$output" | tr '\n' ,)" 'ok: starting 0,ok: healthy 0,'
	assert_equal "$(grep '^bad:' <<<"$output" | tr '\n' ,)" \
		'bad: starting 0,bad: starting 1,bad: starting 2,bad: unhealthy 3,'
	assert_equal "$(grep '^slow:' <<<"$output" | tr '\n' ,)" 'slow: starting 0,slow: unhealthy 1,'
	assert_equal "$(grep '^img:' <<<"$output" | tr '\n' ,)" 'img: starting 0,img: healthy 0,'
	assert_line --regexp '^ok +demo:t +running +Up [0-9]+ seconds? \(healthy\) +0 *$'
	assert_line --regexp '^bad +demo:t +running +Up [0-9]+ seconds? \(unhealthy\) +0 *$'
	assert_line --regexp '^off +demo:hc +running +Up [0-9]+ seconds? +0 *$'
	# a timed-out check is killed inside the container too: the first
	# (from 1 s) is gone by now (> 3 s), at most the next one runs
	assert_line 'sleep 1000'
	(($(grep -c '^sleep 30$' <<<"$output") <= 1))
	# stopped: no longer healthy
	assert_equal "${lines[-1]}" unhealthy
	j=$T/inspect.json
	assert_equal "$(jq -c '[.[] | .State.Health | if . then [.Status, .FailingStreak > 0, .Log[0].ExitCode] else null end]' "$j")" \
		'[["healthy",false,0],["unhealthy",true,3],["unhealthy",true,-1],["healthy",false,0],null]'
	assert_equal "$(jq -r '.[0].State.Health.Log[0].Output' "$j")" 'line1 line2'
	assert_equal "$(jq -r '.[2].State.Health.Log[0].Output' "$j")" 'Health check exceeded timeout (500ms)'
	assert_equal "$(jq -r '.[3].State.Health.Log[0].Output' "$j")" 'from-image'
	# the output on one line, cut
	out=$(jq -r '.[1].State.Health.Log[0].Output' "$j")
	assert_equal "${#out}" 255
	[[ $out == "nope 1 2 3 4 5 "* ]]
	grep -qx 'health_exit=3' "$BERTH_RUN/containers/bad/state"
	run ! grep -q '^health' "$BERTH_RUN/containers/off/state"
}

@test "real: ctr-boot waits for depends_on service_healthy; no healthcheck is an error" {
	real_setup
	def_real db demo:t 'restart: always
command: ["sh", "-c", "sleep 2; echo >/up; exec sleep 1000"]
healthcheck:
  test: test -e /up
  interval: 500ms
  start_period: 10s'
	def_real app demo:t 'restart: always
command: ["sleep", "1000"]
depends_on:
  db: {condition: service_healthy}'
	def_real plain demo:t 'restart: always
command: ["sleep", "1000"]'
	def_real needy demo:t 'restart: always
command: ["sleep", "1000"]
depends_on:
  plain: {condition: service_healthy}'
	run in_ns '
B='"$BERTH"'
$B ctr-boot --prepare
$B ctr-boot || echo "boot: $?"
$B ps -a'
	assert_success
	# app only once db was healthy, 2 s after it started (failures in the
	# start period do not count: without it db would be unhealthy first)
	assert_equal "$(sed -n 's/.*: container \(db\|app\) started$/\1/p' "$BERTH_RUN/timeline" | tr '\n' ' ')" "db app "
	assert_line --regexp '^app +demo:t +running '
	assert_line --regexp '^db +demo:t +running +Up [0-9]+ seconds \(healthy\) '
	assert_line 'berth ctr-boot: container needy not started: plain has no healthcheck (depends_on condition service_healthy)'
	assert_line 'boot: 1'
	assert_line --regexp '^needy +demo:t +created '
}

# pull_setup: the registry "boot" (docker-registry on loopback, reached
# from in_ns's mount namespace, which shares the host's network) with
# demo:t pushed as $REG_boot/demo:t, and demo:t with a layer more (/etc/v:
# two) in $T/v2/demo, pushed as $REG_boot/app:t
pull_setup() {
	command -v docker-registry >/dev/null || skip "no docker-registry"
	command -v skopeo >/dev/null || skip "no skopeo"
	load ../lib/registry
	reg_start boot
	reg_push "oci:$T/img/demo:t" "$REG_boot/demo:t" >&2
	mkdir -p "$T/v2"
	cp -a "$T/img/demo" "$T/v2/demo"
	umoci unpack --image "$T/v2/demo:t" "$T/v2/b" >/dev/null
	echo two >"$T/v2/b/rootfs/etc/v"
	umoci repack --image "$T/v2/demo:t" "$T/v2/b" >&2
	reg_push "oci:$T/v2/demo:t" "$REG_boot/app:t" >&2
}

# logs_wait NAME LINE: (in an in_ns script) berth logs NAME until it has
# LINE, 10 s at most; then print the logs
logs_wait='logs_wait() {
	for _ in $(seq 50); do
		if $B logs "$1" | grep -qx "$2"; then break; fi
		sleep 0.2
	done
	$B logs "$1"
}'

@test "real: ctr-boot pulls a missing image with progress; a failing pull is retried while the rest start and ready comes; what waits on it starts later" {
	real_setup
	pull_setup
	def_real app "$REG_boot/app:t" 'restart: always
command: ["sh", "-c", "echo app; sleep 1000"]'
	def_real web demo:t 'restart: always
depends_on: [app]
command: ["sh", "-c", "echo web; sleep 1000"]'
	# not pushed yet: each try fails (manifest unknown) until the script
	# pushes it; after waits on it
	def_real late "$REG_boot/late:t" 'restart: always
command: ["sleep", "1000"]'
	def_real after demo:t 'restart: always
depends_on: [late]
command: ["sleep", "1000"]'
	run in_ns '
B='"$BERTH"'
$B ctr-boot --prepare
$B ctr-boot >'"$T"'/boot.out 2>&1
echo "ctr-boot: $?"
$B ps -a
echo "-- pushed"
skopeo copy -q --dest-tls-verify=false oci:'"$T"'/img/demo:t docker://'"$REG_boot"'/late:t
# the tries come 1, 2, 4, 8 s apart: the next one finds it
for _ in $(seq 150); do
	if grep -q ": container after started$" '"$T"'/boot.out; then break; fi
	sleep 0.2
done
$B ps -a
$B images --digests'
	assert_success
	cat "$T/boot.out"
	# ready (ctr-boot returned) with app and web up, late still pulling
	assert_line 'ctr-boot: 0'
	assert_line --regexp "^late +$REG_boot/late:t +starting +Pulling( \\([0-9]+ failed tr(y|ies)\\))? "
	assert_line --regexp '^web +demo:t +running '
	# the pulled images with the digest they came by; the loaded one without
	assert_line --regexp "^$REG_boot/app +t +sha256:[0-9a-f]{64} +[0-9a-f]{12} "
	assert_line --regexp "^$REG_boot/late +t +sha256:[0-9a-f]{64} +[0-9a-f]{12} "
	assert_line --regexp '^demo +t +<none> +[0-9a-f]{12} '
	run cat "$T/boot.out"
	assert_line "container app: t: Pulling from app"
	# the layer demo:t lacks comes; those it has are not fetched
	assert_line --regexp '^container app: [0-9a-f]{12}: Download complete$'
	assert_line --regexp '^container app: [0-9a-f]{12}: Already exists$'
	assert_line --regexp '^container app: Digest: sha256:[0-9a-f]{64}$'
	assert_line --regexp "^container late: pull $REG_boot/late:t failed \\(try 1\\): .*manifest unknown.*; next try in 1 s$"
	assert_line --regexp "^container late: waiting for its image \\(pull $REG_boot/late:t: .*\\); ready does not wait for it$"
	assert_line 'container after: waits for a container that waits for its image'
	# app, then web; late and after once the image was there, after ready
	assert_equal "$(sed -n 's/.*: container \([a-z]*\) started$/\1/p' "$T/boot.out" | tr '\n' ' ')" "app web late after "
	[ "$(grep -c ' started$' "$BERTH_RUN/timeline")" = 4 ]
	# late's own log has its failed tries (the progress is only in pull.log)
	grep -q "pull $REG_boot/late:t failed (try 1)" "$BERTH_LOG/late/current"
}

@test "real: pull_policy: always pulls again at a start, a new image gets a new container layer; never does not pull; a stop ends the retries" {
	real_setup
	pull_setup
	def_real fresh "$REG_boot/demo:t" 'restart: always
pull_policy: always
command: ["sh", "-c", "if [ -e /mark ]; then echo kept; fi; cat /etc/v 2>/dev/null || echo none; echo >/mark; sleep 1000"]'
	def_real never "$REG_boot/other:t" 'pull_policy: never'
	def_real down '127.0.0.1:9/demo:t' 'restart: always'
	run in_ns '
B='"$BERTH"'
'"$logs_wait"'
$B start fresh
logs_wait fresh none
if test -e '"$BERTH_ROOT"'/containers/fresh/upper/mark; then echo marked; fi
$B stop -t 1 fresh >/dev/null
# the tag moves: demo:t is now the image with /etc/v
skopeo copy -q --dest-tls-verify=false oci:'"$T"'/v2/demo:t docker://'"$REG_boot"'/demo:t
$B start fresh
logs_wait fresh two
$B start never || echo "never: $?"
$B start down || echo "down: $?"
$B ps -a
t0=$(date +%s)
$B stop down
echo "stopped in $(( $(date +%s) - t0 )) s"
$B ps -a'
	assert_success
	# the first start: none (logs shows it twice); the tag moved and always
	# pulled it again: two, in a new container layer (no /mark kept)
	assert_equal "$(grep -c '^none$' <<<"$output")" 2
	assert_line 'two'
	assert_line 'marked'
	refute_line 'kept'
	assert_line "berth start: never: failed to start: image $REG_boot/other:t: not in the store (pull_policy: never; berth pull or berth load it first)"
	assert_line 'never: 1'
	assert_line --regexp "^berth start: down: not started yet: pull 127.0.0.1:9/demo:t: .*127\\.0\\.0\\.1:9.*; it tries again \\(berth ps shows it, berth stop ends it\\)$"
	assert_line 'down: 1'
	assert_line --regexp '^down +127.0.0.1:9/demo:t +starting +Pulling( \([0-9]+ failed tr(y|ies)\))? '
	assert_line --regexp '^stopped in [01] s$'
	# stopped before it ever ran
	assert_line --regexp '^down +127.0.0.1:9/demo:t +stopped +Created '
}

@test "real: dns, dns_search, dns_opt, extra_hosts and hostname reach the container's /etc files" {
	real_setup
	printf 'search host.example\nnameserver 198.51.100.1\noptions rotate\n' >"$BERTH_ETC/resolv.conf"
	def_real names demo:t 'hostname: box
dns: [192.0.2.53, "2001:db8::53"]
dns_search: [example.com, corp.example]
dns_opt: ["ndots:2"]
extra_hosts:
  - "db.internal:192.0.2.10"
  - "v6.internal=2001:db8::10"
  - "host.docker.internal:host-gateway"
command: ["sh", "-c", "echo up; hostname; cat /etc/resolv.conf /etc/hosts; while :; do sleep 1; done"]'
	run in_ns '
B='"$BERTH"'
$B start names >/dev/null
for i in $(seq 50); do $B logs names | grep -q "host-gateway\|docker.internal" && break; sleep 0.1; done
$B logs names
$B stop -t 0 names >/dev/null'
	assert_success
	assert_line box
	assert_line 'nameserver 192.0.2.53'
	assert_line 'nameserver 2001:db8::53'
	refute_line 'nameserver 198.51.100.1'
	assert_line 'search example.com corp.example'
	refute_line 'search host.example'
	assert_line 'options ndots:2'
	assert_line $'192.0.2.10\tdb.internal'
	assert_line $'2001:db8::10\tv6.internal'
	# network_mode none: the host is loopback
	assert_line $'127.0.0.1\thost.docker.internal'
}

@test "real: stop_signal is delivered; stop_grace_period bounds the kill; stop -t" {
	real_setup
	def_real sig demo:t 'stop_signal: SIGUSR2
command: ["sh", "-c", "trap \"echo got USR1; exit 5\" USR1; trap \"echo got USR2; exit 4\" USR2; echo up; while :; do sleep 0.1; done"]'
	def_real slow demo:t 'stop_grace_period: 1500ms
command: ["sh", "-c", "trap \"echo ignored\" USR1 TERM; echo up; while :; do sleep 0.1; done"]'
	run in_ns '
B='"$BERTH"'
ms() { echo $(($(date +%s%N) / 1000000)); }
# up N NAME: wait until NAME said up N times (its traps are set)
up() { for i in $(seq 50); do [ "$($B logs $2 | grep -c "^up$")" -ge $1 ] && return; sleep 0.1; done; }
$B start sig slow >/dev/null
up 1 sig
up 1 slow
$B stop sig >/dev/null
$B logs sig | tail -1
$B ps -a | grep "^sig "
t=$(ms); $B stop slow >/dev/null; echo "grace $(($(ms) - t))"
$B ps -a | grep "^slow "
$B start slow >/dev/null; up 2 slow
t=$(ms); $B stop -t 0 slow >/dev/null; echo "t0 $(($(ms) - t))"
$B start slow >/dev/null; up 3 slow
t=$(ms); $B stop --time=3 slow >/dev/null; echo "t3 $(($(ms) - t))"
grep -c ignored '"$BERTH_LOG"'/slow/current
grep -o "still running.*" '"$BERTH_LOG"'/slow/current'
	assert_success
	assert_line --index 0 'got USR2'
	assert_line --index 1 --regexp '^sig +demo:t +stopped +Exited \(4\) '
	grace=$(sed -n 's/^grace //p' <<<"$output")
	((grace >= 1500 && grace < 3500))
	assert_line --index 3 --regexp '^slow +demo:t +stopped +Exited \(137\) '
	t0=$(sed -n 's/^t0 //p' <<<"$output")
	((t0 < 1200))
	t3=$(sed -n 's/^t3 //p' <<<"$output")
	((t3 >= 3000 && t3 < 5000))
	# the image's stop signal (USR1) each time; with -t 0 the trap may
	# not run before SIGKILL
	assert_line --index 6 --regexp '^[23]$'
	assert_line --index 7 'still running 1.5 s after signal 10: SIGKILL'
	assert_line --index 8 'still running 0.0 s after signal 10: SIGKILL'
	assert_line --index 9 'still running 3.0 s after signal 10: SIGKILL'
}


@test "real: a port without a host port gets a free ephemeral one; a host range gives one of it" {
	real_setup
	command -v ip >/dev/null || skip "no ip"
	NETNS=1 run in_ns '
B='"$BERTH"'
BB='"$OUT"'/rootfs-bin/busybox
# a host service on the first ephemeral port: it keeps it
$BB nc -lk -p 32768 -e echo host &
hostsvc=$!
$B run -d --name web -p 80 -p 127.0.0.1::81 -p 7000-7002:90 demo:t \
	sh -c "nc -lk -p 80 -e echo hi & nc -lk -p 90 -e echo ninety & exec sleep 1000" >/dev/null
sed -n "s/^ports=//p" $BERTH_RUN/containers/web/state
$B port web
$B port web 80
$B ps | grep "^web "
# ask PORT until it answers (the nc in the container may not listen yet)
ask() { for i in $(seq 50); do a=$($BB nc -w 2 172.31.0.1 $1 </dev/null) && [ -n "$a" ] && break; sleep 0.1; done; echo "$a"; }
ask 32769
ask 32768
ask 7000
$B rm -f web >/dev/null
kill $hostsvc'
	assert_success
	assert_line --index 0 '0.0.0.0:32769:80/tcp 127.0.0.1:32770:81/tcp 0.0.0.0:7000:90/tcp'
	assert_line --index 1 '80/tcp -> 0.0.0.0:32769'
	assert_line --index 2 '81/tcp -> 127.0.0.1:32770'
	assert_line --index 3 '90/tcp -> 0.0.0.0:7000'
	assert_line --index 4 '0.0.0.0:32769'
	assert_line --index 5 --regexp '^web .* 0\.0\.0\.0:32769->80/tcp, 127\.0\.0\.1:32770->81/tcp, 0\.0\.0\.0:7000->90/tcp$'
	assert_line --index 6 hi
	assert_line --index 7 host
	assert_line --index 8 ninety
}

@test "real: berth starts the container's runsv itself, at once; rm ends it" {
	real_setup
	run in_ns '
B='"$BERTH"'
ms() { echo $(($(date +%s%N) / 1000000)); }
t=$(ms)
$B run -d --name quick --network none demo:t sleep 1000 >/dev/null
echo "started in $(($(ms) - t)) ms"
sv status $BERTH_RUN/service/quick | cut -d: -f1-2
# a runsv of its own, in a session of its own, with a clean mask and
# stdin from /dev/null
for p in $(cwd_pids "$BERTH_RUN/service/quick"); do
	if [ "$(cat /proc/$p/comm)" = runsv ]; then r=$p; fi
done
if [ "$(cut -d" " -f6 /proc/$r/stat)" != "$(cut -d" " -f6 /proc/$$/stat)" ]; then echo "own session"; fi
echo "cmdline: $(tr "\0" " " </proc/$r/cmdline)"
grep -E "^Sig(Blk|Ign):" /proc/$r/status
readlink /proc/$r/fd/0
ls /proc/$r/fd | wc -l
$B rm -f quick >/dev/null
# gone, or a zombie until init reaps it
gone() { st=$(cut -d" " -f3 /proc/$1/stat 2>/dev/null); [ -z "$st" ] || [ "$st" = Z ]; }
for i in $(seq 20); do gone $r && break; sleep 0.05; done
if gone $r; then echo "runsv gone"; fi
if [ ! -e $BERTH_RUN/service/quick ]; then echo "service gone"; fi'
	assert_success
	ms=$(sed -n 's/^started in \([0-9]*\) ms$/\1/p' <<<"$output")
	((ms < 1000))
	assert_line "run: $T/run/service/quick"
	assert_line 'own session'
	# as runsvdir ran it
	assert_line 'cmdline: runsv quick '
	assert_line 'SigBlk:	0000000000000000'
	# no signal ignored, musl's reserved real-time ones (32-34) included
	assert_line 'SigIgn:	0000000000000000'
	assert_line /dev/null
	# 0, 1, 2 and runsv's own: selfpipe (2), lock, control (2), ok, logpipe (2)
	# and the log's lock, control (2), ok; nothing of berth's
	assert_line 15
	assert_line 'runsv gone'
	assert_line 'service gone'
}

@test "real: a ctr-exec killed with SIGKILL takes its container with it; the state says so" {
	real_setup
	run in_ns '
B='"$BERTH"'
S=$BERTH_RUN/containers
$B run -d --name victim --network none demo:t sleep 1000 >/dev/null
$B run -d --name phoenix --network none --restart always demo:t sleep 1000 >/dev/null
pid=$(sed -n "s/^pid=//p" $S/victim/state)
old=$(sed -n "s/^pid=//p" $S/phoenix/state)
kill -KILL $(cat $BERTH_RUN/service/victim/supervise/pid) $(cat $BERTH_RUN/service/phoenix/supervise/pid)
for i in $(seq 50); do
	[ -e /proc/$pid ] || [ -e /proc/$old ] || break
	sleep 0.1
done
if [ -e /proc/$pid ]; then echo "victim still there"; else echo "victim gone"; fi
if [ -e /proc/$old ]; then echo "phoenix still there"; else echo "phoenix gone"; fi
grep -E "^(status|exit_code|pid|error)=" $S/victim/state
'"$BERTH_CRUN"' --root $BERTH_RUN/crun state victim >/dev/null 2>&1 && echo "crun has it" || echo "crun has none"
grep -c "$BERTH_ROOT/containers/victim/rootfs" /proc/self/mountinfo || true
$B ps -a | grep "^victim "
# the restart policy still applies: a new ctr-exec, a new container
for i in $(seq 50); do
	new=$(sed -n "s/^pid=//p" $S/phoenix/state)
	grep -q "^status=running" $S/phoenix/state && [ "$new" != "$old" ] && [ "$new" != 0 ] && break
	sleep 0.1
done
grep -E "^(status|restarts)=" $S/phoenix/state'
	assert_success
	assert_line 'victim gone'
	assert_line 'phoenix gone'
	assert_line 'status=exited'
	assert_line 'exit_code=137'
	assert_line 'pid=0'
	assert_line --regexp '^error=berth ctr-exec was killed \(killed by signal 9\) with the container still running: killed it \(pid [0-9]+\)$'
	assert_line 'crun has none'
	assert_line 0
	assert_line --regexp '^victim +demo:t +exited +Exited \(137\) '
	assert_line 'status=running'
	assert_line 'restarts=1'
}

@test "real: a runsv killed with SIGKILL: ps tells, stop stops, start starts a new one; TERM to runsv is a stop" {
	real_setup
	run in_ns '
B='"$BERTH"'
S=$BERTH_RUN/containers
runsv_of() {
	for p in $(cwd_pids "$BERTH_RUN/service/$1"); do
		if [ "$(cat /proc/$p/comm)" = runsv ]; then echo $p; fi
	done
	return 0
}
$B run -d --name lone --network none --restart always demo:t sh -c "trap \"exit 3\" USR1; while :; do sleep 0.1; done" >/dev/null
kill -KILL $(runsv_of lone)
for i in $(seq 50); do [ -z "$(runsv_of lone)" ] && break; sleep 0.1; done
# the container runs on, under its ctr-exec
$B ps | awk "/^lone / { print \$1, \$2, \$3 }"
$B stop lone
grep -E "^(status|exit_code)=" $S/lone/state
if [ -z "$(runsv_of lone)" ]; then echo "no runsv"; fi
$B start lone
if [ -n "$(runsv_of lone)" ]; then echo "a new runsv"; fi
grep "^status=" $S/lone/state
# killed again: start stops the container left without a runsv, then starts it anew
first=$(sed -n "s/^pid=//p" $S/lone/state)
sv=
for i in $(seq 50); do sv=$(runsv_of lone); [ -n "$sv" ] && break; sleep 0.1; done
[ -n "$sv" ] || echo "no runsv after start, 5 s on"
kill -KILL $sv
# dead, not only signalled: under load a start in between sees it still up
for i in $(seq 50); do [ -z "$(runsv_of lone)" ] && break; sleep 0.1; done
$B start lone 2>&1
second=$(sed -n "s/^pid=//p" $S/lone/state)
if [ "$first" != "$second" ] && ! kill -0 $first 2>/dev/null; then echo "a new container"; fi
grep "^status=" $S/lone/state
# TERM to runsv (what runsvdir did to a removed service): the container
# stops, and is not said to be restarting
kill -TERM $(runsv_of lone)
for i in $(seq 50); do [ -z "$(runsv_of lone)" ] && break; sleep 0.1; done
grep -E "^(status|exit_code)=" $S/lone/state
$B ps -a | awk "/^lone / { print \$1, \$2, \$3, \$4, \$5 }"'
	assert_success
	assert_line --index 0 'lone demo:t running'
	assert_line --index 1 --regexp '^berth stop: lone: its runsv is gone; stopping the container through its ctr-exec \(pid [0-9]+\)$'
	assert_line 'status=stopped'
	assert_line 'exit_code=3'
	assert_line 'no runsv'
	assert_line 'a new runsv'
	assert_line 'a new container'
	assert_line --regexp '^berth start: lone: its runsv is gone; stopping the container through its ctr-exec \(pid [0-9]+\)$'
	assert_equal "$(grep -c '^status=running$' <<<"$output")" 2
	assert_equal "${lines[-1]}" 'lone demo:t stopped Exited (3)'
}

# as scripts/bench.sh does in the VM: berth run against crun run of the
# bundle berth made for a container (read-only root, no network, the same
# command), so that both pay for the same seccomp profile, mounts and masks
@test "real: berth run --network none takes about as long as crun run of its bundle" {
	real_setup
	RUN_TMPFS=1 run in_ns '
B='"$BERTH"'
C='"$BERTH_CRUN"'
ms() { echo $(($(date +%s%N) / 100000)); }
$B run -d --name keep --network none demo:t sleep 1000 >/dev/null
mkdir -p '"$T"'/cb
jq ".root = {path: \"$BERTH_ROOT/containers/keep/rootfs\", readonly: true} | .process.args = [\"sh\", \"-c\", \"exit 0\"]
	| .process.terminal = false | del(.linux.cgroupsPath) | del(.hooks)" \
	"$BERTH_ROOT/containers/keep/bundle/config.json" >'"$T"'/cb/config.json
# one of each first: caches warm
$C --root '"$T"'/crun-root run --bundle '"$T"'/cb warm >/dev/null
$B run --network none demo:t sh -c "exit 0" >/dev/null
# each after a pause: on a cgroup v1 host the first move into a cgroup
# after a quiet spell waits for an RCU grace period, the next ones not
for i in $(seq 9); do
	sleep 0.2
	t=$(ms); $C --root '"$T"'/crun-root run --bundle '"$T"'/cb c$i >/dev/null; echo "crun $(($(ms) - t))"
	sleep 0.2
	t=$(ms); $B run --name r$i --network none demo:t sh -c "exit 0" >/dev/null; echo "berth $(($(ms) - t))"
done'
	assert_success
	med() { grep "^$1 " <<<"$output" | cut -d' ' -f2 | sort -n | sed -n 5p; }
	c=$(med crun)
	b=$(med berth)
	echo "# median of 9: crun run $((c / 10)).$((c % 10)) ms, berth run $((b / 10)).$((b % 10)) ms" >&3
	# runsv, its run script and berth ctr-exec come on top of crun: no
	# more than that (a runsvdir scan alone took 1 to 5 s)
	((b <= c * 2 + 100))
}

# ---- berth compose: a project's services as real containers ----

# compose_project DIR: a two-service project of demo:t (the compose
# specification's shapes: a list depends_on, a .env variable, a file-based
# secret, a named and an anonymous volume, an x- anchor merged with <<:)
compose_project() {
	mkdir -p "$1"
	cat >"$1/compose.yaml" <<-'EOF'
		x-base: &base
		  image: demo:t
		  network_mode: none
		services:
		  db:
		    <<: *base
		    restart: always
		    command: ["sh", "-c", "echo db up; echo $$GREETING >/data/greeting; sleep 1000"]
		    environment:
		      GREETING: ${GREETING:?set it in .env}
		    volumes: [data:/data, /scratch]
		  app:
		    <<: *base
		    depends_on: [db]
		    restart: unless-stopped
		    command: ["sh", "-c", "cat /run/secrets/token; sleep 1000"]
		    secrets: [token]
		volumes:
		  data: {}
		secrets:
		  token:
		    file: ./token.txt
	EOF
	printf 'GREETING=hello from .env\n' >"$1/.env"
	printf 's3cret\n' >"$1/token.txt"
}

@test "real: compose up -d: PROJECT-SERVICE-1 in depends_on order, .env, secret, volumes; ps, logs, stop, up, down -v" {
	real_setup
	compose_project "$T/proj"
	run in_ns '
B='"$BERTH"'
cd '"$T/proj"'
$B compose up -d
$B compose ps
for i in $(seq 50); do [ -s "$BERTH_ROOT/volumes/proj_data/greeting" ] && break; sleep 0.1; done
for i in $(seq 50); do $B compose logs app | grep -q s3cret && break; sleep 0.1; done
$B compose logs
echo "--- stop"
$B compose stop
$B compose ps -a
echo "--- up again"
$B compose up -d
$B compose ps -q
echo "--- down"
$B compose down -v
echo "--- left"
ls "$BERTH_ETC/berth/containers" "$BERTH_ROOT/volumes"'
	assert_success
	# db first, as app depends on it; named PROJECT-SERVICE-1
	assert_equal "$(grep -E '^ Container .* Started$' <<<"$output" | head -2 | tr -s ' ' | tr '\n' ';')" \
		" Container proj-db-1 Started; Container proj-app-1 Started;"
	assert_line --regexp '^proj-app-1 +demo:t +running '
	assert_line --regexp '^proj-db-1 +demo:t +running '
	# the secret at /run/secrets/token, the .env value in the volume
	assert_line --regexp '^proj-app-1 \| s3cret$'
	assert_line --regexp '^proj-db-1 +\| db up$'
	# stopped: dependants first; ps -a shows them
	assert_equal "$(sed -n '/^--- stop/,/^NAME/p' <<<"$output" | sed '1d;$d' | tr '\n' ' ')" "proj-app-1 proj-db-1 "
	assert_line --regexp '^proj-app-1 +demo:t +stopped '
	# up brings both back, the unless-stopped one a person stopped too
	assert_equal "$(sed -n '/^--- up again/,/^--- down/p' <<<"$output" | grep -c '^proj-')" 2
	assert_line ' Container proj-app-1  Removed'
	assert_line ' Container proj-db-1  Removed'
	assert_line ' Volume proj_data  Removed'
	# nothing left: definitions, the named and the anonymous volume
	assert_equal "$(sed -n '/^--- left/,$p' <<<"$output" | grep -vc -e '^---' -e ':$' -e '^$')" 0
}

@test "real: compose service discovery: names and aliases in each /etc/hosts; a restart with a new address is followed; another project's names are not there" {
	real_setup
	command -v ip >/dev/null || skip "no ip"
	mkdir -p "$T/shop" "$T/other"
	cat >"$T/shop/compose.yaml" <<-'EOF'
		services:
		  db:
		    image: demo:t
		    command: ["sh", "-c", "nc -lk -p 5000 -e echo db-here & exec sleep 1000"]
		    networks:
		      default:
		        aliases: [database]
		  api:
		    image: demo:t
		    depends_on: [db]
		    command: ["sleep", "1000"]
	EOF
	printf 'services:\n  lone:\n    image: demo:t\n    command: ["sleep", "1000"]\n' >"$T/other/compose.yaml"
	NETNS=1 run in_ns '
B='"$BERTH"'
cd '"$T/shop"'
$B compose up -d >/dev/null
(cd ../other && $B compose up -d >/dev/null)
ask() { for i in $(seq 50); do a=$($B compose exec -T api nc -w 2 $1 5000 </dev/null) && [ -n "$a" ] && break; sleep 0.1; done; echo "$1: $a"; }
ask db
ask database
ask shop-db-1
echo "--- hosts"
$B compose exec -T api cat /etc/hosts
echo "--- moved"
$B compose stop db >/dev/null
# the lowest address is free now: this container takes it, db gets another
$B run -d --name squatter demo:t sleep 1000 >/dev/null
$B compose start db >/dev/null
sed -n "s/^address=//p" $BERTH_RUN/containers/shop-db-1/state
ask db
$B compose exec -T api cat /etc/hosts
$B rm -f squatter >/dev/null
$B compose down >/dev/null
(cd ../other && $B compose down >/dev/null)'
	assert_success
	assert_line "db: db-here"
	assert_line "database: db-here"
	assert_line "shop-db-1: db-here"
	local before after addr
	before=$(sed -n '/^--- hosts/,/^--- moved/p' <<<"$output")
	addr=$(sed -n '/^--- moved/{n;p}' <<<"$output")
	after=$(sed -n '/^--- moved/,$p' <<<"$output")
	# api names itself and db with its alias; the other project is not there
	grep -E "^172\.31\.[0-9.]+	api shop-api-1$|^172\.31\.[0-9.]+	shop-api-1 api$" <<<"$before"
	grep -E "^172\.31\.[0-9.]+	db shop-db-1 database$" <<<"$before"
	run grep -c lone <<<"$output"
	assert_output 0
	# db came back elsewhere, and api's file says so
	[[ $addr =~ ^172\.31\. ]]
	grep -F "$addr	db shop-db-1 database" <<<"$after"
	local old
	old=$(grep -E '	db shop-db-1 database$' <<<"$before" | cut -f1)
	[[ $old != "$addr" ]]
	run grep -cF "$old	db " <<<"$after"
	assert_output 0
}

@test "real: ctr-boot brings up /etc/berth/compose/NAME projects in depends_on order; a project with errors is named and the others come up" {
	real_setup
	local c=$BERTH_ETC/berth/compose
	mkdir -p "$c/good" "$c/bad"
	cat >"$c/good/compose.yaml" <<-'EOF'
		services:
		  web:
		    image: demo:t
		    network_mode: none
		    restart: always
		    depends_on:
		      db:
		        condition: service_started
		    command: ["sh", "-c", "echo web $$MSG; sleep 1000"]
		    environment: ["MSG=${MSG}"]
		  db:
		    image: demo:t
		    network_mode: none
		    restart: always
		    command: ["sleep", "1000"]
	EOF
	printf 'MSG=from-dotenv\n' >"$c/good/.env"
	printf 'services:\n  a:\n    image: demo:t\n    depends_on: [b]\n  b:\n    image: demo:t\n    depends_on: [a]\n' \
		>"$c/bad/compose.yaml"
	run in_ns '
B='"$BERTH"'
$B ctr-boot --prepare || echo "prepare: $?"
$B ctr-boot || echo "boot: $?"
for i in $(seq 50); do grep -q from-dotenv "$BERTH_LOG/good-web-1/current" 2>/dev/null && break; sleep 0.1; done
$B ps'
	assert_success
	assert_line "prepare: 1"
	assert_line "boot: 1"
	assert_line --partial "bad/compose.yaml:7: services.b.depends_on: a cycle: a -> b -> a"
	assert_line --partial "compose project bad ($c/bad): errors (above): its containers are not brought up"
	assert_equal "$(sed -n 's/.*: container \(good-[a-z]*-1\) started$/\1/p' "$BERTH_RUN/timeline" | tr '\n' ' ')" \
		"good-db-1 good-web-1 "
	assert_line --regexp '^good-web-1 +demo:t +running '
	grep -q "web from-dotenv" "$BERTH_LOG/good-web-1/current"
	[ ! -e "$BERTH_ETC/berth/containers/bad-a-1.yaml" ]
}

@test "real: compose start SERVICE brings up what it depends on; up of a service that cannot start exits 1 whatever its restart policy" {
	real_setup
	compose_project "$T/proj"
	run in_ns '
B='"$BERTH"'
cd '"$T/proj"'
$B compose up -d >/dev/null
$B compose stop >/dev/null
$B compose start app
$B compose ps -q
printf "services:\n  broken:\n    image: nosuch:1\n    pull_policy: never\n" >broken.yaml
$B compose -f compose.yaml -f broken.yaml up -d broken || echo "up: $?"
$B compose -f compose.yaml -f broken.yaml down -v >/dev/null'
	assert_success
	assert_line ' Container proj-db-1  Started'
	assert_line ' Container proj-app-1  Started'
	assert_line proj-app-1
	assert_line proj-db-1
	assert_line --partial "container proj-broken-1 failed to start: image nosuch:1: not in the store"
	assert_line "up: 1"
}

@test "real: compose run --rm: a one-off container of the service with its secret, the command given, its exit code; removed after" {
	real_setup
	compose_project "$T/proj"
	run in_ns '
B='"$BERTH"'
cd '"$T/proj"'
$B compose run --rm -e EXTRA=given app sh -c "cat /run/secrets/token; echo \$EXTRA; exit 3" || echo "run: $?"
ls "$BERTH_ETC/berth/containers"
$B compose down -v >/dev/null'
	assert_success
	assert_line s3cret
	assert_line given
	assert_line "run: 3"
	# db came up first, as app depends on it; the one-off is gone
	assert_line proj-db-1.yaml
	run grep -c -- '-run-' <<<"$output"
	assert_output 0
}
