#!/bin/sh
# update-images.sh: signed bundles of other versions for the update tests, in
# out/test/updates/. Each is built from the same kernel, packages and programs
# as out/berth.img, in a folder of its own (so out/root.img, out/berth.efi stay
# what out/berth.img holds):
#   berth-0.2.0.bundle            a good update (and 0.3.0, 0.4.0, 0.5.0)
#   berth-0.3.0-panic.bundle      0.3.0 whose /sbin/init exits: the kernel panics
#   berth-0.3.0-sick.bundle       0.3.0 with a container whose healthcheck fails
#   berth-0.0.5.bundle            an older version (a downgrade)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$top/out}
u=$out/test/updates
mkdir -p "$u"

# variant NAME VERSION [EXTRA]: out/test/updates/berth-NAME.bundle
variant() {
	name=$1 version=$2 extra=${3:-}
	dir=$u/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	for f in rootfs-bin bin vmlinuz initramfs.cpio toolchain pkgs sysroot; do ln -s "$out/$f" "$dir/$f"; done
	OUT=$dir VERSION=$version ROOTFS_EXTRA=$extra "$top/images/rootfs.sh" >/dev/null
	OUT=$dir "$top/images/uki.sh" >/dev/null
	OUT=$dir VERSION=$version "$top/images/bundle.sh" >/dev/null
	mv "$dir/berth-$version.bundle" "$u/berth-$name.bundle"
	rm -rf "$dir"
	echo "update-images: $u/berth-$name.bundle"
}

for v in 0.2.0 0.3.0 0.4.0 0.5.0 0.0.5; do variant $v $v; done

x=$u/extra-panic
rm -rf "$x"; mkdir -p "$x/sbin"
printf '#!/bin/sh\necho "berth test: this init exits, the kernel panics"\nexit 1\n' >"$x/sbin/init"
chmod 755 "$x/sbin/init"
variant 0.3.0-panic 0.3.0 "$x"

x=$u/extra-sick
rm -rf "$x"; mkdir -p "$x/etc/berth/containers"
cat >"$x/etc/berth/containers/sick.yaml" <<'YAML'
# a container that runs but never passes its healthcheck
image: demo:latest
command: ["sh", "-c", "while :; do sleep 1; done"]
restart: always
healthcheck:
  test: ["CMD-SHELL", "exit 1"]
  interval: 1s
  retries: 2
YAML
variant 0.3.0-sick 0.3.0 "$x"
rm -rf "$u/extra-panic" "$u/extra-sick"
