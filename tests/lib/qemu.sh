#!/bin/sh
# qemu.sh DISK [QEMU-ARG...]: boot a Berth disk in QEMU under UEFI (OVMF +
# systemd-boot). Arguments after DISK go to QEMU as they are (one word each,
# spaces kept), e.g. -smbios "type=1,manufacturer=Amazon EC2" (tests/vm/ec2.bats).
#   VM_DIR      state folder: UEFI vars, monitor socket, pid (default: a temp dir)
#   VM_SERIAL   file for the serial console (default: this terminal)
#   VM_SSH_PORT host port forwarded to the guest's port 22 (default: none)
#   VM_FWD      more user-network options, e.g. hostfwd=tcp:127.0.0.1:8080-:8080
#   VM_BOOT     uefi (default) or direct (-kernel/-initrd/-append from out/;
#               VM_APPEND, VM_INITRD replace the command line, the initramfs)
#   VM_SEED     a second disk (a cloud-init seed: cidata, config-2), read-only
#   VM_CACHE    the disk's cache mode (default unsafe: fast; the power cut
#               tests use writeback, which keeps what the guest flushed)
#   VM_MEM      MiB of memory (default 1024); BERTH_ACCEL tcg (default) or kvm
#   VM_DAEMON   1: run in the background, pid in $VM_DIR/qemu.pid
set -eu
disk=${1:?usage: qemu.sh DISK [QEMU-ARG...]}
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$top/out}
dir=${VM_DIR:-$(mktemp -d)}
mkdir -p "$dir"
[ -f "$dir/vars.fd" ] || cp /usr/share/OVMF/OVMF_VARS_4M.fd "$dir/vars.fd"
case $disk in *.qcow2) fmt=qcow2 ;; *) fmt=raw ;; esac
accel=${BERTH_ACCEL:-tcg}
cpu=max
[ "$accel" = kvm ] && cpu=host

# the extra arguments stay first in "$@"; everything else is appended
set -- "$@" -machine q35 -accel "$accel" -cpu "$cpu" -smp 2 -m "${VM_MEM:-1024}" \
	-drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd" \
	-drive "if=pflash,format=raw,file=$dir/vars.fd" \
	-drive "file=$disk,format=$fmt,if=virtio,cache=${VM_CACHE:-unsafe}" \
	-device i6300esb -device virtio-rng-pci \
	-nic "user,model=virtio-net-pci${VM_SSH_PORT:+,hostfwd=tcp:127.0.0.1:$VM_SSH_PORT-:22}${VM_FWD:+,$VM_FWD}" \
	-monitor "unix:$dir/monitor.sock,server,nowait" \
	-display none -no-user-config -nodefaults
if [ -n "${VM_SEED:-}" ]; then
	set -- "$@" -drive "file=$VM_SEED,format=raw,if=virtio,readonly=on"
fi
if [ "${VM_BOOT:-uefi}" = direct ]; then
	set -- "$@" -kernel "$out/vmlinuz" -initrd "${VM_INITRD:-$out/initramfs.cpio}" -append "${VM_APPEND:-$(cat "$out/cmdline")}"
fi
if [ -n "${VM_SERIAL:-}" ]; then
	set -- "$@" -serial "file:$VM_SERIAL"
else
	set -- "$@" -serial mon:stdio
fi
if [ "${VM_DAEMON:-0}" = 1 ]; then
	set -- "$@" -daemonize -pidfile "$dir/qemu.pid"
fi
exec qemu-system-x86_64 "$@"
