#!/usr/bin/env bats
# provision/: cloud-init compatible first boot, applied to a fixture root
# (a copy of rootfs/etc) from a NoCloud seed directory, a real cloud-localds
# image (label probing), and a stand-in EC2 IMDSv2 server. The root, the
# seed and the paths are tests/lib/provision.bash's. The datasources over
# HTTP with only lo up, through the temporary DHCP network (netcfg
# --ephemeral), are tested in tests/host-slow/dhcp.bats.
# shellcheck disable=SC2119,SC2120 # prov passes on whatever arguments it gets
# shellcheck disable=SC2030,SC2031 # bats' run sets output in each test's subshell

setup_file() {
	load ../lib/common
	# the build keeps each compile's warnings beside its output (Makefile:
	# KEEP_WARNINGS); the test reads provision's and lib/'s
	berth_make "$OUT/bin/provision"
	berth_make "$OUT/bin/berth"
	demo_image "$BATS_FILE_TMPDIR/demo.tar"
}

# demo_image FILE: an oci-archive of demo:latest: out/demo.tar (`make demo`),
# else a one-file image made here with umoci and skopeo
demo_image() {
	local d=$BATS_FILE_TMPDIR/mkdemo
	if [ -f "$OUT/demo.tar" ]; then
		cp "$OUT/demo.tar" "$1"
		return
	fi
	umoci init --layout "$d/oci"
	umoci new --image "$d/oci:latest"
	umoci unpack --image "$d/oci:latest" "$d/bundle" >/dev/null
	echo hello >"$d/bundle/rootfs/hello"
	umoci repack --image "$d/oci:latest" "$d/bundle" >/dev/null
	skopeo copy -q "oci:$d/oci:latest" "oci-archive:$1:demo:latest"
}

setup() {
	load ../lib/common
	load ../lib/provision
	provision_setup
	IMDS_PID=
	LOOP=
	RUN_BERTH_MADE=
}

teardown() {
	if [ -n "$IMDS_PID" ]; then kill_running "$IMDS_PID"; fi
	if [ -n "$LOOP" ]; then losetup -d "$LOOP"; fi
	if [ -n "$RUN_BERTH_MADE" ]; then rmdir /run/berth 2>/dev/null; fi
	return 0
}

ud() { # ud: user-data from stdin
	cat >"$S/user-data"
}

prov() { # prov [ARGS]: run provision on the fixture root and seed
	run "$P" --root "$R" --seed "$S" --cmdline "" "$@"
}

mode_of() { stat -c '%a %U %G' "$1"; }

