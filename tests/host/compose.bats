#!/usr/bin/env bats
# Container definitions (compose service syntax) and the OCI config.json
# made from them: golden files for the parser, every error message, and
# real crun runs of the generated config.
# shellcheck disable=SC2154 # bats' run --separate-stderr sets stderr, stderr_lines
# shellcheck disable=SC2030,SC2031 # project_config rewrites the output run set

bats_require_minimum_version 1.5.0

setup_file() {
	load ../lib/common
	berth_bin "$BATS_FILE_TMPDIR"
}

setup() {
	load ../lib/common
	BERTH=$BATS_FILE_TMPDIR/berth
	FIX=$TOP/tests/host/fixtures/compose
	T=$BATS_TEST_TMPDIR
	CRUN=$OUT/rootfs-bin/crun
}

# ---- the parser: golden files ----

@test "compose-check: every good definition matches its golden JSON and warnings" {
	cd "$FIX/ok"
	for y in *.yaml; do
		n=${y%.yaml}
		run --separate-stderr "$BERTH" compose-check "$y"
		assert_success
		diff -u "$n.json" <(printf '%s\n' "$output" | sed "s|$PWD|@DIR@|g")
		diff -u <(cat "$n.warn" 2>/dev/null) <(printf '%s' "$stderr" | awk 1)
	done
}

@test "compose-check: every bad definition fails with its golden messages" {
	cd "$FIX/bad"
	for y in *.yaml; do
		n=${y%.yaml}
		run --separate-stderr "$BERTH" compose-check "$y"
		assert_failure 1
		diff -u "$n.err" <(printf '%s\n' "$stderr")
		diff -u <(cat "$n.out" 2>/dev/null) <(printf '%s' "$output" | awk 1)
	done
}

@test "interpolation: the compose specification's forms, the environment over .env; an unset variable is a warning and empty" {
	cd "$FIX/interp"
	run --separate-stderr env -i PATH="$PATH" FROM_ENV=shell BOTH=from-shell "$BERTH" compose-check spec.yaml
	assert_success
	diff -u spec.json <(printf '%s\n' "$output")
	diff -u spec.warn <(printf '%s' "$stderr" | awk 1)
}

@test "interpolation: a required variable unset or empty, and a '$' that starts none, are errors naming file:line and key, not the value" {
	cd "$FIX/interp"
	run --separate-stderr env -i PATH="$PATH" "$BERTH" compose-check required.yaml
	assert_failure 1
	diff -u required.err <(printf '%s\n' "$stderr")
	assert_output ''
	[[ $stderr != *costs* ]]
}

@test "interpolation: docs/CONTAINERS.md's example gives what it says" {
	sed -n '/checks this interpolation example/,/^```$/p' "$TOP/docs/CONTAINERS.md" | sed '1,2d;$d' >"$T/app.yaml"
	grep -q '^image:' "$T/app.yaml"
	printf 'TAG=1.36\n' >"$T/.env"
	run --separate-stderr env -i PATH="$PATH" "$BERTH" compose-check "$T/app.yaml"
	assert_success
	[ "$(jq -r .image <<<"$output")" = busybox:1.36 ]
	[ "$(jq -r '.environment[0]' <<<"$output")" = "GREETING=hello" ]
	# shellcheck disable=SC2016 # the container's variables, literally
	[ "$(jq -r '.command[2]' <<<"$output")" = 'echo $GREETING from $HOSTNAME' ]
	assert_equal "$stderr" "$T/app.yaml:4: environment[1]: variable DB_PASSWORD is not set: an empty string"
}

@test "compose-check: a port error names file, line, key path and what was expected" {
	cd "$FIX/bad"
	run --separate-stderr "$BERTH" compose-check ports.yaml
	assert_failure 1
	assert_equal "$stderr" 'ports.yaml:4: ports[1]: "80:eighty": expected [IP:][HOST:]CONTAINER port numbers[/tcp|/udp]'
	assert_output ''
}

@test "compose-check: an unknown key is a warning with file:line, the definition is still used" {
	cd "$FIX/ok"
	run --separate-stderr "$BERTH" compose-check web.yaml
	assert_success
	assert_equal "$stderr" 'web.yaml:29: unknown key "links" (ignored)'
	[[ $output == *'"image": "nginx:1.25"'* ]]
}

@test "compose-check: an error in one file leaves the others usable" {
	cd "$FIX"
	run --separate-stderr "$BERTH" compose-check bad/ports.yaml ok/minimal.yaml
	assert_failure 1
	[[ $output == *'"name": "minimal"'* ]]
	[[ $stderr == *'bad/ports.yaml:4: ports[1]'* ]]
}

@test "compose-check: in a compose file a bad service is dropped, a good one kept" {
	cd "$FIX/bad"
	run --separate-stderr "$BERTH" compose-check mixed.yaml
	assert_failure 1
	assert_equal "$(jq -r .name <<<"$output")" good
	[[ $stderr == *'mixed.yaml:6: services.bad.cpus: "-1": expected a number of CPUs'* ]]
}

