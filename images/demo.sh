#!/bin/sh
# demo.sh: out/demo.tar, the demo container image (an oci-archive of one
# layer: the static busybox), made with umoci and skopeo as a user would.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"
work=$OUT/demo.tmp
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/oci"
umoci new --image "$work/oci:latest"
umoci unpack --image "$work/oci:latest" "$work/bundle" >/dev/null
mkdir -p "$work/bundle/rootfs/bin"
install -m755 "$OUT/rootfs-bin/busybox" "$work/bundle/rootfs/bin/busybox"
for a in sh echo sleep date cat ls nc; do ln -s busybox "$work/bundle/rootfs/bin/$a"; done
umoci repack --image "$work/oci:latest" "$work/bundle" >/dev/null
umoci config --image "$work/oci:latest" --config.entrypoint /bin/sh \
	--config.cmd=-c --config.cmd='while true; do echo "hello from the Berth demo container"; sleep 5; done' \
	--config.env PATH=/bin >/dev/null
rm -f "$OUT/demo.tar"
skopeo copy -q "oci:$work/oci:latest" "oci-archive:$OUT/demo.tar:demo:latest"
echo "demo: out/demo.tar $(stat -c %s "$OUT/demo.tar") bytes"
