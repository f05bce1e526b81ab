# shellcheck shell=sh
# wolfSSL: the TLS library under libcurl (pkgs/curl/README.md says why).
# TLS 1.2 and 1.3 only (no TLS 1.0/1.1), SNI (one address, many names:
# every registry behind a CDN), ALPN, chains that validate through an
# alternative (cross-signed) root, session tickets, IP addresses in
# subjectAltName (a registry at https://10.0.0.5:5000/); no examples, tests or
# benchmarks. The OpenSSL compatibility layer is on because libcurl's
# digests (sha256.c, md5.c) call EVP_* through it. The CA bundle is a file
# curl names, never the system's
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
./configure --host="$HOST" --prefix=/usr --enable-static --disable-shared \
	--disable-examples --disable-crypttests --disable-benchmark \
	--enable-tls13 --disable-oldtls --enable-sni --enable-alpn \
	--enable-altcertchains --enable-session-ticket --enable-curve25519 \
	--enable-ed25519 --enable-opensslextra --enable-ip-alt-name --disable-sys-ca-certs
make -j"$JOBS"
make install DESTDIR="$DESTDIR"
rm -rf "${DESTDIR:?}/usr/bin" "${DESTDIR:?}/usr/share"