# serve_t: python3's HTTP server on $T (the seed is $T/seed, so a URL ends in
# /seed), its log in $T/http.log, its port in $port; teardown stops it
serve_t() {
	local line
	coproc HTTP { exec python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T" 2>"$T/http.log"; }
	IMDS_PID=$HTTP_PID
	read -r line <&"${HTTP[0]}"
	port=$(sed -E 's/.* port ([0-9]+) .*/\1/' <<<"$line")
}

need_berth() {
	[ -x "$OUT/bin/berth" ] || skip "no $OUT/bin/berth (make progs)"
}

# images_in STORE: NAME:TAG of every image `berth images` lists
images_in() {
	BERTH_ROOT=$1 "$OUT/bin/berth" images | awk 'NR > 1 { print $1 ":" $2 }' | sort
}

# berth_logged: a berth that notes each call in $MARKS, then is the real one
berth_logged() {
	cat >"$T/berth" <<-EOF
		#!/bin/sh
		echo "berth \$*" >>"\$MARKS"
		exec "$OUT/bin/berth" "\$@"
	EOF
	chmod 755 "$T/berth"
	export BERTH_PROVISION_BERTH=$T/berth
}

@test "provision builds without warnings and is static" {
	run cat "$OUT/obj/provision.warn" "$OUT"/obj/lib/*.o.warn
	assert_success
	assert_output ''
	run readelf -lW "$P"
	refute_output --partial INTERP
}

@test "hostname, fqdn and the 127.0.1.1 line; ntp, timezone, containers" {
	ud <<'EOF'
#cloud-config
hostname: web1
fqdn: web1.example.com
ntp:
  enabled: true
  servers: [0.pool.ntp.org, 10.0.0.1]
  pools: [pool.example.org]
timezone: Europe/Berlin
berth:
  containers:
    web:
      image: nginx:1
      ports: ["8080:80"]
      environment: {MODE: "0644", DEBUG: yes}
EOF
	prov
	assert_success
	assert_line 'provision: datasource nocloud (instance-id i-123)'
	assert_line 'provision: hostname: ok'
	assert_line 'provision: ntp: ok'
	assert_equal "$(cat "$R/etc/hostname")" web1
	run grep '^127.0.1.1' "$R/etc/hosts"
	assert_output "$(printf '127.0.1.1\tweb1.example.com web1')"
	run grep -c localhost "$R/etc/hosts"
	assert_output 2
	run grep -v '^#' "$R/etc/ntp.servers"
	assert_output "$(printf '0.pool.ntp.org\n10.0.0.1\npool.example.org')"
	assert_equal "$(cat "$R/etc/timezone")" Europe/Berlin
	run grep "export TZ='Europe/Berlin'" "$R/etc/profile.d/timezone.sh"
	assert_success
	run cat "$R/etc/berth/containers/web.yaml"
	assert_line 'image: nginx:1'
	assert_line '  MODE: "0644"'
	assert_line '  DEBUG: yes'
	assert_line '- "8080:80"'
}

@test "the hostname comes from meta-data when user-data has none; a bad one is an error" {
	ud <<<'#cloud-config'
	prov
	assert_equal "$(cat "$R/etc/hostname")" node1
	printf 'instance-id: i-124\nlocal-hostname: bad_host!\n' >"$S/meta-data"
	prov
	assert_success
	assert_line --partial 'not a valid host name'
	assert_line 'provision: hostname: error'
	assert_equal "$(cat "$R/etc/hostname")" node1
}

@test "ntp.enabled false leaves no servers; a bad timezone is refused" {
	ud <<'EOF'
#cloud-config
ntp: {enabled: false, servers: [a.example.com]}
timezone: ../../etc/passwd
EOF
	prov
	assert_success
	assert_line 'provision: user-data:3: timezone: "../../etc/passwd": not a valid time zone name'
	assert_equal "$(grep -v '^#' "$R/etc/ntp.servers")" ''
	[ ! -e "$R/etc/timezone" ]
}

@test "users: a bad entry fails only itself, with file:line and key path; others are applied" {
	ud <<'EOF'
#cloud-config
users:
  - default
  - name: alice
    gecos: Alice A
    groups: [wheel, docker]
    sudo: ALL=(ALL) NOPASSWD:ALL
    shell: /bin/sh
    ssh_authorized_keys:
      - ssh-ed25519 AAAAKEYALICE alice@x
  - name: Bad Name
    groups: wheel
  - name: bob
    uid: 2001
    lock_passwd: no
    hashed_passwd: $6$salt$BOBHASHVALUE
  - name: svc
    system: true
EOF
	prov
	assert_success
	assert_line 'provision: user-data:11: users[2].name: "Bad Name": not a valid user name'
	assert_line 'provision: users: error'
	run grep -E '^(alice|bob|svc):' "$R/etc/passwd"
	assert_line 'alice:x:1000:1000:Alice A:/home/alice:/bin/sh'
	assert_line 'bob:x:2001:2001::/home/bob:/bin/sh'
	assert_line --regexp '^svc:x:[1-9][0-9][0-9]:'
	run grep -c 'Bad' "$R/etc/passwd"
	assert_output 0
	run grep -E '^(wheel|docker):' "$R/etc/group"
	assert_line 'wheel:x:10:alice'
	assert_line --regexp '^docker:x:[0-9]+:alice$'
	run grep -E '^(alice|bob|root):' "$R/etc/shadow"
	assert_line 'root:!:1::::::'
	assert_line 'alice:!:1::::::'
	# shellcheck disable=SC2016 # a crypt hash, not an expansion
	assert_line 'bob:$6$salt$BOBHASHVALUE:1::::::'
	assert_equal "$(mode_of "$R/etc/shadow")" '600 root root'
	assert_equal "$(mode_of "$R/etc/passwd")" '644 root root'
	run cat "$R/etc/doas.conf"
	assert_line 'permit nopass alice'
	assert_equal "$(mode_of "$R/etc/doas.conf")" '400 root root'
	[ ! -e "$R/etc/sudoers.d" ]
}

@test "sudo rules become doas.conf rules; one without an exact equivalent fails only its user" {
	ud <<'EOF'
#cloud-config
users:
  - name: alice
    sudo: ALL=(ALL) NOPASSWD:ALL
  - name: bob
    sudo: ["ALL=(ALL:ALL) ALL", "ALL=(root) NOPASSWD: /usr/bin/sv restart sshd, /bin/dmesg"]
  - name: carol
    sudo: ALL=(ALL) NOPASSWD:/bin/*
  - name: dave
    sudo: ALL=(postgres) /usr/bin/psql
    doas: [permit nopass dave as root cmd /sbin/reboot]
  - name: erin
    doas: permit nopass alice
  - name: frank
    sudo: false
  - name: gina
    sudo: ALL=(:wheel) ALL
EOF
	prov
	assert_success
	assert_line 'provision: user-data:8: users[2].sudo: "ALL=(ALL) NOPASSWD:/bin/*": no exact doas.conf rule for it (expected ALL=[(ALL|USER)] [NOPASSWD:]ALL or absolute commands)'
	assert_line --partial 'user-data:17: users[6].sudo: "ALL=(:wheel) ALL": no exact doas.conf rule'
	assert_line 'provision: user-data:13: users[4].doas: "permit nopass alice": expected permit|deny [nopass|persist|keepenv|nolog] erin [as USER] [cmd /PATH [args ...]]'
	run grep -v '^#' "$R/etc/doas.conf"
	assert_output "$(cat <<'EOF'
permit nopass alice
permit persist bob
permit nopass bob as root cmd /usr/bin/sv args restart sshd
permit nopass bob as root cmd /bin/dmesg
permit persist dave as postgres cmd /usr/bin/psql
permit nopass dave as root cmd /sbin/reboot
EOF
)"
	run grep -c -E '^(carol|erin|gina):' "$R/etc/passwd"
	assert_output 0
}

@test "authorized_keys: ~/.ssh 0700 and the file 0600, owned by the user, one key per line" {
	ud <<'EOF'
#cloud-config
users:
  - name: alice
    ssh_authorized_keys: [ssh-ed25519 AAAAKEY1 a@x, ssh-rsa AAAAKEY2 b@x]
ssh_authorized_keys:
  - ssh-ed25519 AAAAROOTKEY root@x
EOF
	printf 'instance-id: i-123\npublic-keys:\n  - ssh-ed25519 AAAAMETAKEY meta@x\n' >"$S/meta-data"
	prov
	assert_success
	assert_equal "$(stat -c '%a %u %g' "$R/home/alice/.ssh")" '700 1000 1000'
	assert_equal "$(stat -c '%a %u %g' "$R/home/alice/.ssh/authorized_keys")" '600 1000 1000'
	assert_equal "$(stat -c '%a %u %g' "$R/home/alice")" '755 1000 1000'
	run cat "$R/home/alice/.ssh/authorized_keys"
	assert_output "$(printf 'ssh-ed25519 AAAAKEY1 a@x\nssh-rsa AAAAKEY2 b@x')"
	run cat "$R/root/.ssh/authorized_keys"
	assert_output "$(printf 'ssh-ed25519 AAAAROOTKEY root@x\nssh-ed25519 AAAAMETAKEY meta@x')"
	assert_equal "$(stat -c '%a %u' "$R/root/.ssh/authorized_keys")" '600 0'
}

@test "passwords: plain_text_passwd is refused with a warning; a non-hash passwd fails the user" {
	ud <<'EOF'
#cloud-config
users:
  - name: carol
    plain_text_passwd: hunter2secret
  - name: dave
    passwd: notahashsecret
EOF
	prov
	assert_success
	assert_line --partial 'users[0].plain_text_passwd: plain-text passwords are refused'
	assert_line 'provision: user-data:6: users[1].passwd: not a crypt(3) hash (plain-text passwords are refused)'
	run grep '^carol:!:' "$R/etc/shadow"
	assert_success
	run grep -c '^dave:' "$R/etc/passwd"
	assert_output 0
	refute_output --partial hunter2secret
	run grep -r -e hunter2secret -e notahashsecret "$R/etc" "$R/var/lib/berth/provision/status.json"
	assert_failure
}

@test "groups: a list and a map of members" {
	ud <<'EOF'
#cloud-config
users:
  - name: alice
groups:
  - admins: [daemon, alice]
  - plain
  - "bad group"
EOF
	prov
	assert_success
	# groups run before users, as in cloud-init: members must exist already
	assert_line 'provision: warning: user-data:5: groups[0]: member alice does not exist, skipped'
	assert_line --partial 'groups[2]: "bad group": not a valid group name'
	run grep -E '^(admins|plain):' "$R/etc/group"
	assert_line --regexp '^admins:x:[0-9]+:daemon$'
	assert_line --regexp '^plain:x:[0-9]+:$'
}

@test "write_files: YAML 1.1 octal permissions, every encoding, owner, append, defer" {
	gz=$(printf 'gzipped\n' | gzip -c | base64 -w0)
	printf 'old\n' >"$R/etc/motd"
	ud <<EOF
#cloud-config
users:
  - name: alice
write_files:
  - path: /etc/plain.conf
    content: hello
    permissions: 0640
  - path: /etc/quoted.conf
    content: q
    permissions: '0600'
  - path: /etc/decimal.conf
    content: d
    permissions: 644
  - path: /etc/b64.txt
    encoding: b64
    content: aGVsbG8gYjY0Cg==
  - path: /etc/base64.txt
    encoding: base64
    content: aGVsbG8gYjY0Cg==
  - path: /etc/gz.txt
    encoding: gzip
    content: !!binary |
      $gz
  - path: /etc/gzb64.txt
    encoding: gz+b64
    content: $gz
  - path: /etc/motd
    content: "new\n"
    append: true
  - path: /etc/alice.conf
    content: mine
    owner: alice:wheel
    permissions: 0600
    defer: true
  - path: /etc/early.conf
    content: early
    owner: alice:alice
EOF
	prov
	assert_success
	assert_equal "$(mode_of "$R/etc/plain.conf")" '640 root root'
	assert_equal "$(cat "$R/etc/plain.conf")" hello
	assert_equal "$(stat -c %a "$R/etc/quoted.conf")" 600
	# YAML 1.1: 644 without a leading 0 is decimal 644 = 0o1204, as in cloud-init
	assert_equal "$(stat -c %a "$R/etc/decimal.conf")" 1204
	assert_equal "$(cat "$R/etc/b64.txt")" 'hello b64'
	assert_equal "$(cat "$R/etc/base64.txt")" 'hello b64'
	assert_equal "$(cat "$R/etc/gz.txt")" gzipped
	assert_equal "$(cat "$R/etc/gzb64.txt")" gzipped
	assert_equal "$(cat "$R/etc/motd")" "$(printf 'old\nnew')"
	assert_equal "$(stat -c '%a %u %g' "$R/etc/alice.conf")" '600 1000 10'
	assert_equal "$(stat -c '%a' "$R/etc/plain.conf")" 640
	# not deferred: written before users exist, so its owner is unknown
	assert_line --partial 'write_files[9].owner: "alice:alice": no such user or group'
	[ ! -e "$R/etc/early.conf" ]
	assert_line 'provision: write_files_deferred: ok'
	run bash -c "ls -a '$R/etc' | grep -c provision"
	assert_output 0
}

# bytes whose base64 is all '+' and '/': the two letters the URL-safe
# alphabet spells '-' and '_'
b64_bytes() { for _ in $(seq 20); do printf '\373\357\276\377\377\377'; done; }

@test "write_files: encoding b64 takes the standard alphabet across lines" {
	b64_bytes >"$T/want"
	[[ $(base64 -w0 <"$T/want") == *+*/* ]]
	{
		printf '#cloud-config\nwrite_files:\n  - path: /etc/std.bin\n    encoding: b64\n    content: |\n'
		base64 -w 60 <"$T/want" | sed 's/^/      /'
	} | ud
	prov
	assert_success
	assert_line 'provision: write_files: ok'
	cmp "$T/want" "$R/etc/std.bin"
}

