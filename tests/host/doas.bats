#!/usr/bin/env bats
# doas (pkgs/opendoas, installed setuid root as /usr/bin/doas and sudo) with
# the /etc/doas.conf provision writes from user-data `sudo:` rules. Each
# test runs in a private mount namespace where the provisioned root's /etc
# is /etc and /run is empty, as users made by provision (busybox's chpst
# drops to them; busybox is static, so the swapped /etc is all it reads).

setup_file() {
	load ../lib/common
	[ "$(id -u)" = 0 ] || skip "needs root (setuid, mount namespaces)"
	[ -x "$OUT/rootfs-bin/doas" ] || { echo "no $OUT/rootfs-bin/doas: make pkgs" >&2; return 1; }
	unshare -m true 2>/dev/null || skip "cannot create mount namespaces here"
	berth_make "$OUT/bin/provision"
	# alice: NOPASSWD; bob: a password (persist); carol: no rule; dave: one command
	local d hash
	# users must reach the files: not bats's own 0700 directories
	d=$(mktemp -d /tmp/berth-doas.XXXXXX)
	chmod 755 "$d"
	echo "$d" >"$BATS_FILE_TMPDIR/dir"
	hash=$(openssl passwd -6 -salt berthtest 'correct horse')
	mkdir -p "$d/seed"
	cp -a "$TOP/rootfs/etc" "$d/"
	printf 'instance-id: i-doas\n' >"$d/seed/meta-data"
	cat >"$d/seed/user-data" <<-UD
		#cloud-config
		users:
		  - name: alice
		    sudo: ALL=(ALL) NOPASSWD:ALL
		  - name: bob
		    lock_passwd: false
		    hashed_passwd: $hash
		    sudo: ALL=(ALL) ALL
		  - name: carol
		  - name: dave
		    sudo: ALL=(root) NOPASSWD:$d/busybox id -u
	UD
	"$OUT/bin/provision" --root "$d" --seed "$d/seed" --cmdline "" >"$d/provision.log"
	install -m4755 "$OUT/rootfs-bin/doas" "$d/doas"
	ln -s doas "$d/sudo"
	install -m755 "$OUT/rootfs-bin/busybox" "$d/busybox"
	# as_user DIR USER CMD...: the root's /etc, an empty /run, CMD as USER
	cat >"$d/as_user" <<-'SH'
		d=$1 user=$2
		shift 2
		mount --bind "$d/etc" /etc && mount -t tmpfs tmpfs /run || exit 1
		cd / && exec "$d/busybox" chpst -u "$user" "$@"
	SH
}

teardown_file() {
	local d
	d=$(cat "$BATS_FILE_TMPDIR/dir" 2>/dev/null) || return 0
	case $d in /tmp/berth-doas.*) rm -rf "$d" ;; esac
}

setup() {
	load ../lib/common
	D=$(cat "$BATS_FILE_TMPDIR/dir")
	BB=$OUT/rootfs-bin/busybox
	FIX=$TOP/tests/host/fixtures/doas
}

# as_user USER CMD...: CMD as USER in a private mount namespace
as_user() {
	unshare -m "$BB" sh "$D/as_user" "$D" "$@"
}

@test "provision wrote doas.conf 0400 root from the users' sudo rules" {
	run grep -v '^#' "$D/etc/doas.conf"
	assert_output "$(printf 'permit nopass alice\npermit persist bob\npermit nopass dave as root cmd %s/busybox args id -u' "$D")"
	assert_equal "$(stat -c '%a %u' "$D/etc/doas.conf")" '400 0'
	run readelf -lW "$D/doas"
	refute_output --partial INTERP
}

@test "a NOPASSWD user runs a command as root; through the sudo link too" {
	run as_user alice "$D/doas" "$BB" id -u
	assert_success
	assert_output 0
	run as_user alice "$D/sudo" "$BB" id -u
	assert_success
	assert_output 0
}

@test "the command gets a clean environment" {
	export FOO=leak LD_LIBRARY_PATH=/nonexistent
	run as_user alice "$D/doas" "$BB" env
	assert_success
	assert_line 'USER=root'
	assert_line 'HOME=/root'
	assert_line 'DOAS_USER=alice'
	refute_output --partial FOO
	refute_output --partial LD_LIBRARY_PATH
}

@test "a user with no rule is refused with one line" {
	run as_user carol "$D/doas" "$BB" id -u
	assert_failure
	assert_output 'doas: Operation not permitted'
}

@test "a cmd rule allows that command with those arguments only" {
	run as_user dave "$D/doas" "$D/busybox" id -u
	assert_success
	assert_output 0
	run as_user dave "$D/doas" "$D/busybox" id
	assert_failure
	assert_output 'doas: Operation not permitted'
}

@test "a password rule needs a terminal and the right password, then persists" {
	run as_user bob "$D/doas" "$BB" id -u
	assert_failure
	assert_output 'doas: a tty is required'
	run python3 "$FIX/on-tty.py" 'wrong horse' unshare -m "$BB" sh "$D/as_user" "$D" bob "$D/doas" "$BB" id -u
	assert_failure
	assert_line 'doas: Authentication failed'
	# a second doas from the same shell asks no password (persist keys the
	# timestamp on the parent: the trailing `:` keeps ash from exec'ing it)
	# shellcheck disable=SC2016 # expanded by the inner shell
	run python3 "$FIX/on-tty.py" 'correct horse' unshare -m "$BB" sh -c '
		mount --bind "$0/etc" /etc && mount -t tmpfs tmpfs /run && cd / &&
		"$0/busybox" chpst -u bob "$0/doas" "$0/busybox" id -u &&
		"$0/busybox" chpst -u bob "$0/doas" "$0/busybox" id -u && :' "$D"
	assert_success
	assert_equal "$(grep -c 'password:' <<<"$output")" 1
	assert_equal "$(grep -cx 0 <<<"$output")" 2
}
