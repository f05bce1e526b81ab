#!/usr/bin/env bats
# shellcheck disable=SC2016 # guest commands in single quotes
# Two machines flashed from one image share nothing that must be unique:
# the data filesystem's UUID, /etc/machine-id, the SSH host keys and the
# entropy seed are all made at each machine's first boot (the image holds
# none of them; docs/BUILD.md, "Reproducible builds").
# Image: out/test/berth.img, booted twice from fresh overlays.

setup() {
	load ../lib/common
	load ../lib/vm
	vm_test_image
}

teardown() { vm_stop; }

# identity: one line per value, "name value"
identity() {
	vm_ssh 'echo "data-uuid $(blkid /dev/vda4 | sed -n "s/.* UUID=\"\([^\"]*\)\".*/\1/p")"
		echo "machine-id $(cat /etc/machine-id)"
		for k in /etc/dropbear/*host_key* /var/lib/dropbear/*host_key*; do
			[ -f "$k" ] && echo "host-key $(sha256sum <"$k" | cut -c1-64)"
		done
		echo "seed $(sha256sum </var/lib/berth/random-seed | cut -c1-64)"'
}

@test "two machines from one image: their data UUID, machine id, SSH host keys and entropy seed all differ" {
	local one two
	for n in 1 2; do
		vm_boot "$IMG"
		vm_wait ready
		vm_wait_ssh
		run vm_console
		assert_line --regexp "^initramfs: berth-data: this machine's filesystem UUID is [0-9a-f-]{36} \\(the image's was nil\\)\$"
		assert_line --regexp '^init: first boot: machine id [0-9a-f]{32}$'
		run identity
		assert_success
		assert_line --regexp '^data-uuid [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
		assert_line --regexp '^machine-id [0-9a-f]{32}$'
		assert_line --regexp '^host-key [0-9a-f]{64}$'
		assert_line --regexp '^seed [0-9a-f]{64}$'
		if [ "$n" = 1 ]; then one=$output; else two=$output; fi
		# a second boot of the same machine keeps every value but the seed
		if [ "$n" = 1 ]; then
			vm_mark
			vm_ssh reboot || true
			vm_wait ready
			vm_wait_ssh
			run identity
			assert_equal "$(grep -v '^seed' <<<"$output")" "$(grep -v '^seed' <<<"$one")"
			run vm_console
			refute_line --partial 'first boot: machine id'
		fi
		vm_stop
	done
	# no line of machine two equals a line of machine one
	run comm -12 <(sort <<<"$one") <(sort <<<"$two")
	assert_output ''
}