@test "write_files: encoding b64 refuses the URL-safe alphabet, naming the file" {
	url=$(b64_bytes | base64 -w0 | tr '+/' '-_')
	ud <<EOF
#cloud-config
write_files:
  - path: /etc/url.bin
    encoding: b64
    content: $url
EOF
	prov
	assert_success
	assert_line 'provision: user-data:5: write_files[0].content: /etc/url.bin: not valid base64 (the standard alphabet: A-Z a-z 0-9 + /)'
	assert_line 'provision: write_files: error'
	[ ! -e "$R/etc/url.bin" ]
}

@test "write_files: a symlink on the path is refused and its target untouched; '..' is refused" {
	echo target >"$T/outside"
	ln -s "$T/outside" "$R/etc/link"
	mkdir "$T/outdir"
	ln -s "$T/outdir" "$R/etc/linkdir"
	ud <<'EOF'
#cloud-config
write_files:
  - path: /etc/link
    content: evil
  - path: /etc/linkdir/x
    content: evil
  - path: /etc/../../escape
    content: evil
  - path: relative/path
    content: evil
  - path: /etc/link
    content: evil
    append: true
  - path: /etc/good
    content: good
EOF
	prov
	assert_success
	assert_line 'provision: user-data:3: write_files[0].path: /etc/link: refused: a symlink on the path'
	assert_line 'provision: user-data:5: write_files[1].path: /etc/linkdir/x: refused: a symlink on the path'
	assert_line "provision: user-data:7: write_files[2].path: \"/etc/../../escape\": expected an absolute path without '..'"
	assert_line --partial 'write_files[3].path: "relative/path"'
	assert_line --partial 'write_files[4].path: /etc/link: refused: a symlink'
	assert_equal "$(cat "$T/outside")" target
	[ -L "$R/etc/link" ]
	[ ! -e "$T/outdir/x" ]
	[ ! -e "$T/escape" ]
	assert_equal "$(cat "$R/etc/good")" good
}

@test "an unknown top-level module is one warning line, not a failure" {
	ud <<'EOF'
#cloud-config
frobnicate: {a: 1}
timezone: UTC
EOF
	prov
	assert_success
	assert_line 'provision: warning: user-data:2: unknown module "frobnicate" ignored'
	assert_line 'provision: user-data: ok'
	assert_line 'provision: timezone: ok'
}

@test "lib/yaml-tree.h's YAML 1.1 rules: 0644 is octal, y and n booleans, strings keep their text" {
	# berth compose-check reads container definitions by the same rules
	# (tests/host/compose.bats); 0o644 is cloud-init's string form of a mode
	printf 'old\n' >"$R/etc/motd"
	ud <<'EOF'
#cloud-config
write_files:
  - {path: /etc/octal.conf, content: o, permissions: 0644}
  - {path: /etc/python.conf, content: p, permissions: '0o600'}
  - {path: /etc/motd, content: "y\n", append: y}
  - {path: /etc/early.conf, content: e, defer: n, permissions: 0o640}
berth:
  containers:
    web:
      image: nginx:1
      read_only: y
      environment: {MODE: 0644, ANSWER: y}
EOF
	prov
	assert_success
	assert_line 'provision: write_files: ok'
	assert_equal "$(stat -c %a "$R/etc/octal.conf")" 644
	assert_equal "$(stat -c %a "$R/etc/python.conf")" 600
	assert_equal "$(cat "$R/etc/motd")" "$(printf 'old\ny')"
	assert_equal "$(stat -c %a "$R/etc/early.conf")" 640
	# re-emitted as written: compose reads read_only: y as true, MODE as the text 0644
	run cat "$R/etc/berth/containers/web.yaml"
	assert_line 'read_only: y'
	assert_line '  MODE: 0644'
	assert_line '  ANSWER: y'
}

