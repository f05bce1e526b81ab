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
