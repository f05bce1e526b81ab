# shellcheck shell=sh
# ca-certificates: Mozilla's CA list as Debian ships it (certdata.txt turned
# into PEM by the package's own certdata2pem.py), as one bundle in the order
# update-ca-certificates writes it: every certificate, by file name. It
# lands in the verified root as /etc/ssl/certs/ca-certificates.crt
make -C mozilla all
mkdir -p "$DESTDIR/usr/share/berth"
LC_ALL=C
export LC_ALL
for f in mozilla/*.crt; do
	cat "$f"
done >"$DESTDIR/usr/share/berth/ca-certificates.crt"
test "$(grep -c 'BEGIN CERTIFICATE' "$DESTDIR/usr/share/berth/ca-certificates.crt")" -gt 100