@test "a billion-laughs document is refused quickly with one line" {
	cp "$FIX/billion-laughs.yaml" "$S/user-data"
	start=$(date +%s%N)
	prov
	end=$(date +%s%N)
	assert_success
	[ $(((end - start) / 1000000)) -lt 2000 ]
	run grep -c 'aliases (refusing a YAML bomb)' <<<"$output"
	assert_output 1
	prov
	assert_line --regexp '^provision: user-data:[0-9]+: more than 32 aliases \(refusing a YAML bomb\)$'
}

@test "YAML nested deeper than 32 is refused" {
	{
		echo '#cloud-config'
		printf 'runcmd: '
		for _ in $(seq 40); do printf '['; done
		for _ in $(seq 40); do printf ']'; done
		echo
	} >"$S/user-data"
	prov
	assert_success
	assert_line --partial 'nested deeper than 32'
}

@test "MIME multipart: cloud-config parts merged in order (later keys win, lists replace), scripts run" {
	cp "$FIX/multipart.txt" "$S/user-data"
	prov
	assert_success
	assert_line 'provision: scripts_user: ok'
	assert_equal "$(cat "$R/etc/hostname")" second
	assert_equal "$(grep -v '^#' "$R/etc/ntp.servers")" c.example.com
	assert_equal "$(cat "$R/etc/timezone")" Europe/Paris
	assert_equal "$(cat "$MARKS")" part-script
}

@test "gzip user-data is inflated; a gzip bomb over the cap is refused" {
	printf '#cloud-config\nhostname: zipped\n' | gzip -c >"$S/user-data"
	prov
	assert_success
	assert_equal "$(cat "$R/etc/hostname")" zipped
	head -c $((5 * 1024 * 1024)) /dev/zero | gzip -c >"$S/user-data"
	printf 'instance-id: i-2\n' >"$S/meta-data"
	prov
	assert_success
	assert_line --partial 'user-data: gzip data is corrupt or inflates past 4194304 bytes'
	head -c $((1024 * 1024 + 1)) /dev/zero >"$S/user-data"
	printf 'instance-id: i-3\n' >"$S/meta-data"
	prov
	assert_line --partial 'user-data: more than 1048576 bytes'
}

@test "a #! user-data script is stored and runs once per instance" {
	# shellcheck disable=SC2016 # expanded by the script
	printf '#!/bin/sh\necho script-ran >>"$MARKS"\n' >"$S/user-data"
	prov
	assert_success
	assert_equal "$(stat -c %a "$R/var/lib/berth/provision/scripts/part-000")" 700
	prov
	assert_equal "$(cat "$MARKS")" script-ran
}

@test "instance-id: runcmd once per instance, bootcmd every boot, a new id removes host keys" {
	ud <<'EOF'
#cloud-config
bootcmd:
  - echo "boot $INSTANCE_ID" >> "$MARKS"
runcmd:
  - [sh, -c, 'echo "run it''s" >> "$MARKS"']
EOF
	mkdir -p "$R/var/lib/dropbear"
	prov
	assert_success
	assert_equal "$(cat "$R/var/lib/berth/provision/instance-id")" i-123
	touch "$R/var/lib/dropbear/dropbear_ed25519_host_key" "$R/var/lib/dropbear/dropbear_rsa_host_key"
	prov
	assert_success
	assert_line 'provision: runcmd: skipped (done for this instance)'
	assert_equal "$(cat "$MARKS")" "$(printf "boot i-123\nrun it's\nboot i-123")"
	[ -e "$R/var/lib/dropbear/dropbear_ed25519_host_key" ]
	printf 'instance-id: i-456\n' >"$S/meta-data"
	prov
	assert_success
	assert_line 'provision: new instance (was i-123): per-instance modules run again'
	assert_equal "$(cat "$MARKS")" "$(printf "boot i-123\nrun it's\nboot i-123\nboot i-456\nrun it's")"
	[ ! -e "$R/var/lib/dropbear/dropbear_ed25519_host_key" ]
	[ ! -e "$R/var/lib/dropbear/dropbear_rsa_host_key" ]
}

@test "runcmd starts with every signal at its default, whatever provision's caller ignored" {
	ud <<'EOF'
#cloud-config
runcmd:
  - grep '^SigIgn:' /proc/self/status >> "$MARKS"
EOF
	run bash -c 'trap "" HUP 34; exec "$@"' sh "$P" --root "$R" --seed "$S" --cmdline ""
	assert_success
	assert_equal "$(cat "$MARKS")" "$(printf 'SigIgn:\t0000000000000000')"
}

@test "status.json lists every module's result; raw user-data kept 0600" {
	ud <<'EOF'
#cloud-config
timezone: "bad zone"
ntp: {servers: [a.example.com]}
EOF
	prov
	assert_success
	st=$R/var/lib/berth/provision/status.json
	run python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
m = {x["name"]: x for x in s["modules"]}
print(s["datasource"], s["instance_id"], s["new_instance"])
print(m["ntp"]["result"], m["timezone"]["result"], m["users"]["result"])
print(m["timezone"]["messages"][0])' "$st"
	assert_line 'nocloud i-123 True'
	assert_line 'ok error skipped'
	assert_line 'user-data:2: timezone: "bad zone": not a valid time zone name'
	assert_equal "$(stat -c %a "$R/var/lib/berth/provision/user-data")" 600
	cmp "$S/user-data" "$R/var/lib/berth/provision/user-data"
}

# status_expected STATUS.JSON True|False: what berth status prints for that
# file, as python reads it, once new_instance is checked to be that boolean
status_expected() {
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert str(s["new_instance"]) == sys.argv[2] and type(s["new_instance"]) is bool, s["new_instance"]
print("datasource   %s\ninstance-id  %s" % (s["datasource"], s["instance_id"]))
for m in s["modules"]:
    print("  %-22s %s" % (m["name"], m["result"]))
    for x in m["messages"]:
        print("      " + x)
n = sum(m["result"] == "error" for m in s["modules"])
print("%d module%s with errors" % (n, "" if n == 1 else "s"))' "$@"
}

@test "berth status reads back every field of the status.json provision writes" {
	need_berth
	printf '#cloud-config\ntimezone: "bad\\\\zone\\t"\nntp: {servers: [a.example.com]}\n' >"$S/user-data"
	prov
	assert_success
	st=$R/var/lib/berth/provision/status.json
	run status_expected "$st" True
	assert_success
	want=$output
	run env BERTH_ROOT="$R/var/lib/berth" "$OUT/bin/berth" status
	assert_failure 1
	assert_output "$want"
	assert_line 'datasource   nocloud'
	assert_line 'instance-id  i-123'
	assert_line --regexp '^  ntp +ok$'
	assert_line --regexp '^  timezone +error$'
	assert_line "$(printf '      user-data:2: timezone: "bad\\zone\t": not a valid time zone name')"
	assert_line '1 module with errors'
	# a second boot of the same instance: new_instance false, the
	# per-instance modules skipped
	prov
	assert_success
	run status_expected "$st" False
	assert_success
	want=$output
	run env BERTH_ROOT="$R/var/lib/berth" "$OUT/bin/berth" status
	assert_success
	assert_output "$want"
	assert_line --regexp '^  timezone +skipped$'
	assert_line '0 modules with errors'
}