@test "compose-check: environment values never appear in messages" {
	cd "$FIX/bad"
	run --separate-stderr "$BERTH" compose-check errors.yaml
	assert_failure 1
	[[ $stderr == *'environment: "BAD KEY": expected a variable name'* ]]
	[[ $stderr != *secret-value* ]]
}

@test "compose-check: YAML 1.1 booleans and underscores" {
	cd "$T"
	printf 'image: a\nread_only: yes\n' >y.yaml
	run "$BERTH" compose-check y.yaml
	assert_success
	assert_equal "$(jq .read_only <<<"$output")" true
	for v in on On TRUE y true; do
		printf 'image: a\nread_only: %s\n' "$v" >y.yaml
		assert_equal "$("$BERTH" compose-check y.yaml | jq .read_only)" true
	done
	for v in off No FALSE n '"false"'; do
		printf 'image: a\nread_only: %s\n' "$v" >y.yaml
		assert_equal "$("$BERTH" compose-check y.yaml | jq .read_only)" false
	done
	# quoted "yes" is a string, not a boolean
	printf 'image: a\nread_only: "yes"\n' >y.yaml
	run --separate-stderr "$BERTH" compose-check y.yaml
	assert_failure 1
	assert_equal "$stderr" 'y.yaml:2: read_only: "yes": expected true or false'
}

@test "compose-check: lib/yaml-tree.h's YAML 1.1 rules: 0644 is octal, y a boolean, strings keep their text" {
	cd "$T"
	# provision reads cloud-config by the same rules (tests/host/provision.bats)
	printf 'image: a\npids_limit: 0644\nread_only: y\nenvironment: {MODE: 0644, Q: "0644", ANSWER: y}\n' >n.yaml
	run "$BERTH" compose-check n.yaml
	assert_success
	assert_equal "$(jq .pids_limit <<<"$output")" 420
	assert_equal "$(jq .read_only <<<"$output")" true
	assert_equal "$(jq -c .environment <<<"$output")" '["MODE=0644","Q=0644","ANSWER=y"]'
	# a quoted number is compose's decimal string; 08 is no YAML int, so the same
	for v in '644 644' '0x1A4 420' '0b11 3' '1_000 1000' '"0644" 644' '08 8'; do
		printf 'image: a\npids_limit: %s\n' "${v% *}" >n.yaml
		assert_equal "$("$BERTH" compose-check n.yaml | jq .pids_limit)" "${v#* }"
	done
	printf 'image: a\nread_only: N\n' >n.yaml
	assert_equal "$("$BERTH" compose-check n.yaml | jq .read_only)" false
	# base 60 is refused, not read as 90
	printf 'image: a\npids_limit: 1:30\n' >n.yaml
	run --separate-stderr "$BERTH" compose-check n.yaml
	assert_failure 1
	assert_equal "$stderr" 'n.yaml:2: pids_limit: "1:30": expected a number of processes, or -1 for no limit'
}

@test "compose-check: env_file: comments, quotes, CRLF, no expansion; environment wins" {
	cd "$T"
	# shellcheck disable=SC2016 # $HOME must stay unexpanded, here and in the file
	printf '# c\nA=1\r\nB="two words"\nC=$HOME\n\n  # indented\nexport D=4\nA=file\n' >e.env
	printf 'image: a\nenvironment: {A: yaml}\nenv_file: e.env\n' >e.yaml
	run "$BERTH" compose-check e.yaml
	assert_success
	# shellcheck disable=SC2016
	assert_equal "$(jq -c .environment <<<"$output")" '["A=yaml","B=two words","C=$HOME","D=4"]'
	printf 'A=1\n=nokey\n' >e.env
	run --separate-stderr "$BERTH" compose-check e.yaml
	assert_failure 1
	[[ $stderr == *'e.env:2: expected KEY=VALUE with a variable name'* ]]
	[[ $stderr == *'e.yaml:3: env_file: '*'e.env has errors'* ]]
}

@test "compose-check: ports and mem_limit forms" {
	cd "$T"
	cat >p.yaml <<-'EOF'
		image: a
		ports: ["80", "8080:80", "127.0.0.1:8443:443/udp", "[::1]::53/udp", 9000]
		mem_limit: 1.5g
	EOF
	run "$BERTH" compose-check p.yaml
	assert_success
	assert_equal "$(jq -c '[.ports[] | [.host_ip, .host_port, .container_port, .protocol]]' <<<"$output")" \
		'[["",0,80,"tcp"],["",8080,80,"tcp"],["127.0.0.1",8443,443,"udp"],["::1",0,53,"udp"],["",0,9000,"tcp"]]'
	assert_equal "$(jq .mem_limit <<<"$output")" 1610612736
	for bad in '"0:80"' '"70000"' '"1.2.3:80:80"' '"80/sctp"' '"80-90:80-85"' '"8000:80-81"' '"90-80"' \
		'"a:b:c:d"' '":80"'; do
		printf 'image: a\nports: [%s]\n' "$bad" >p.yaml
		run --separate-stderr "$BERTH" compose-check p.yaml
		assert_failure 1
		[[ $stderr == 'p.yaml:2: ports[0]: '*'expected [IP:][HOST:]CONTAINER port numbers'* ]]
	done
}

