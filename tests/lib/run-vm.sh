#!/usr/bin/env bash
# run-vm.sh: `make run`. Boots a copy-on-write overlay of out/berth.img
# (out/run/disk.qcow2, 4 GiB, kept between runs) with the console here.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$top/out}
mkdir -p "$out/run"
disk=$out/run/disk.qcow2
if [ ! -f "$disk" ] || [ "$out/berth.img" -nt "$disk" ]; then
	rm -f "$disk" "$out/run/vars.fd"
	qemu-img create -q -f qcow2 -b "$out/berth.img" -F raw "$disk" 4G
fi
echo "run: booting $disk under UEFI (${BERTH_ACCEL:-tcg}); SSH on 127.0.0.1:2222 once a key is provisioned; Ctrl-a x quits"
VM_DIR=$out/run VM_SSH_PORT=${VM_SSH_PORT:-2222} exec "$top/tests/lib/qemu.sh" "$disk"
