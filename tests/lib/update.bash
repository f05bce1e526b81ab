# The update suites (tests/host/update.bats, tests/host-slow/update-deadlines.bats)
# and the update fuzz target's seeds: berth in the suite's bin, bundles made
# with the real minisign and tar, and a fake host for apply, status and the
# boot check (slot devices are files, the ESP a directory, every path from the
# BERTH_* environment). The bundles need W, a directory with a key pair made
# by `minisign -G -W -s $W/k.sec -p $W/k.pub`. Load after common.bash.

# update_bin: for setup_file: berth in $BATS_FILE_TMPDIR/bin
update_bin() {
	berth_bin "$BATS_FILE_TMPDIR/bin"
}

# update_env: for setup: W, the test's directory, and BERTH
update_env() {
	W=$BATS_TEST_TMPDIR
	BERTH=$BATS_FILE_TMPDIR/bin/berth
}

# bundle VERSION [jq filter]: $W/berth-VERSION.bundle of the payloads in
# $W/p-VERSION (random ones unless there), signed with $KEY (default $W/k.sec)
bundle() {
	local v=$1 filter=${2:-.} d=$W/p-$1
	mkdir -p "$d"
	[ -e "$d/berth.efi" ] || head -c 300000 /dev/urandom >"$d/berth.efi"
	[ -e "$d/root.img" ] || head -c 2500000 /dev/urandom >"$d/root.img"
	jq -n --arg v "$v" --argjson us "$(stat -c %s "$d/berth.efi")" --arg uh "$(sha256sum <"$d/berth.efi" | cut -c1-64)" \
		--argjson rs "$(stat -c %s "$d/root.img")" --arg rh "$(sha256sum <"$d/root.img" | cut -c1-64)" '{
		format: 1, version: $v, compatible: "berth-x86_64", arch: "x86_64", min_version: "0.1.0",
		uki: { name: "berth.efi", size: $us, sha256: $uh },
		root: { name: "root.img", size: $rs, sha256: $rh, roothash: ("cd" * 32), type: "erofs" } }' |
		jq "$filter" >"$d/manifest.json"
	minisign -S -s "${KEY:-$W/k.sec}" -m "$d/manifest.json" -x "$d/manifest.json.minisig" -t "berth $v berth-x86_64" >/dev/null
	tar --format=ustar -cf "$W/berth-$v.bundle" -C "$d" manifest.json manifest.json.minisig berth.efi root.img
}

# update_seeds DIR: the update target's seeds in DIR, each its selector byte
# then the input: a small bundle of 0.2.0 (3, with the key's line first), its
# manifest (0), the public key (1), a good and a bad UKI name (2), and the
# bundle cut short
update_seeds() {
	local key
	key=$(sed -n 2p "$W/k.pub")
	mkdir -p "$1" "$W/p-0.2.0"
	head -c 1000 /dev/urandom >"$W/p-0.2.0/berth.efi"
	head -c 3000 /dev/urandom >"$W/p-0.2.0/root.img"
	bundle 0.2.0
	{ printf '\003%s\n' "$key"; cat "$W/berth-0.2.0.bundle"; } >"$1/bundle"
	{ printf '\000'; cat "$W/p-0.2.0/manifest.json"; } >"$1/manifest"
	{ printf '\001'; cat "$W/k.pub"; } >"$1/key"
	printf '\002berth-0.2.0+3-0.efi' >"$1/name"
	printf '\002berth-0.2.0+3-x.efi' >"$1/badname"
	{ printf '\003%s\n' "$key"; head -c 3000 "$W/berth-0.2.0.bundle"; } >"$1/short"
}

# ---- a fake host: slot files, an ESP directory, booted slot a with 0.1.0 ----

L() { echo "$BERTH_ESP/EFI/Linux"; }

# esp_ls: the files in EFI/Linux on one line
esp_ls() { (cd "$(L)" && printf '%s ' *); }

# booted SLOT VERSION: what the initramfs and the image say
booted() {
	echo "$1" >"$BERTH_RUN/slot"
	printf 'NAME="Berth"\nVERSION_ID=%s\nBERTH_COMPATIBLE=berth-x86_64\n' "$2" >"$BERTH_OS_RELEASE"
}

# host: the fake host, its BERTH_* paths exported: booted slot a with 0.1.0
host() {
	export BERTH_ESP=$W/esp BERTH_SLOT_A=$W/slot-a BERTH_SLOT_B=$W/slot-b BERTH_RUN=$W/run \
		BERTH_ROOT=$W/var BERTH_OS_RELEASE=$W/os-release BERTH_ETC=$W/etc BERTH_MOUNTINFO=$W/mountinfo
	mkdir -p "$(L)" "$BERTH_RUN" "$BERTH_ROOT" "$BERTH_ETC"
	head -c 3000000 /dev/urandom >"$W/slot-a"
	truncate -s 4M "$W/slot-a" "$W/slot-b"
	head -c 200000 /dev/urandom >"$(L)/berth-0.1.0.efi"
	booted a 0.1.0
	printf '25 1 254:0 / / ro,relatime shared:1 - erofs /dev/mapper/root ro\n' >"$W/mountinfo"
}

# trial_b: booted slot b, Berth 0.2.0, which systemd-boot has tried once
trial_b() {
	host
	booted b 0.2.0
	head -c 1000 /dev/urandom >"$(L)/berth-0.2.0+2-1.efi"
	mkdir -p "$BERTH_ETC/service/sshd/supervise" "$BERTH_ETC/service/off/supervise" \
		"$BERTH_ETC/berth/containers" "$BERTH_ETC/berth/health.d"
	echo run >"$BERTH_ETC/service/sshd/supervise/stat"
	echo down >"$BERTH_ETC/service/off/supervise/stat"
	: >"$BERTH_ETC/service/off/down"
	# down because it said so (sv down .): byte 17 of supervise/status is 'd'
	mkdir -p "$BERTH_ETC/service/ntpd/supervise"
	echo down >"$BERTH_ETC/service/ntpd/supervise/stat"
	printf '%017dd00' 0 >"$BERTH_ETC/service/ntpd/supervise/status"
	printf 'image: demo:t\nrestart: always\n' >"$BERTH_ETC/berth/containers/web.yaml"
	printf 'image: demo:t\nrestart: "no"\n' >"$BERTH_ETC/berth/containers/once.yaml"
	# unless-stopped, and stopped by a person
	printf 'image: demo:t\nrestart: unless-stopped\n' >"$BERTH_ETC/berth/containers/idle.yaml"
	mkdir -p "$BERTH_ROOT/containers/idle"
	: >"$BERTH_ROOT/containers/idle/stopped"
	ctr_state web status=running "pid=$$"
	printf '#!/bin/sh\nexit 0\n' >"$BERTH_ETC/berth/health.d/10-ok"
	printf '#!/bin/sh\nexit 1\n' >"$BERTH_ETC/berth/health.d/20-not-executable"
	chmod +x "$BERTH_ETC/berth/health.d/10-ok"
}

# ctr_state NAME KEY=VALUE...: a container's state file
ctr_state() {
	local n=$1
	shift
	mkdir -p "$BERTH_RUN/containers/$n"
	printf '%s\n' "$@" >"$BERTH_RUN/containers/$n/state"
}

# check: berth update check, a 1 s grace, a deadline of DEADLINE s (default 10)
check() { "$BERTH" update check --no-reboot --grace 1 --deadline "${DEADLINE:-10}"; }