@test "compose-check: port ranges as Docker has them" {
	cd "$T"
	# port by port; an ephemeral port each; any free one of a host range
	cat >p.yaml <<-'EOF'
		image: a
		ports: ["8000-8002:80-82/udp", "127.0.0.1::90-91", "9000-9010:99", {target: 5, published: "50-59"}]
	EOF
	run "$BERTH" compose-check p.yaml
	assert_success
	assert_equal "$(jq -c '[.ports[] | [.host_ip, .host_port, .host_port_end // 0, .container_port, .protocol]]' <<<"$output")" \
		'[["",8000,0,80,"udp"],["",8001,0,81,"udp"],["",8002,0,82,"udp"],["127.0.0.1",0,0,90,"tcp"],["127.0.0.1",0,0,91,"tcp"],["",9000,9010,99,"tcp"],["",50,59,5,"tcp"]]'
	# 64 ports at most, a range counting each
	printf 'image: a\nports: ["1000-1063:1000-1063"]\n' >p.yaml
	run "$BERTH" compose-check p.yaml
	assert_success
	printf 'image: a\nports: ["80", "1000-1063:1000-1063"]\n' >p.yaml
	run --separate-stderr "$BERTH" compose-check p.yaml
	assert_failure 1
	assert_equal "$stderr" 'p.yaml:2: ports[1]: more than 64 ports (a range counts each of its ports)'
}

@test "compose-check: stop_signal and stop_grace_period" {
	cd "$T"
	for v in SIGUSR1:SIGUSR1 USR1:SIGUSR1 usr1:SIGUSR1 10:SIGUSR1 '"3"':SIGQUIT SIGRTMIN+3:SIGRTMIN+3 \
		RTMAX-1:SIGRTMIN+29 SIGCLD:SIGCHLD 64:SIGRTMIN+30; do
		printf 'image: a\nstop_signal: %s\nstop_grace_period: 1m30s\n' "${v%%:*}" >s.yaml
		run "$BERTH" compose-check s.yaml
		assert_success
		assert_equal "$(jq -r '.stop_signal + " " + (.stop_grace_period_ms | tostring)' <<<"$output")" "${v#*:} 90000"
	done
	printf 'image: a\n' >s.yaml
	assert_equal "$("$BERTH" compose-check s.yaml | jq -c '[.stop_signal, .stop_grace_period_ms]')" '[null,-1]'
	for bad in SIGFOO 0 65 SIG RTMIN+31 '""' '[TERM]'; do
		printf 'image: a\nstop_signal: %s\n' "$bad" >s.yaml
		run --separate-stderr "$BERTH" compose-check s.yaml
		assert_failure 1
		[[ $stderr == 's.yaml:2: stop_signal: '*': expected a signal like SIGTERM, USR1 or a number 1-64' ]]
	done
	for bad in 10 ten 1x -5s '""'; do
		printf 'image: a\n\nstop_grace_period: %s\n' "$bad" >s.yaml
		run --separate-stderr "$BERTH" compose-check s.yaml
		assert_failure 1
		[[ $stderr == 's.yaml:3: stop_grace_period: '*': expected a duration like 30s, 1m30s or 500ms' ]]
	done
}

@test "compose-check: a billion-laughs document is refused quickly" {
	cd "$FIX/bad"
	start=$(date +%s%N)
	run --separate-stderr timeout 5 "$BERTH" compose-check bomb.yaml
	end=$(date +%s%N)
	assert_failure 1
	assert_equal "$stderr" 'bomb.yaml:5: more than 32 aliases (refusing a YAML bomb)'
	((end - start < 1000000000))
}

@test "compose-check: a few aliases and merge keys are fine" {
	cd "$FIX/ok"
	run "$BERTH" compose-check stack.yaml
	assert_success
	assert_equal "$(jq -rs '.[] | .name + " " + .restart + " " + (.mem_limit|tostring)' <<<"$output")" \
		"app unless-stopped 1073741824
db unless-stopped 2147483648"
}

@test "compose-check: a file over 1 MiB is refused" {
	cd "$T"
	{
		echo 'image: a'
		echo 'x-pad: |'
		head -c 1100000 /dev/zero | tr '\0' 'a' | fold -w 100 | sed 's/^/  /'
	} >big.yaml
	run --separate-stderr "$BERTH" compose-check big.yaml
	assert_failure 1
	assert_equal "$stderr" 'big.yaml: expected a regular file of at most 1048576 bytes'
}

@test "compose-check: no argument is a usage error" {
	run "$BERTH" compose-check
	assert_failure 100
}

