#!/usr/bin/env bash
# run-vm.sh: `make run`. Boots Berth under UEFI with the console here and the
# demo container defined and its image loaded, like a user's first boot:
#   out/run/berth.img   out/berth.img with a /var that holds the demo image
#                       (loaded with the host's out/bin/berth), its definition
#                       (/etc/berth/containers/demo.yaml in the /etc overlay)
#                       and, if you have one, your SSH public key for root
#   out/run/disk.qcow2  a 4 GiB copy-on-write overlay of it, kept between runs
# (RUN_DIR replaces out/run). The guest's port 8080, where the demo container
# is published, is the host's port 8080 (RUN_HTTP_PORT).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$top/out}
run=${RUN_DIR:-$out/run}
mkdir -p "$run"
disk=$run/disk.qcow2
if [ ! -f "$disk" ] || [ "$out/berth.img" -nt "$disk" ] || [ "$out/demo.tar" -nt "$disk" ]; then
	rm -rf "${run:?}/var" "$disk" "$run/vars.fd"
	var=$run/var
	mkdir -p "$var/lib/berth/etc/upper/berth/containers" "$var/roothome"
	chmod 700 "$var/roothome"
	BERTH_ROOT=$var/lib/berth "$out/bin/berth" load "$out/demo.tar" >/dev/null
	cat >"$var/lib/berth/etc/upper/berth/containers/demo.yaml" <<-'YAML'
	# the demo container of `make run`: a web page on the host's port 8080
	image: demo:latest
	restart: always
	ports: ["8080:80"]
	YAML
	key=
	for k in "$HOME"/.ssh/id_ed25519.pub "$HOME"/.ssh/id_ecdsa.pub "$HOME"/.ssh/id_rsa.pub; do
		if [ -f "$k" ]; then key=$k; break; fi
	done
	if [ -n "$key" ]; then
		mkdir -p "$var/roothome/.ssh"
		chmod 700 "$var/roothome/.ssh"
		install -m600 "$key" "$var/roothome/.ssh/authorized_keys"
	fi
	VAR_SEED=$var DISK_OUT=$run/berth.img "$top/images/disk.sh" >/dev/null
	qemu-img create -q -f qcow2 -b "$run/berth.img" -F raw "$disk" 4G
	rm -rf "$var"
	if [ -n "$key" ]; then
		echo "run: $key may log in: ssh -p ${VM_SSH_PORT:-2222} root@127.0.0.1"
	else
		echo "run: no SSH key in ~/.ssh; root has no password (a NoCloud seed adds users: docs/USER-DATA.md)"
	fi
fi
http=${RUN_HTTP_PORT:-8080}
echo "run: booting $disk under UEFI (${BERTH_ACCEL:-tcg}) with the demo container; Ctrl-a x quits"
echo "run: once it is ready: curl http://localhost:$http/"
VM_DIR=$run VM_SSH_PORT=${VM_SSH_PORT:-2222} VM_FWD="hostfwd=tcp:127.0.0.1:$http-:8080" \
	exec "$top/tests/lib/qemu.sh" "$disk"
