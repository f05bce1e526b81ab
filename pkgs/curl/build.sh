# shellcheck shell=sh
# libcurl, static, over wolfSSL: HTTP and HTTPS only. Every other protocol,
# and what a container host never needs (cookies, HSTS and alt-svc caches,
# .netrc, NTLM, Kerberos, DoH, IDN, HTTP/2, compression libraries), is off
# at configure time. Proxies stay on: http_proxy, https_proxy and no_proxy
# are read from the environment by libcurl itself. The library only: Berth
# does not ship the curl command (busybox has wget)
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
./configure --host="$HOST" --prefix=/usr --enable-static --disable-shared \
	--with-wolfssl="$SYSROOT/usr" --without-zlib --without-brotli --without-zstd \
	--without-libpsl --without-libidn2 --without-nghttp2 --without-librtmp \
	--without-libssh2 --without-libssh --without-gssapi \
	--with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --without-ca-path \
	--disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
	--disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
	--disable-smb --disable-smtp --disable-gopher --disable-mqtt \
	--disable-manual --disable-ntlm --disable-ntlm-wb --disable-kerberos-auth \
	--disable-negotiate-auth --disable-aws --disable-cookies --disable-alt-svc \
	--disable-hsts --disable-netrc --disable-doh --disable-mime --disable-unix-sockets \
	--disable-progress-meter --disable-dict --enable-threaded-resolver --enable-proxy \
	LIBS="-lwolfssl -lm"
make -C lib -j"$JOBS" libcurl.la
make -C lib install-libLTLIBRARIES DESTDIR="$DESTDIR"
make -C include install DESTDIR="$DESTDIR"
make install-pkgconfigDATA DESTDIR="$DESTDIR"