# ---- the spec ----

spec() {
	"$BERTH" spec --rootfs "$FIX/spec/rootfs" "$@"
}

@test "spec: matches the golden config.json" {
	cd "$FIX/spec"
	run --separate-stderr spec --definition app.yaml --image-config image.json \
		--resolv /run/berth/app/resolv.conf --hosts /run/berth/app/hosts \
		--hostname-file /run/berth/app/hostname
	assert_success
	diff -u app.json <(printf '%s\n' "$output" | sed "s|$FIX/spec|@DIR@|g")
}

@test "spec: args follow Docker's entrypoint/command rules" {
	cd "$T"
	img=$FIX/spec/image.json
	printf 'image: a\n' >d.yaml
	assert_equal "$(spec --definition d.yaml --image-config "$img" | jq -c .process.args)" '["/entry.sh","serve"]'
	printf 'image: a\ncommand: x y\n' >d.yaml
	assert_equal "$(spec --definition d.yaml --image-config "$img" | jq -c .process.args)" '["/entry.sh","x","y"]'
	# a definition's entrypoint drops the image's Cmd
	printf 'image: a\nentrypoint: ["/bin/sh", "-c"]\n' >d.yaml
	assert_equal "$(spec --definition d.yaml --image-config "$img" | jq -c .process.args)" '["/bin/sh","-c"]'
	printf 'image: a\nentrypoint: ""\ncommand: [ls]\n' >d.yaml
	assert_equal "$(spec --definition d.yaml --image-config "$img" | jq -c .process.args)" '["ls"]'
	printf 'image: a\n' >d.yaml
	run --separate-stderr spec --definition d.yaml
	assert_failure 1
	[[ $stderr == *'d: no command'* ]]
}

@test "spec: env is the image's overlaid by env_file then environment; cwd" {
	cd "$FIX/spec"
	run spec --definition app.yaml --image-config image.json
	assert_success
	assert_equal "$(jq -c .process.env <<<"$output")" '["PATH=/usr/bin:/bin","FOO=def","KEEP=1","BAR=file","HOSTNAME=app"]'
	assert_equal "$(jq -r .process.cwd <<<"$output")" /app
	cd "$T"
	printf 'image: a\ncommand: [x]\nworking_dir: /w\n' >d.yaml
	run spec --definition d.yaml
	assert_equal "$(jq -r .process.cwd <<<"$output")" /w
	assert_equal "$(jq -c .process.env <<<"$output")" \
		'["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOSTNAME=d"]'
}

user_of() {
	set -o pipefail
	printf 'image: a\ncommand: [x]\nuser: "%s"\n' "$1" >"$T/u.yaml"
	spec --definition "$T/u.yaml" | jq -c .process.user
}

@test "spec: users and groups resolve from the rootfs's passwd and group" {
	assert_equal "$(user_of app)" '{"uid":1000,"gid":1000,"additionalGids":[10,29]}'
	assert_equal "$(user_of 1000)" '{"uid":1000,"gid":1000,"additionalGids":[10,29]}'
	assert_equal "$(user_of svc)" '{"uid":200,"gid":300,"additionalGids":[29]}'
	assert_equal "$(user_of svc:staff)" '{"uid":200,"gid":50,"additionalGids":[29]}'
	assert_equal "$(user_of app:7)" '{"uid":1000,"gid":7,"additionalGids":[10,29]}'
	assert_equal "$(user_of 4242)" '{"uid":4242,"gid":0}'
	assert_equal "$(user_of 4242:4243)" '{"uid":4242,"gid":4243}'
	# the image's User when the definition has none
	printf 'image: a\n' >"$T/u.yaml"
	assert_equal "$(spec --definition "$T/u.yaml" --image-config "$FIX/spec/image.json" | jq -c .process.user.uid)" 1000
	run --separate-stderr user_of nobody
	assert_failure
	[[ $stderr == *'user "nobody" not found in the image'"'"'s /etc/passwd'* ]]
	run --separate-stderr user_of app:nogroup
	assert_failure
	[[ $stderr == *'group "nogroup" not found'* ]]
}

@test "spec: a rootfs whose /etc/passwd or /etc is a symlink out of it is refused" {
	mkdir -p "$T/r1/etc" "$T/r2"
	ln -s /etc/shadow "$T/r1/etc/passwd"
	ln -s /etc "$T/r2/etc"
	printf 'image: a\ncommand: [x]\nuser: root\n' >"$T/d.yaml"
	for r in r1 r2; do
		run --separate-stderr "$BERTH" spec --definition "$T/d.yaml" --rootfs "$T/$r"
		assert_failure 1
		[[ $stderr == *'/etc/passwd in the image: '*'(a symlink: refused)'* ]]
		assert_output ''
	done
	# numeric users too: the file is never read through the link
	printf 'image: a\ncommand: [x]\nuser: "0"\n' >"$T/d.yaml"
	run --separate-stderr "$BERTH" spec --definition "$T/d.yaml" --rootfs "$T/r1"
	assert_failure 1
}