@test "a message quoting bytes that are not UTF-8: status.json stays JSON (those bytes as ?), berth status reads it" {
	need_berth
	printf 'Content-Type: multipart/mixed; boundary="B"\nMIME-Version: 1.0\n\n--B\nContent-Type: text/x-caf\351\n\nhello\n--B--\n' \
		>"$S/user-data"
	prov
	assert_success
	assert_line "$(printf 'provision: warning: user-data part 1: content type text/x-caf\351 not supported, ignored')"
	run jq -r '.modules[0].messages[0]' "$R/var/lib/berth/provision/status.json"
	assert_success
	assert_output 'user-data part 1: content type text/x-caf? not supported, ignored'
	run env BERTH_ROOT="$R/var/lib/berth" "$OUT/bin/berth" status
	assert_success
	assert_line '      user-data part 1: content type text/x-caf? not supported, ignored'
}

@test "secrets never appear on the console or in status.json" {
	ud <<'EOF'
#cloud-config
users:
  - name: erin
    hashed_passwd: $6$xyz$SECRETHASHXYZ
    ssh_authorized_keys: [ssh-ed25519 AAAASECRETKEYBODY e@x]
  - name: "bad name"
    hashed_passwd: $6$xyz$SECRETHASHXYZ
write_files:
  - path: /etc/secret.conf
    content: TOPSECRETCONTENT
    owner: nobody:nogroup
  - path: /etc/../x
    content: TOPSECRETCONTENT
  - path: /etc/y
    encoding: b64
    content: "!!!TOPSECRETCONTENT"
EOF
	prov
	assert_success
	refute_output --partial SECRETHASHXYZ
	refute_output --partial AAAASECRETKEYBODY
	refute_output --partial TOPSECRETCONTENT
	run grep -e SECRETHASHXYZ -e AAAASECRETKEYBODY -e TOPSECRETCONTENT "$R/var/lib/berth/provision/status.json"
	assert_failure
	assert_equal "$(mode_of "$R/etc/secret.conf")" '644 nobody nogroup'
}

@test "ca_certs.trusted appends to the bundle once" {
	mkdir -p "$R/etc/ssl/certs"
	printf -- '-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----\n' >"$R/etc/ssl/certs/ca-certificates.crt"
	ud <<'EOF'
#cloud-config
ca_certs:
  trusted:
    - |
      -----BEGIN CERTIFICATE-----
      NEW
      -----END CERTIFICATE-----
    - not a certificate
EOF
	prov
	assert_success
	assert_line --partial 'ca_certs.trusted[1]: expected a PEM certificate'
	run cat "$R/etc/ssl/certs/ca-certificates.crt"
	assert_output "$(printf -- '-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----')"
}

@test "power_state: poweroff is SIGUSR2 to PID 1 (a stand-in here), after status.json" {
	ud <<'EOF'
#cloud-config
power_state: {mode: poweroff, delay: now, message: bye}
EOF
	sig=$T/sig
	bash -c "trap 'echo USR2 >$sig; exit 0' USR2; trap 'echo TERM >$sig; exit 0' TERM; : >$T/traps; while :; do sleep 0.1; done" &
	stand=$!
	wait_until 5 test -e "$T/traps"
	BERTH_PROVISION_PID1=$stand prov
	assert_success
	assert_line 'provision: power_state: bye'
	assert_line "provision: power_state: SIGUSR2 (poweroff) to PID $stand in 0 s"
	wait "$stand"
	assert_equal "$(cat "$sig")" USR2
	[ -e "$R/var/lib/berth/provision/status.json" ]
	printf '#cloud-config\npower_state: {mode: explode}\n' >"$S/user-data"
	printf 'instance-id: i-9\n' >"$S/meta-data"
	prov
	assert_line 'provision: user-data:2: power_state.mode: "explode": expected reboot, poweroff or halt'
}

@test "network-config v2: match by MAC, set-name, static addresses, routes, nameservers, mtu" {
	ud <<<'#cloud-config'
	# the interface netcfg.bats applies, then two more
	cat "$FIX/network-config-lan.yaml" - >"$S/network-config" <<'EOF'
  eth1:
    dhcp4: true
  bad:
    addresses: [300.1.1.1/24]
EOF
	prov
	assert_success
	assert_line 'provision: network-config:15: ethernets.bad.addresses[0]: expected ADDRESS/PREFIX'
	run grep -v '^#' "$R/etc/berth/network.conf"
	assert_output "$(cat <<'EOF'
interface lan
match mac 52:54:00:12:34:56
set-name lan0
mtu 9000
address 10.0.0.5/24
address fd00::5/64
gateway 10.0.0.1
gateway fd00::1
route 10.1.0.0/16 via 10.0.0.254 metric 100
nameserver 1.1.1.1
nameserver 2606:4700::1111
search example.com

interface eth1
match name eth1
dhcp4
EOF
)"
}

@test "network-config v1: physical with subnets, global nameserver; none without network-config" {
	prov
	[ ! -e "$R/etc/berth/network.conf" ]
	assert_line 'provision: network: skipped'
	cat >"$S/network-config" <<'EOF'
network:
  version: 1
  config:
    - type: physical
      name: eth0
      mac_address: "52:54:00:aa:bb:cc"
      subnets:
        - type: static
          address: 192.168.1.10
          netmask: 255.255.255.0
          gateway: 192.168.1.1
          routes: [{network: 10.0.0.0, netmask: 255.0.0.0, gateway: 192.168.1.254}]
        - type: dhcp6
    - type: nameserver
      address: [9.9.9.9]
      search: [lan]
EOF
	prov
	assert_success
	run grep -v '^#' "$R/etc/berth/network.conf"
	assert_output "$(cat <<'EOF'
interface eth0
match mac 52:54:00:aa:bb:cc
set-name eth0
address 192.168.1.10/24
gateway 192.168.1.1
route 10.0.0.0/8 via 192.168.1.254
dhcp6

nameserver 9.9.9.9
search lan
EOF
)"
}

@test "OpenStack config drive layout: uuid, hostname, public_keys, user_data" {
	rm -f "$S/meta-data"
	mkdir -p "$S/openstack/latest"
	printf '{"uuid": "83679162-1378-4288-a2d4-70e13ec132aa", "hostname": "os1", "public_keys": {"k": "ssh-ed25519 AAAAOSKEY os@x"}}' \
		>"$S/openstack/latest/meta_data.json"
	printf '#cloud-config\ntimezone: UTC\n' >"$S/openstack/latest/user_data"
	prov
	assert_success
	assert_line 'provision: datasource configdrive (instance-id 83679162-1378-4288-a2d4-70e13ec132aa)'
	assert_equal "$(cat "$R/etc/hostname")" os1
	assert_equal "$(cat "$R/root/.ssh/authorized_keys")" 'ssh-ed25519 AAAAOSKEY os@x'
	assert_equal "$(cat "$R/etc/timezone")" UTC
}

