#!/bin/sh
# demo.sh: out/demo.tar, the demo container image (an oci-archive of one
# layer: the static busybox and a one-page web server on port 80), made with
# umoci and skopeo as a user would.
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
for a in sh echo sleep date cat ls nc dd head; do ln -s busybox "$work/bundle/rootfs/bin/$a"; done
# a tiny web server: busybox nc runs this for each connection
cat >"$work/bundle/rootfs/bin/hello-http" <<'SH'
#!/bin/sh
# answer one HTTP request with the demo page; the request line goes to the log
read -r request
while read -r line; do
	case $line in "" | "$(printf '\r')") break ;; esac
done
body='hello from the Berth demo container'
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n' $((${#body} + 1)) "$body"
echo "served: ${request%%$(printf '\r')}" >&2
SH
chmod 755 "$work/bundle/rootfs/bin/hello-http"
umoci repack --image "$work/oci:latest" "$work/bundle" >/dev/null
umoci config --image "$work/oci:latest" --config.entrypoint /bin/sh \
	--config.cmd=-c --config.cmd='echo "hello from the Berth demo container"; exec nc -lk -p 80 -e /bin/hello-http' \
	--config.env PATH=/bin --config.exposedports 80/tcp >/dev/null

rm -f "$OUT/demo.tar"
skopeo copy -q "oci:$work/oci:latest" "oci-archive:$OUT/demo.tar:demo:latest"
echo "demo: out/demo.tar $(stat -c %s "$OUT/demo.tar") bytes"