caps_of() {
	printf 'image: a\ncommand: [x]\n%s\n' "$1" >"$T/c.yaml"
	spec --definition "$T/c.yaml" | jq -r '.process.capabilities.bounding | map(sub("CAP_"; "")) | join(" ")'
}

@test "spec: capabilities are Docker's defaults adjusted by cap_add and cap_drop" {
	assert_equal "$(caps_of '')" \
		'CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP'
	assert_equal "$(caps_of 'cap_add: [NET_ADMIN]
cap_drop: [CAP_NET_RAW, mknod]')" \
		'CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_ADMIN SYS_CHROOT AUDIT_WRITE SETFCAP'
	assert_equal "$(caps_of 'cap_drop: [ALL]
cap_add: [NET_BIND_SERVICE, CHOWN]')" 'CHOWN NET_BIND_SERVICE'
	assert_equal "$(caps_of 'cap_add: [ALL]
cap_drop: [SYS_ADMIN]' | wc -w)" 40
	run caps_of 'cap_drop: [ALL]'
	assert_output ''
	# effective and permitted follow bounding; nothing inheritable or ambient
	printf 'image: a\ncommand: [x]\n' >"$T/c.yaml"
	run spec --definition "$T/c.yaml"
	assert_equal "$(jq -c '.process.capabilities | [.bounding == .effective, .bounding == .permitted, .inheritable, .ambient]' <<<"$output")" '[true,true,[],[]]'
}

@test "spec: hardened defaults, namespaces, mounts, resources, cgroup path" {
	printf 'image: a\ncommand: [x]\nread_only: true\nmem_limit: 64m\ncpus: 0.25\npids_limit: -1\n' >"$T/h.yaml"
	run spec --definition "$T/h.yaml"
	assert_success
	j=$output
	assert_equal "$(jq .process.noNewPrivileges <<<"$j")" true
	assert_equal "$(jq .root.readonly <<<"$j")" true
	assert_equal "$(jq -r .hostname <<<"$j")" h
	assert_equal "$(jq -r .linux.cgroupsPath <<<"$j")" berth/h
	assert_equal "$(jq -c '[.linux.namespaces[].type]' <<<"$j")" '["pid","mount","uts","ipc","network","cgroup"]'
	assert_equal "$(jq -c '[.mounts[].destination]' <<<"$j")" '["/proc","/dev","/dev/pts","/dev/shm","/dev/mqueue","/sys","/sys/fs/cgroup"]'
	assert_equal "$(jq -c '[.mounts[] | select(.destination == "/sys" or .destination == "/sys/fs/cgroup") | .options | index("ro") != null]' <<<"$j")" '[true,true]'
	assert_equal "$(jq -c '.linux.resources | [.memory.limit, .cpu.quota, .cpu.period, .pids.limit]' <<<"$j")" '[67108864,25000,100000,-1]'
	assert_equal "$(jq -r '.linux.maskedPaths | index("/proc/kcore") != null' <<<"$j")" true
	assert_equal "$(jq -r '.linux.readonlyPaths | index("/proc/sys") != null' <<<"$j")" true
	assert_equal "$(jq -r .linux.seccomp.defaultAction <<<"$j")" SCMP_ACT_ALLOW
	assert_equal "$(jq -r '[.linux.seccomp.syscalls[].names[]] | (index("kexec_load") != null) and (index("mount") != null) and (index("init_module") != null)' <<<"$j")" true
}

@test "spec: network_mode host drops the network namespace; CAP_SYS_ADMIN lifts the mount denial" {
	printf 'image: a\ncommand: [x]\nnetwork_mode: host\ncap_add: [SYS_ADMIN]\n' >"$T/n.yaml"
	run spec --definition "$T/n.yaml"
	assert_success
	assert_equal "$(jq -c '[.linux.namespaces[].type]' <<<"$output")" '["pid","mount","uts","ipc","cgroup"]'
	assert_equal "$(jq -r '.linux.sysctl // "none"' <<<"$output")" none
	assert_equal "$(jq -r '[.linux.seccomp.syscalls[].names[]] | index("mount") == null and index("kexec_load") != null' <<<"$output")" true
}

# ---- crun runs the generated config ----

# a rootfs of static busybox with a passwd and group
make_rootfs() {
	local r=$1 a
	mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp"
	cp "$OUT/rootfs-bin/busybox" "$r/bin/busybox"
	for a in sh id cat grep hostname touch unshare echo true mount ls; do
		ln -sf busybox "$r/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\napp:x:1000:\nwheel:x:10:app\n' >"$r/etc/group"
}