@test "EC2 IMDSv2: token from PUT, every GET carries it (a GET without it gets 401)" {
	coproc IMDS { exec python3 "$FIX/imds.py" "$T/imds.log"; }
	read -r port <&"${IMDS[0]}"
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/latest/meta-data/instance-id"
	assert_output 401
	run "$P" --root "$R" --imds "http://127.0.0.1:$port" --cmdline ""
	assert_success
	assert_line 'provision: datasource ec2 (instance-id i-imds42)'
	assert_line 'imds-runcmd'
	assert_equal "$(cat "$R/etc/hostname")" imdshost
	assert_equal "$(cat "$R/root/.ssh/authorized_keys")" 'ssh-ed25519 AAAAIMDSKEY imds@test'
	run cat "$T/imds.log"
	assert_line --index 1 'PUT /latest/api/token ttl'
	assert_line 'GET /latest/meta-data/instance-id token'
	assert_line 'GET /latest/user-data token'
	run grep -c 'no-token' "$T/imds.log"
	assert_output 1
}

@test "no datasource: one line and exit 0" {
	run "$P" --root "$R" --cmdline "ds=none"
	assert_success
	assert_output 'provision: no datasource found; DHCP on every wired interface'
	run "$P" --root "$R" --imds "http://127.0.0.1:1" --cmdline ""
	assert_success
	assert_line 'provision: no datasource found; DHCP on every wired interface'
}

@test "ds=nocloud;s=DIR on the command line reads that seed" {
	printf '#cloud-config\nhostname: fromcmdline\n' >"$S/user-data"
	run "$P" --root "$R" --cmdline "quiet ds=nocloud;s=file://$S/ console=ttyS0"
	assert_success
	assert_line 'provision: datasource nocloud (instance-id i-123)'
	assert_equal "$(cat "$R/etc/hostname")" fromcmdline
}

@test "ds=nocloud;s=http://… reads meta-data, user-data and network-config over HTTP" {
	printf '#cloud-config\nhostname: fromhttp\n' >"$S/user-data"
	printf 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n' >"$S/network-config"
	serve_t
	# the seed directory is $S = $T/seed; a URL without the trailing slash
	run "$P" --root "$R" --cmdline "console=ttyS0 ds=nocloud;s=http://127.0.0.1:$port/seed quiet"
	assert_success
	assert_line 'provision: datasource nocloud (instance-id i-123)'
	assert_line 'provision: network: ok'
	assert_equal "$(cat "$R/etc/hostname")" fromhttp
	run grep -v '^#' "$R/etc/berth/network.conf"
	assert_output "$(printf 'interface eth0\nmatch name eth0\ndhcp4')"
	run grep -oE '"GET [^"]+" [0-9]+' "$T/http.log"
	assert_line '"GET /seed/meta-data HTTP/1.1" 200'
	assert_line '"GET /seed/user-data HTTP/1.1" 200'
	assert_line '"GET /seed/vendor-data HTTP/1.1" 404'
	assert_line '"GET /seed/network-config HTTP/1.1" 200'
	# no server there: no datasource, one line, exit 0
	run "$P" --root "$R" --cmdline "ds=nocloud;s=http://127.0.0.1:1/"
	assert_success
	assert_line --partial 'seedfrom http://127.0.0.1:1/: meta-data:'
	assert_line 'provision: no datasource found; DHCP on every wired interface'
}

@test "ds=nocloud;s=http://…: a body shorter than its Content-Length is refused, naming the URL and both counts" {
	# a server that promises the whole #! script and closes early:
	# "rm -rf $T/data/cache" cut to "rm -rf $T/data"
	mkdir -p "$T/data/cache"
	cat >"$T/short.py" <<'PY'
import socket, sys
whole = ("#!/bin/sh\nrm -rf %s/data/cache\n" % sys.argv[1]).encode()
cut = whole[:whole.index(b"/cache")]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], len(cut), len(whole), flush=True)
while True:
    c, _ = s.accept()
    path = c.recv(4096).decode().split()[1]
    if path.endswith("/meta-data"):
        body = b"instance-id: i-short\n"
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    elif path.endswith("/user-data"):
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(whole) + cut)
    else:
        c.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    c.close()
PY
	coproc HTTP { exec python3 -u "$T/short.py" "$T"; }
	IMDS_PID=$HTTP_PID # teardown stops it
	read -r port got want <&"${HTTP[0]}"
	run "$P" --root "$R" --cmdline "ds=nocloud;s=http://127.0.0.1:$port/seed/"
	assert_line 'provision: datasource nocloud (instance-id i-short)'
	assert_line --regexp "seedfrom http://127.0.0.1:$port/seed/user-data: body ended after $got of $want bytes \\(Content-Length\\): truncated, refused\$"
	# nothing of the cut script was kept or run
	[ -d "$T/data/cache" ]
	run grep -rl 'rm -rf' "$R"
	assert_failure
}

@test "berth.images: an oci-archive and an OCI layout directory on the seed are loaded by the real berth" {
	need_berth
	mkdir -p "$S/images/layout"
	cp "$BATS_FILE_TMPDIR/demo.tar" "$S/demo.tar"
	# the same image as an OCI layout directory, under another name
	tar -xf "$S/demo.tar" -C "$S/images/layout"
	jq -c '.manifests[0].annotations["org.opencontainers.image.ref.name"] = "layout:1"' \
		"$S/images/layout/index.json" >"$T/index.json"
	mv "$T/index.json" "$S/images/layout/index.json"
	sum=$(sha256sum "$S/demo.tar" | cut -d' ' -f1)
	ud <<EOF
#cloud-config
berth:
  images:
    - path: demo.tar
      sha256: $sum
    - images/layout/
  containers:
    demo: {image: demo:latest, restart: always}
EOF
	prov
	assert_success
	assert_line 'provision: berth.images[0]: demo.tar: Loaded image: demo:latest'
	assert_line 'provision: berth.images[1]: images/layout/: Loaded image: layout:1'
	assert_line 'provision: berth.images: ok'
	assert_line 'provision: berth.containers: ok'
	# the store of the provisioned root, not the host's
	run images_in "$R/var/lib/berth"
	assert_output "$(printf 'demo:latest\nlayout:1')"
	run grep 'image: ' "$R/etc/berth/containers/demo.yaml"
	assert_output 'image: demo:latest'
	run jq -r '.modules[] | select(.name == "berth.images") | .result, .messages[]' \
		"$R/var/lib/berth/provision/status.json"
	assert_output "$(printf 'ok\nberth.images[0]: demo.tar: Loaded image: demo:latest\nberth.images[1]: images/layout/: Loaded image: layout:1')"
}

