#!/bin/sh
# test-image.sh: out/test/berth.img, out/berth.img's twin whose /var holds an
# authorized SSH key for root (out/test/id_ed25519), so tests can log in.
# Only the data partition differs; the root image and UKI are the same files.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$top/out}
t=$out/test
mkdir -p "$t"
[ -f "$t/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C berth-test -f "$t/id_ed25519"
rm -rf "${t:?}/var"
mkdir -p "$t/var/roothome/.ssh"
chmod 700 "$t/var/roothome" "$t/var/roothome/.ssh"
cp "$t/id_ed25519.pub" "$t/var/roothome/.ssh/authorized_keys"
chmod 600 "$t/var/roothome/.ssh/authorized_keys"
VAR_SEED=$t/var DISK_OUT=$t/berth.img "$top/images/disk.sh"

# out/test/berth-demo.img: the same with the demo container defined and its
# image loaded (make bench: boot to the first container, memory)
if [ -f "$out/demo.tar" ] && [ -x "$out/bin/berth" ]; then
	rm -rf "${t:?}/var-demo"
	cp -a "$t/var" "$t/var-demo"
	mkdir -p "$t/var-demo/lib/berth/etc/upper/berth/containers"
	BERTH_ROOT=$t/var-demo/lib/berth "$out/bin/berth" load "$out/demo.tar" >/dev/null
	printf 'image: demo:latest\nrestart: always\n' >"$t/var-demo/lib/berth/etc/upper/berth/containers/demo.yaml"
	VAR_SEED=$t/var-demo DISK_OUT=$t/berth-demo.img "$top/images/disk.sh"
	rm -rf "$t/var-demo"
fi