# crun_run NAME YAML-BODY: generate config.json for NAME and run it with crun;
# the build machine mounts cgroup v2 beside v1 ("hybrid"), which crun
# refuses, so unmount the v2 part in a private mount namespace first
crun_run() {
	local name=$1 b=$T/bundle-$1
	[[ $(id -u) == 0 ]] || skip "crun needs root"
	[[ -x $CRUN ]] || skip "no $CRUN"
	mkdir -p "$b"
	make_rootfs "$b/rootfs"
	printf 'search example\nnameserver 192.0.2.53\n' >"$b/resolv.conf"
	printf '%s\n' "$2" >"$b/$name.yaml"
	"$BERTH" spec --definition "$b/$name.yaml" --rootfs "$b/rootfs" --resolv "$b/resolv.conf" \
		>"$b/config.json" || return 1
	# shellcheck disable=SC2016 # expanded by the inner sh
	timeout 30 unshare -m sh -c '
		if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified || exit 1; fi
		exec "$1" --root "$2/crun-state" run --bundle "$2" "$3"' sh "$CRUN" "$b" "berth-test-$name-$$"
}

@test "crun: the generated config runs: user, hostname, no_new_privs, seccomp, caps" {
	run crun_run probe 'image: a
user: app
command: ["/bin/sh", "-c", "id; hostname; grep -E \"^(NoNewPrivs|Seccomp|CapBnd|CapEff):\" /proc/self/status; cat /etc/resolv.conf"]'
	assert_success
	assert_line 'uid=1000(app) gid=1000(app) groups=10(wheel)'
	assert_line probe
	assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
	assert_line --regexp '^Seccomp:[[:space:]]+2$'
	# Docker's 14 default capabilities, as a mask, in the bounding set
	assert_line --regexp '^CapBnd:[[:space:]]+00000000a80425fb$'
	# a non-root process keeps none effective
	assert_line --regexp '^CapEff:[[:space:]]+0000000000000000$'
	assert_line 'nameserver 192.0.2.53'
}

@test "crun: a denied syscall fails in the container, and works with CAP_SYS_ADMIN" {
	# unshare(CLONE_NEWUSER) needs no capability: only seccomp stops it
	run crun_run denied 'image: a
command: ["/bin/sh", "-c", "unshare -U true && echo allowed || echo denied"]'
	assert_success
	assert_line denied
	assert_line --partial 'Operation not permitted'
	run crun_run lifted 'image: a
cap_add: [SYS_ADMIN]
command: ["/bin/sh", "-c", "unshare -U true && echo allowed || echo denied"]'
	assert_success
	assert_line allowed
}

@test "crun: read_only makes / read-only, and a writable root stays writable" {
	run crun_run ro 'image: a
read_only: yes
command: ["/bin/sh", "-c", "touch /probe && echo wrote || echo refused"]'
	assert_success
	assert_line refused
	assert_line --partial 'Read-only file system'
	run crun_run rw 'image: a
command: ["/bin/sh", "-c", "touch /probe && echo wrote || echo refused"]'
	assert_success
	assert_line wrote
}

@test "crun: network_mode host shares the host's network namespace" {
	host_ns=$(readlink /proc/self/ns/net)
	run crun_run hostnet 'image: a
network_mode: host
command: ["/bin/sh", "-c", "ls -l /proc/self/ns/net"]'
	assert_success
	assert_output --partial "$host_ns"
	run crun_run ownnet 'image: a
command: ["/bin/sh", "-c", "ls -l /proc/self/ns/net"]'
	assert_success
	refute_output --partial "$host_ns"
}

@test "crun: hostname, namespaced sysctls and ulimits from the definition hold in the container" {
	run crun_run limits 'image: a
hostname: db-1.example
sysctls:
  net.core.somaxconn: 1024
  kernel.shm_rmid_forced: 1
ulimits:
  nofile: {soft: 2048, hard: 4096}
  nproc: 300
command: ["/bin/sh", "-c", "hostname; cat /proc/sys/net/core/somaxconn /proc/sys/kernel/shm_rmid_forced; grep -E \"^Max (open files|processes) \" /proc/self/limits"]'
	assert_success
	assert_line db-1.example
	assert_line 1024
	assert_line 1
	assert_line --regexp '^Max open files +2048 +4096 +files *$'
	assert_line --regexp '^Max processes +300 +300 +processes *$'
}

@test "crun: tmpfs and shm_size mount as docker's --tmpfs and --shm-size do" {
	run crun_run mounts 'image: a
tmpfs:
  - /run
  - /scratch:size=16m,mode=1770,exec
shm_size: 128m
command: ["/bin/sh", "-c", "grep -E \" /(run|scratch|dev/shm) \" /proc/mounts"]'
	assert_success
	assert_line --regexp '^tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime'
	assert_line --regexp '^tmpfs /scratch tmpfs rw,nosuid,nodev,relatime,size=16384k,mode=1770'
	assert_line --regexp '^shm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=131072k '
}