@test "berth.images: once per instance; a second boot does not load again, a new instance-id does" {
	need_berth
	berth_logged
	export BERTH_ROOT=$T/store
	cp "$BATS_FILE_TMPDIR/demo.tar" "$S/demo.tar"
	printf '#cloud-config\nberth:\n  images: [demo.tar]\n' >"$S/user-data"
	prov
	assert_success
	assert_line 'provision: berth.images: ok'
	assert_equal "$(cat "$MARKS")" 'berth load -- /proc/self/fd/3'
	run images_in "$T/store"
	assert_output 'demo:latest'
	[ ! -e "$R/var/lib/berth/images.json" ]
	prov
	assert_success
	assert_line 'provision: berth.images: skipped (done for this instance)'
	assert_equal "$(wc -l <"$MARKS")" 1
	printf 'instance-id: i-456\n' >"$S/meta-data"
	prov
	assert_success
	assert_line 'provision: berth.images[0]: demo.tar: Loaded image: demo:latest'
	assert_equal "$(wc -l <"$MARKS")" 2
}

@test "berth.images: escaping paths and symlinks are refused, each one line; the other images and modules go on" {
	need_berth
	berth_logged
	mkdir -p "$T/outside" "$S/ok"
	cp "$BATS_FILE_TMPDIR/demo.tar" "$T/outside/demo.tar"
	cp "$BATS_FILE_TMPDIR/demo.tar" "$S/ok/demo.tar"
	ln -s "$T/outside/demo.tar" "$S/link.tar" # a symlink on the seed pointing outside
	ln -s ../ok/demo.tar "$S/ok/inside.tar"  # even one that stays inside
	ln -s "$T/outside" "$S/dir"              # a symlinked directory on the path
	ud <<'EOF'
#cloud-config
berth:
  images:
    - /etc/passwd
    - ../outside/demo.tar
    - ok/../../outside/demo.tar
    - link.tar
    - ok/inside.tar
    - dir/demo.tar
    - ok/demo.tar
timezone: UTC
EOF
	prov
	assert_success
	assert_line "provision: user-data:4: berth.images[0]: \"/etc/passwd\": expected a path inside the seed (relative, without '..')"
	assert_line "provision: user-data:5: berth.images[1]: \"../outside/demo.tar\": expected a path inside the seed (relative, without '..')"
	assert_line "provision: user-data:6: berth.images[2]: \"ok/../../outside/demo.tar\": expected a path inside the seed (relative, without '..')"
	assert_line 'provision: user-data:7: berth.images[3]: link.tar: refused: a symlink on the path'
	assert_line 'provision: user-data:8: berth.images[4]: ok/inside.tar: refused: a symlink on the path'
	assert_line 'provision: user-data:9: berth.images[5]: dir/demo.tar: refused: a symlink on the path'
	assert_line 'provision: berth.images[6]: ok/demo.tar: Loaded image: demo:latest'
	assert_line 'provision: berth.images: error'
	assert_line 'provision: timezone: ok'
	assert_equal "$(cat "$MARKS")" 'berth load -- /proc/self/fd/3'
	run jq -r '.modules[] | select(.name == "berth.images") | .result, (.messages | length)' \
		"$R/var/lib/berth/provision/status.json"
	assert_output "$(printf 'error\n7')"
}

@test "berth.images: a missing file, a wrong sha256, a failing berth load: one line each, in status.json" {
	need_berth
	cp "$BATS_FILE_TMPDIR/demo.tar" "$S/demo.tar"
	mkdir "$S/layout"
	echo 'not a tar archive, not an image' >"$S/junk.tar"
	ud <<'EOF'
#cloud-config
berth:
  images:
    - missing.tar
    - path: demo.tar
      sha256: 0000000000000000000000000000000000000000000000000000000000000000
    - path: demo.tar
      sha256: not-hex
    - path: layout
      sha256: sha256:0000000000000000000000000000000000000000000000000000000000000000
    - junk.tar
    - {sha256: abc}
    - demo.tar
  containers:
    demo: {image: "demo:latest"}
EOF
	sum=$(sha256sum "$S/demo.tar" | cut -d' ' -f1)
	prov
	assert_success
	assert_line 'provision: user-data:4: berth.images[0]: missing.tar: no such file on the seed'
	assert_line "provision: user-data:6: berth.images[1].sha256: demo.tar: sha256 is $sum, expected 0000000000000000000000000000000000000000000000000000000000000000"
	assert_line 'provision: user-data:8: berth.images[2].sha256: demo.tar: expected 64 hex digits'
	assert_line 'provision: user-data:10: berth.images[3].sha256: layout: a directory has no sha256 (only an archive file)'
	assert_line --regexp '^provision: user-data:11: berth.images\[4\]: junk.tar: berth load: .+'
	assert_line 'provision: user-data:12: berth.images[5]: expected a file on the seed, or {path: FILE, sha256: HEX}'
	assert_line 'provision: berth.images[6]: demo.tar: Loaded image: demo:latest'
	assert_line 'provision: berth.images: error'
	assert_line 'provision: berth.containers: ok'
	run images_in "$R/var/lib/berth"
	assert_output 'demo:latest'
	run jq -r '.modules[] | select(.name == "berth.images") | .result, .messages[]' \
		"$R/var/lib/berth/provision/status.json"
	assert_line --index 0 error
	assert_line --index 1 'user-data:4: berth.images[0]: missing.tar: no such file on the seed'
	assert_line --regexp '^user-data:11: berth.images\[4\]: junk.tar: berth load: .+'
	# no berth at all: the same one line, naming the file
	export BERTH_PROVISION_BERTH=$T/no-berth
	printf 'instance-id: i-2\n' >"$S/meta-data"
	printf '#cloud-config\nberth:\n  images: [demo.tar]\n' >"$S/user-data"
	prov
	assert_success
	assert_line "provision: user-data:3: berth.images[0]: demo.tar: berth load: exec $T/no-berth: No such file or directory"
}

@test "berth.images from a seed read over HTTP: one warning, nothing loaded, containers still written" {
	need_berth
	berth_logged
	cp "$BATS_FILE_TMPDIR/demo.tar" "$S/demo.tar"
	printf '#cloud-config\nberth:\n  images: [demo.tar]\n  containers:\n    demo: {image: "demo:latest"}\n' \
		>"$S/user-data"
	serve_t
	run "$P" --root "$R" --cmdline "ds=nocloud;s=http://127.0.0.1:$port/seed/"
	assert_success
	assert_line 'provision: warning: user-data:3: berth.images: the nocloud seed was read over HTTP: no filesystem to load images from; none loaded'
	assert_line 'provision: berth.images: skipped'
	assert_line 'provision: berth.containers: ok'
	[ ! -e "$MARKS" ]
}

