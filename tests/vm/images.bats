#!/usr/bin/env bats
# shellcheck disable=SC2016 # guest commands in single quotes
# Images and the runtime's guarantees on a booted Berth: archives made by
# umoci and skopeo (oci-archive and docker-archive) with a whiteout and an
# opaque directory, a tampered blob, restart policies, and mem_limit.

setup_file() {
	load ../lib/common
	local w=$BATS_FILE_TMPDIR
	# the demo image plus a layer that deletes /bin/ls (a whiteout) and
	# replaces /etc's contents (an opaque directory), written as raw tars
	skopeo copy -q "oci-archive:$OUT/demo.tar:demo:latest" "oci:$w/oci:layers"
	mkdir -p "$w/l1/etc" "$w/l1/data"
	echo one >"$w/l1/etc/first"
	echo keep >"$w/l1/data/kept"
	tar --format=gnu --owner=0 --group=0 -C "$w/l1" -cf "$w/l1.tar" etc data
	umoci raw add-layer --image "$w/oci:layers" "$w/l1.tar"
	mkdir -p "$w/l2/etc" "$w/l2/bin"
	: >"$w/l2/bin/.wh.ls"
	: >"$w/l2/etc/.wh..wh..opq"
	echo two >"$w/l2/etc/second"
	tar --format=gnu --owner=0 --group=0 -C "$w/l2" -cf "$w/l2.tar" bin etc
	umoci raw add-layer --image "$w/oci:layers" "$w/l2.tar"
	skopeo copy -q "oci:$w/oci:layers" "oci-archive:$w/layers.tar:layers:1"
	skopeo copy -q "oci:$w/oci:layers" "docker-archive:$w/docker.tar:dock:1"
	# the same oci-archive with one byte of its last layer changed
	python3 - "$w/layers.tar" "$w/tampered.tar" <<-'PY'
	import sys, tarfile, io
	src, dst = tarfile.open(sys.argv[1]), tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT)
	members = src.getmembers()
	blobs = [m for m in members if m.isfile() and "/blobs/" in "/" + m.name]
	victim = max(blobs, key=lambda m: m.size)  # the busybox layer
	for m in members:
	    data = src.extractfile(m).read() if m.isfile() else None
	    if m is victim:
	        data = bytearray(data); data[len(data) // 2] ^= 1; data = bytes(data)
	    dst.addfile(m, io.BytesIO(data) if data is not None else None)
	dst.close()
	PY
}

setup() {
	load ../lib/common
	load ../lib/vm
	VM_KEY=$OUT/test/id_ed25519
}

teardown() { vm_stop; }

@test "archives from umoci and skopeo load and run: whiteout and opaque directory applied; a tampered blob is refused" {
	local w=$BATS_FILE_TMPDIR
	vm_boot "$OUT/test/berth.img"
	vm_wait ready
	vm_wait_ssh
	for f in layers docker tampered; do vm_ssh "cat >/var/tmp/$f.tar" <"$w/$f.tar"; done
	run vm_ssh 'berth load /var/tmp/layers.tar && berth load /var/tmp/docker.tar && berth images'
	assert_success
	assert_line 'Loaded image: layers:1'
	assert_line 'Loaded image: dock:1'
	run vm_ssh 'berth run --name l --network none layers:1 -c "cat /data/kept; echo /etc/*; test -e /bin/ls || echo ls-gone"'
	assert_success
	# /etc/first is hidden by the opaque directory; the runtime adds its files
	assert_line --index 0 keep
	assert_line --index 1 --regexp '(^| )/etc/second( |$)'
	assert_line --index 2 ls-gone
	refute_output --partial first
	run vm_ssh 'berth run --name d --network none dock:1 -c "echo /etc/*; test -e /bin/ls || echo ls-gone"'
	assert_success
	assert_line --index 0 --regexp '(^| )/etc/second( |$)'
	assert_line --index 1 ls-gone
	refute_output --partial first
	run vm_ssh 'berth load /var/tmp/tampered.tar'
	assert_failure
	assert_output --regexp 'sha256'
	refute_output --partial 'Loaded image'
}

# pid_of NAME: the container's init as the host sees it
pid_of() { vm_ssh "berth inspect $1" | jq -r '.[0].State.Pid'; }

# ps_has REGEX: a line of berth ps -a in the guest matches REGEX
ps_has() { vm_ssh 'berth ps -a' | grep -qE "$1"; }

@test "restart=always brings back a killed container, restart=no does not; mem_limit holds" {
	vm_boot "$OUT/test/berth.img"
	vm_wait ready
	vm_wait_ssh
	vm_ssh 'cat >/var/tmp/demo.tar' <"$OUT/demo.tar"
	vm_ssh 'berth load /var/tmp/demo.tar >/dev/null'
	vm_ssh 'berth run -d --name always --restart always demo:latest >/dev/null && berth run -d --name never --restart no demo:latest >/dev/null'
	local a n
	a=$(pid_of always)
	n=$(pid_of never)
	[ "$a" -gt 1 ]
	[ "$n" -gt 1 ]
	vm_ssh "kill -9 $a $n"
	# both were killed at once: once always is back, never had the same
	# time to come back
	wait_until 60 ps_has '^always +demo:latest +running +Up .* 1 *$'
	wait_until 10 ps_has '^never +demo:latest +exited '
	run vm_ssh 'berth ps -a'
	assert_line --regexp '^always +demo:latest +running +Up .* 1 *$'
	assert_line --regexp '^never +demo:latest +exited '
	[ "$(pid_of always)" != "$a" ]
	# mem_limit: 32 MiB; a 64 MiB allocation is OOM-killed in the container
	vm_ssh 'cat >/etc/berth/containers/hog.yaml' <<-'YAML'
	image: demo:latest
	command: ["-c", "echo allocating; exec dd if=/dev/zero of=/dev/null bs=64M count=1"]
	mem_limit: 32m
	restart: "no"
	YAML
	vm_ssh 'berth start hog'
	wait_until 60 ps_has '^hog +demo:latest +exited '
	wait_until 10 vm_ssh 'berth logs hog | grep -qx allocating'
	run vm_ssh 'berth ps -a; berth logs hog'
	assert_line --regexp '^hog +demo:latest +exited +Exited \(137\) '
	assert_line allocating
	refute_output --partial 'records in'
	run vm_ssh 'dmesg | grep -c "Memory cgroup out of memory"'
	[ "$output" -ge 1 ]
	# the host and the other container are fine
	run vm_ssh 'berth ps'
	assert_line --regexp '^always +demo:latest +running '
}