@test "deploy.resources: limits become the container's, reservations.memory its memory.low; a GPU is refused" {
	printf '%s\n' 'image: a' 'command: ["true"]' 'deploy:' '  replicas: 1' '  resources:' \
		'    limits: {memory: 1.5G, cpus: "0.50", pids: 100}' '    reservations: {memory: 256m, cpus: "0.25"}' \
		'  placement: {constraints: [node.role == manager]}' >"$T/d.yaml"
	run --separate-stderr "$BERTH" compose-check "$T/d.yaml"
	assert_success
	assert_equal "$(jq -c '[.mem_limit, .cpus, .pids_limit, .mem_reservation]' <<<"$output")" '[1610612736,0.5,100,268435456]'
	assert_equal "$stderr" "$T/d.yaml:7: deploy.resources.reservations.cpus: a CPU reservation is a cluster's scheduling hint: not applied
$T/d.yaml:8: deploy.placement: a cluster's deployment setting (swarm): not applied"
	run --separate-stderr spec --definition "$T/d.yaml" --image-config "$FIX/spec/image.json"
	assert_success
	assert_equal "$(jq -c '.linux.resources.memory' <<<"$output")" '{"limit":1610612736,"reservation":268435456}'
	printf '%s\n' 'image: a' 'deploy:' '  replicas: 3' >"$T/r.yaml"
	run --separate-stderr "$BERTH" compose-check "$T/r.yaml"
	assert_failure 1
	assert_equal "$stderr" "$T/r.yaml:3: deploy.replicas: \"3\": a definition is one container: replicas: 1"
	printf '%s\n' 'image: a' 'deploy:' '  resources:' '    reservations:' '      devices: [{capabilities: [gpu]}]' >"$T/g.yaml"
	run --separate-stderr "$BERTH" compose-check "$T/g.yaml"
	assert_failure 1
	assert_equal "$stderr" "$T/g.yaml:5: deploy.resources.reservations.devices: device reservations (GPUs and others) are not supported: the container would run without them"
}

@test "crun: pid: host and ipc: host share the host's namespaces; another container's is refused" {
	host_pid=$(readlink /proc/self/ns/pid) host_ipc=$(readlink /proc/self/ns/ipc)
	run crun_run hostns 'image: a
pid: host
ipc: host
command: ["/bin/sh", "-c", "ls -l /proc/self/ns/pid /proc/self/ns/ipc"]'
	assert_success
	assert_output --partial "$host_pid"
	assert_output --partial "$host_ipc"
	run crun_run ownns 'image: a
ipc: private
command: ["/bin/sh", "-c", "ls -l /proc/self/ns/pid /proc/self/ns/ipc"]'
	assert_success
	refute_output --partial "$host_pid"
	refute_output --partial "$host_ipc"
	printf '%s\n' 'image: a' 'pid: "service:db"' >"$T/p.yaml"
	run --separate-stderr "$BERTH" compose-check "$T/p.yaml"
	assert_failure 1
	assert_equal "$stderr" "$T/p.yaml:2: pid: \"service:db\": sharing another container's namespace is not supported"
}

# ---- the fuzz target ----

@test "fuzz target for the compose parser: the fixtures reach the end (libFuzzer: tests/host-slow)" {
	load ../lib/fuzz
	main=$(fuzz_main compose)
	compose_seeds "$T/seeds"
	cd "$T/seeds"
	run --separate-stderr "$main" minimal.yaml stack.yaml web.yaml yaml11.yaml mixed.yaml bomb.yaml \
		deep.yaml syntax.yaml noimage.yaml
	assert_success
	assert_output "minimal.yaml: parsed
stack.yaml: parsed
web.yaml: parsed
yaml11.yaml: parsed
mixed.yaml: parsed in part
bomb.yaml: refused
deep.yaml: refused
syntax.yaml: refused
noimage.yaml: refused"
}

# ---- projects: berth compose config against the compose specification's examples ----

