#!/usr/bin/env bats
# HTTPS with what the image ships: libcurl over wolfSSL (pkgs/curl,
# pkgs/wolfssl), static with musl, against OpenSSL's s_server on loopback
# with a private CA: TLS 1.3 and 1.2, the host name always checked, an
# unknown CA refused, a client certificate (mTLS), and the Mozilla bundle
# from pkgs/ca-certificates loaded by wolfSSL as it is in the root.

setup_file() {
	load ../lib/common
	berth_make pkgs
	d=$BATS_FILE_TMPDIR
	"$OUT/toolchain/musl-cc" -Os -I"$OUT/sysroot/usr/include" -o "$d/probe" "$TOP/tests/lib/tls-probe.c" \
		-static -L"$OUT/sysroot/usr/lib" -lcurl -lwolfssl -lm
	# a CA, a server certificate for registry.test, one for other.test,
	# and a client certificate the server requires in the mTLS test
	cd "$d" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
		-days 2 -subj /CN=berth-test-ca 2>/dev/null
	for n in registry other client; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key -out $n.csr \
			-subj "/CN=$n.test" 2>/dev/null
		printf 'subjectAltName=DNS:%s.test\n' $n >$n.ext
		openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile $n.ext \
			-out $n.pem 2>/dev/null
	done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key -out rogue.pem \
		-days 2 -subj /CN=rogue-ca 2>/dev/null
}

setup() {
	load ../lib/common
	d=$BATS_FILE_TMPDIR
	port=$((20000 + RANDOM % 20000))
	srv=
}

teardown() {
	if [ -n "$srv" ]; then kill_running "$srv"; fi
}

# serve CERT [s_server options...]: s_server -www on 127.0.0.1:$port, waited for
serve() {
	local cert=$1
	shift
	openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$d/$cert.pem" -key "$d/$cert.key" -www "$@" \
		</dev/null >"$BATS_TEST_TMPDIR/server.log" 2>&1 &
	srv=$!
	wait_until 10 port_open
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

probe() { "$d/probe" "https://registry.test:$port/" --resolve "registry.test:$port:127.0.0.1" "$@"; }

@test "TLS 1.3 with a private CA: the response and the version" {
	serve registry -tls1_3
	run probe --cacert "$d/ca.pem"
	assert_success
	assert_output "http=200 tls=TLSv1.3"
}

@test "TLS 1.2 still works where a server has no 1.3" {
	serve registry -tls1_2
	run probe --cacert "$d/ca.pem"
	assert_success
	assert_output "http=200 tls=TLSv1.2"
}

@test "TLS 1.1 is refused: wolfSSL is built without old TLS" {
	serve registry -tls1_1 -cipher DEFAULT@SECLEVEL=0
	run probe --cacert "$d/ca.pem"
	assert_failure
	assert_output --regexp '^curl: \(35\) '
}

@test "a certificate for another name is refused: the host name is always checked" {
	serve other
	run probe --cacert "$d/ca.pem"
	assert_failure
	assert_output --regexp '^curl: \((51|60)\) '
}

@test "a certificate from a CA nobody trusts is refused" {
	serve registry
	run probe --cacert "$d/rogue.pem"
	assert_failure
	# curl 7.88 reports wolfSSL's "no signer" as 77, by this message
	assert_output --regexp '^curl: \(77\) +CA signer not available for verification$'
}

@test "the shipped Mozilla bundle loads (over 100 roots) and does not trust a private CA" {
	bundle=$OUT/sysroot/usr/share/berth/ca-certificates.crt
	[ "$(grep -c 'BEGIN CERTIFICATE' "$bundle")" -gt 100 ]
	serve registry
	run probe --cacert "$bundle"
	assert_failure
	# the peer is not trusted: the bundle itself was read
	assert_output --regexp '^curl: \(77\) +CA signer not available for verification$'
	# a bundle wolfSSL cannot read fails otherwise, naming the file
	head -c 3000 "$bundle" | tail -c 2000 >"$BATS_TEST_TMPDIR/broken.crt"
	run probe --cacert "$BATS_TEST_TMPDIR/broken.crt"
	assert_failure
	assert_output --regexp '^curl: \(77\) .*broken\.crt'
}

@test "a server that requires a client certificate: refused without, served with (mTLS)" {
	serve registry -Verify 1 -CAfile "$d/ca.pem"
	run probe --cacert "$d/ca.pem"
	assert_failure
	run probe --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client.key"
	assert_success
	assert_output --partial "http=200"
}
