#!/usr/bin/env bash
# run-vm.sh: `make run`. Boots the production image out/berth.img under UEFI
# with the console here and the demo NoCloud seed (images/demo-seed/) as a
# second disk, like a user's first boot: provisioning loads the demo image
# from the seed, starts the demo container, and authorizes your SSH key.
#   out/run/disk.qcow2  a 4 GiB copy-on-write overlay of out/berth.img, kept
#                       between runs (so is /var) until the image changes
#   out/run/seed.iso    the seed: user-data, meta-data, the demo image
# (RUN_DIR replaces out/run). SSH and the demo's port 8080 are forwarded
# from free host ports (from 2222 and 8080 up; VM_SSH_PORT, RUN_HTTP_PORT).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$top/out}
run=${RUN_DIR:-$out/run}
mkdir -p "$run"
disk=$run/disk.qcow2

# the first free TCP port on 127.0.0.1 from $1 up
free_port() {
	python3 - "$1" <<-'PY'
	import socket, sys
	for port in range(int(sys.argv[1]), 65536):
	    s = socket.socket()
	    try:
	        s.bind(("127.0.0.1", port))
	        print(port)
	        break
	    except OSError:
	        pass
	    finally:
	        s.close()
	PY
}

# a new image (its UKI names the root hash) starts a new disk
image_id=$(sha256sum <"$out/berth.efi" | cut -c1-64)
if [ ! -f "$disk" ] || [ "$(cat "$run/image.id" 2>/dev/null)" != "$image_id" ]; then
	rm -f "$disk" "$run/vars.fd"
	qemu-img create -q -f qcow2 -b "$out/berth.img" -F raw "$disk" 4G
	echo "$image_id" >"$run/image.id"
fi

key=
for k in "$HOME"/.ssh/id_ed25519.pub "$HOME"/.ssh/id_ecdsa.pub "$HOME"/.ssh/id_rsa.pub; do
	if [ -f "$k" ]; then key=$k; break; fi
done
"$top/images/demo-seed.sh" "$run/seed.iso" "$key"

ssh_port=${VM_SSH_PORT:-$(free_port 2222)}
http=${RUN_HTTP_PORT:-$(free_port 8080)}
if [ -n "$key" ]; then
	echo "run: $key may log in once it is ready: ssh -p $ssh_port root@127.0.0.1"
else
	echo "run: no SSH key in ~/.ssh, so no SSH login; root has no password (docs/USER-DATA.md adds users)"
fi
echo "run: booting $disk under UEFI (${BERTH_ACCEL:-tcg}) with the demo seed; Ctrl-a x quits"
echo "run: once it is ready: curl http://localhost:$http/"
VM_DIR=$run VM_SSH_PORT=$ssh_port VM_SEED=$run/seed.iso VM_FWD="hostfwd=tcp:127.0.0.1:$http-:8080" \
	exec "$top/tests/lib/qemu.sh" "$disk"