# in a copy of the project fixtures, paths in the output as DIR
project_config() {
	cp -r "$FIX/project" "$T/p"
	cd "$T/p/$1" || return 1
	shift
	run --separate-stderr "$BERTH" compose "$@"
	output=${output//$T\/p/DIR}
	stderr=${stderr//$T\/p/DIR}
}

@test "compose config: merge rules: maps merge, lists append, command replaced, ports and volumes unique, healthcheck.test replaced, !reset, !override" {
	project_config merge -f compose.yaml -f override.yaml config
	assert_success
	diff -u "$FIX/project/merge.out" <(printf '%s\n' "$output")
	diff -u "$FIX/project/merge.warn" <(printf '%s\n' "$stderr")
}

@test "compose config: extends from another file and from the same file; include with its own directory and .env; anchors and merge keys" {
	for p in extends include fragments; do
		project_config "$p" config
		assert_success
		assert_equal "$stderr" ""
		diff -u "$FIX/project/$p.out" <(printf '%s\n' "$output")
		cd "$TOP"
		rm -rf "$T/p"
	done
}

@test "compose config: profiles: services without one, --profile and COMPOSE_PROFILES, what an active one depends on" {
	project_config profiles config --services
	assert_success
	assert_output web
	run "$BERTH" compose --profile test config --services
	assert_output "$(printf 'web\ntest_lib\ncoverage_lib')"
	# debug_lib depends on test_lib, which comes with it
	COMPOSE_PROFILES=debug run "$BERTH" compose config --services
	assert_output "$(printf 'web\ntest_lib\ndebug_lib')"
	run "$BERTH" compose --profile '*' config --services
	assert_equal "${#lines[@]}" 4
}

@test "compose config: a depends_on cycle, an unknown service, undeclared volumes and secrets, an include's conflict, a bad name, an extends cycle, a volume name that climbs, a shared container_name, driver_opts: file:line and key path, exit 1" {
	for p in cycle undeclared include-conflict name extends-loop resources; do
		project_config "bad/$p" config
		assert_failure 1
		assert_equal "$output" ""
		diff -u "$FIX/project/bad/$p.err" <(printf '%s\n' "$stderr")
		cd "$TOP"
		rm -rf "$T/p"
	done
}

@test "compose config: the project name from -p, COMPOSE_PROJECT_NAME, name: and the directory; the variables from --env-file over .env, the environment over both" {
	mkdir -p "$T/My Proj"
	cd "$T/My Proj"
	# shellcheck disable=SC2016 # for compose to interpolate
	printf 'services:\n  web:\n    image: busybox:${TAG}\n    environment: ["A=${A}"]\n' >compose.yaml
	printf 'TAG=env-file\nA=dot\n' >.env
	printf 'TAG=other\n' >other.env
	run "$BERTH" compose config
	assert_success
	assert_line "name: myproj"
	assert_line "    image: busybox:env-file"
	assert_line "      A: dot"
	run "$BERTH" compose --env-file other.env -p p1 config
	assert_line "name: p1"
	assert_line "    image: busybox:other"
	TAG=shell COMPOSE_PROJECT_NAME=p2 run "$BERTH" compose config
	assert_line "name: p2"
	assert_line "    image: busybox:shell"
	# COMPOSE_PROJECT_NAME and COMPOSE_PROFILES may be in .env too
	printf 'COMPOSE_PROJECT_NAME=fromdot\n' >>.env
	run "$BERTH" compose config
	assert_line "name: fromdot"
	printf 'TAG=env-file\nA=dot\n' >.env
	printf 'name: p3\n' >>compose.yaml
	run "$BERTH" compose config
	assert_line "name: p3"
	run "$BERTH" compose -p p4 config
	assert_line "name: p4"
	run "$BERTH" compose -p Bad config
	assert_failure 1
	assert_output --partial 'project name "Bad": expected lowercase letters'
	# -f names the files; none at all is one line naming the directory
	cd "$T"
	run "$BERTH" compose config
	assert_failure 1
	assert_output --partial "no compose file in $T"
}

@test "docs/COMPOSE.md: the example project reads as it says: anchors, the required variable, the services in order" {
	mkdir -p "$T/shop"
	cd "$T/shop"
	sed -n '/^<!-- example: compose.yaml/,/^```$/p' "$TOP/docs/COMPOSE.md" | sed '1,2d;$d' >compose.yaml
	[ -s compose.yaml ]
	printf 'tok\n' >token.txt
	run --separate-stderr "$BERTH" compose config
	assert_failure 1
	assert_equal "$stderr" "$(printf '%s\n' "$T/shop/compose.yaml:22: services.db.environment.POSTGRES_PASSWORD: required variable DB_PASSWORD is not set: set DB_PASSWORD in .env" \
		"berth compose: the project has errors (above): nothing was done")"
	printf 'DB_PASSWORD=pw\n' >.env
	run --separate-stderr "$BERTH" compose config
	assert_success
	assert_equal "$stderr" ""
	assert_line "name: shop"
	assert_line "    image: registry.example/shop/api:latest"
	assert_line "      POSTGRES_PASSWORD: pw"
	assert_line "    restart: unless-stopped"
	assert_line "    file: $T/shop/token.txt"
	run "$BERTH" compose config --services
	assert_output "$(printf 'web\napi\ndb')"
}

@test "compose config: an anchor inside a merge key's mapping stays usable; environment KEY: with no value comes from the environment or .env, or is left out with a warning" {
	mkdir -p "$T/m"
	cd "$T/m"
	printf 'x-a: {<<: &inner {A: "1"}}\nservices:\n  web:\n    image: busybox\n    labels: *inner\n    environment:\n      FROM_ENV:\n      FROM_DOT:\n      NOWHERE:\n' >compose.yaml
	printf 'FROM_DOT=dot\n' >.env
	FROM_ENV=shell run --separate-stderr "$BERTH" compose config
	assert_success
	assert_line '      A: "1"'
	assert_line '      FROM_ENV: shell'
	assert_line '      FROM_DOT: dot'
	refute_output --partial NOWHERE
	assert_equal "$stderr" "$T/m/compose.yaml:9: environment.NOWHERE: not set in the environment or .env: left out"
}