@test "berth.images from a real cidata ISO: loaded while the medium is mounted, unmounted after" {
	need_berth
	command -v genisoimage >/dev/null || skip "no genisoimage"
	[ ! -e /run/berth/provision-seed ] || skip "/run/berth/provision-seed is in use"
	cp "$BATS_FILE_TMPDIR/demo.tar" "$S/demo.tar"
	printf '#cloud-config\nberth:\n  images: [demo.tar]\n' >"$S/user-data"
	genisoimage -quiet -o "$T/seed.iso" -V cidata -J -r "$S"
	LOOP=$(losetup --find --show --read-only "$T/seed.iso") || skip "no loop device"
	[ -d /run/berth ] || RUN_BERTH_MADE=1
	# the berth run sees the medium mounted where provision put it
	cat >"$T/berth" <<-EOF
		#!/bin/sh
		findmnt -n -o SOURCE,FSTYPE,OPTIONS /run/berth/provision-seed >>"\$MARKS"
		exec "$OUT/bin/berth" "\$@"
	EOF
	chmod 755 "$T/berth"
	export BERTH_PROVISION_BERTH=$T/berth
	run "$P" --root "$R" --cmdline "ds=nocloud"
	assert_success
	if [[ $output == *"(iso9660, label cidata): No such device"* ]]; then
		skip "this kernel has no iso9660"
	fi
	assert_line 'provision: datasource nocloud (instance-id i-123)'
	assert_line 'provision: berth.images[0]: demo.tar: Loaded image: demo:latest'
	run cat "$MARKS"
	assert_output --regexp "^$LOOP iso9660 ro,nosuid,nodev,noexec"
	run images_in "$R/var/lib/berth"
	assert_output 'demo:latest'
	[ ! -e /run/berth/provision-seed ]
	# the same instance again: the medium is read and unmounted at once
	run "$P" --root "$R" --cmdline "ds=nocloud"
	assert_success
	assert_line 'provision: berth.images: skipped (done for this instance)'
	[ ! -e /run/berth/provision-seed ]
	assert_equal "$(wc -l <"$MARKS")" 1
}

@test "the label reader finds cidata in real cloud-localds images (iso9660 and vfat)" {
	printf '#cloud-config\n' >"$T/ud"
	printf 'instance-id: i-1\n' >"$T/md"
	cloud-localds "$T/seed.iso" "$T/ud" "$T/md"
	run "$P" label "$T/seed.iso"
	assert_success
	assert_output 'iso9660 cidata'
	cloud-localds -f vfat "$T/seed.vfat" "$T/ud" "$T/md"
	run "$P" label "$T/seed.vfat"
	assert_success
	assert_output --regexp '^vfat (cidata|CIDATA)$'
	head -c 65536 /dev/zero >"$T/zero"
	run "$P" label "$T/zero"
	assert_failure
}

@test "an unreadable root is the only fatal error" {
	run "$P" --root "$T/missing" --seed "$S" --cmdline ""
	assert_failure 1
	assert_output --partial 'open root'
	run "$P" --bogus
	assert_failure 100
}

@test "fuzz target: user-data (#cloud-config → modules, MIME multipart, gzip) and network-config: the corpus reaches the end (libFuzzer: tests/host-slow)" {
	load ../lib/fuzz
	main=$(fuzz_main provision)
	mkdir "$T/fuzz-root"
	cd "$TOP/provision/fuzz/corpus"
	run env FUZZ_ROOT="$T/fuzz-root" "$main" 0-billion-laughs 0-cloud-config 0-gzip 0-script 0-yaml11 1-mime 2-v1 2-v2
	assert_success
	refute_output --partial 'Sanitizer'
	assert_equal "$(grep -E '^[0-9]-[a-z0-9-]+: ' <<<"$output")" "0-billion-laughs: user-data with errors
0-cloud-config: user-data with errors
0-gzip: user-data ok
0-script: user-data ok
0-yaml11: user-data with errors
1-mime: multipart ok
2-v1: network-config ok
2-v2: network-config ok"
}

@test "berth: registries: and proxy: become registries.yaml and proxy.env, mode 0600; bad values name file:line" {
	ud <<'EOF2'
#cloud-config
berth:
  registries:
    mirrors:
      docker.io:
        endpoint: [https://mirror.example:5000]
    configs:
      registry.example:
        auth: {username: fleet, password: s3cret}
    rewrites: {}
  proxy:
    https_proxy: http://proxy.example:3128
    no_proxy: 10.0.0.0/8,.internal
    ftp_proxy: http://x
    http_proxy: proxy.example
EOF2
	prov
	assert_line 'provision: berth.registries: ok'
	assert_line 'provision: warning: user-data:10: berth.registries: unknown key rewrites ignored (mirrors, configs)'
	assert_line 'provision: warning: user-data:14: berth.proxy: unknown key ftp_proxy ignored (http_proxy, https_proxy, no_proxy)'
	assert_line 'provision: user-data:15: berth.proxy.http_proxy: expected an http:// or https:// URL'
	assert_line 'provision: berth.proxy: error'
	refute_output --partial s3cret
	[ "$(stat -c %a "$R/etc/berth/registries.yaml")" = 600 ]
	[ "$(stat -c %a "$R/etc/berth/proxy.env")" = 600 ]
	run cat "$R/etc/berth/proxy.env"
	assert_output "$(printf 'https_proxy=http://proxy.example:3128\nno_proxy=10.0.0.0/8,.internal')"
	run cat "$R/etc/berth/registries.yaml"
	assert_output --partial 'https://mirror.example:5000'
	assert_output --partial 'password: s3cret'
}

@test "berth.compose: a project as the file's text, or compose: and env:; files in /etc/berth/compose/NAME that berth compose reads; a bad name or shape is an error naming the key" {
	ud <<'EOF'
#cloud-config
berth:
  compose:
    shop: |
      services:
        web:
          image: busybox:${TAG:-1}
    blog:
      compose:
        services:
          db: {image: "postgres:16"}
      env: |
        POSTGRES_PASSWORD=hunter2
    Bad: "services: {}"
    odd: [1]
EOF
	prov
	assert_line --partial 'berth.compose.Bad: "Bad": a project name is lowercase letters'
	assert_line --partial "berth.compose.odd: expected the compose file's text, or {compose: TEXT, env: TEXT}"
	assert_line 'provision: berth.compose: error'
	# the password is not printed
	refute_output --partial hunter2
	local c=$R/etc/berth/compose
	assert_equal "$(stat -c %a "$c/blog/.env")" 600
	assert_equal "$(cat "$c/blog/.env")" "POSTGRES_PASSWORD=hunter2"
	cd "$c/shop"
	run "$OUT/bin/berth" compose config
	assert_success
	assert_line "name: shop"
	assert_line "    image: busybox:1"
	cd "$c/blog"
	run "$OUT/bin/berth" compose config --services
	assert_output db
}
