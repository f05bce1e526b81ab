#!/usr/bin/env bats
# The peers of berth pull's tests, checked with curl and skopeo alone
# (tests/lib/registry.bash): docker-registry plain, over TLS with a private
# CA (a wrong name and an expired certificate refused), behind htpasswd,
# behind token auth with tests/lib/token-issuer.py, and as a pull-through
# cache; a multi-arch index made by hand; and each mode of
# tests/lib/reg-front.py seen through its log: a redirect to another
# host:port, a blob cut once and resumed, a 429 once, a CONNECT proxy.
# shellcheck disable=SC2154 # bats' run sets status, output, lines

setup_file() {
	load ../lib/common
	load ../lib/registry
	D=$BATS_FILE_TMPDIR
	reg_ca "$D/ca"
	reg_image "$D"
	reg_multiarch "$D"
	reg_start plain
	reg_start tls --tls "$D/ca/server"
	reg_start other --tls "$D/ca/other"
	reg_start expired --tls "$D/ca/expired"
	reg_start auth --htpasswd alice 'open:sesame'
	reg_issuer tok --user bob --pass 'pass word'
	reg_start tok --token
	reg_start cache --proxy-remote "$REG_tok_URL" --proxy-user bob --proxy-pass 'pass word'
	reg_push "oci:$D/img:v1" "$REG_plain/x/img:v1"
	reg_push "oci:$D/img:v1" "$REG_tls/x/img:v1"
	# the first layer (1 MiB or busybox) of v1, the blob the fronts serve
	LAYER=$(jq -r '.layers[0].digest' "$D/img/blobs/sha256/$(manifest v1)")
	export LAYER
}

teardown_file() { reg_stop_all; }

setup() {
	load ../lib/common
	load ../lib/registry
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
}

# the fronts a test started
teardown() { reg_stop_all; }

# manifest TAG: the hex digest of TAG's manifest in the layout $D/img
manifest() {
	jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)
		| .digest | sub("sha256:"; "")' "$D/img/index.json"
}

# code URL [CURL OPTIONS]: the HTTP status of GET URL
code() { curl -s -o /dev/null -w '%{http_code}' "${@:2}" "$1"; }

# blob_sha FILE: FILE's sha256 as a digest
blob_sha() { echo "sha256:$(sha256sum <"$1" | cut -d' ' -f1)"; }

@test "a plain registry: skopeo pushes v1 and v2 and inspects them, digests and layers as in the layout" {
	run reg_push "oci:$D/img:v2" "$REG_plain/x/img:v2"
	assert_success
	run reg_inspect "$REG_plain/x/img:v1"
	assert_success
	[ "$(jq -r .Digest <<<"$output")" = "sha256:$(manifest v1)" ]
	[ "$(jq '.Layers | length' <<<"$output")" = 3 ]
	run reg_inspect "$REG_plain/x/img:v2"
	assert_success
	[ "$(jq -r .Digest <<<"$output")" = "sha256:$(manifest v2)" ]
	[ "$(jq '.Layers | length' <<<"$output")" = 4 ]
	assert_output --partial "$LAYER"
}

@test "TLS with the private CA: curl trusts it for 127.0.0.1 and localhost, not without it; skopeo pushes" {
	run curl -sS --cacert "$REG_tls_CA" "$REG_tls_URL/v2/"
	assert_success
	assert_output '{}'
	run curl -sS --cacert "$REG_tls_CA" "https://localhost:${REG_tls##*:}/v2/"
	assert_success
	run curl -sS "$REG_tls_URL/v2/"
	assert_failure 60
	run reg_push "oci:$D/img:v2" "$REG_tls/x/tls:v2"
	assert_success
	run reg_inspect "$REG_tls/x/tls:v2"
	assert_success
	assert_output --partial "sha256:$(manifest v2)"
}

@test "a certificate for another name and an expired one are refused by curl and skopeo" {
	run curl -sS --cacert "$REG_other_CA" "$REG_other_URL/v2/"
	assert_failure 60
	assert_output --partial 'no alternative certificate subject name matches'
	run curl -sS --cacert "$REG_expired_CA" "$REG_expired_URL/v2/"
	assert_failure 60
	assert_output --partial 'certificate has expired'
	run reg_push "oci:$D/img:v1" "$REG_other/x/img:v1"
	assert_failure
	assert_output --partial "doesn't contain any IP SANs"
	run reg_push "oci:$D/img:v1" "$REG_expired/x/img:v1"
	assert_failure
	assert_output --partial 'certificate has expired'
}

@test "htpasswd: 401 without credentials or with wrong ones, 200 with them; skopeo pushes with them" {
	run code "$REG_auth_URL/v2/"
	assert_output 401
	run code "$REG_auth_URL/v2/" -u alice:wrong
	assert_output 401
	run code "$REG_auth_URL/v2/" -u 'alice:open:sesame'
	assert_output 200
	run skopeo copy -q --dest-tls-verify=false "oci:$D/img:v1" "docker://$REG_auth/x/img:v1"
	assert_failure
	assert_output --partial 'unauthorized: authentication required'
	run reg_push "oci:$D/img:v1" "$REG_auth/x/img:v1"
	assert_success
	run reg_inspect "$REG_auth/x/img:v1"
	assert_success
	assert_output --partial "sha256:$(manifest v1)"
}

@test "token auth by hand: a Bearer challenge, a token from its realm opens the manifest, none without" {
	run reg_push "oci:$D/img:v1" "$REG_tok/x/img:v1"
	assert_success
	run curl -sS -o /dev/null -D - "$REG_tok_URL/v2/x/img/manifests/v1"
	assert_success
	assert_output --partial 'HTTP/1.1 401'
	assert_output --partial "Www-Authenticate: Bearer realm=\"$ISSUER_tok\",service=\"berth-test\",scope=\"repository:x/img:pull\""
	run code "$ISSUER_tok?service=berth-test&scope=repository:x/img:pull" -u bob:wrong
	assert_output 401
	run code "$ISSUER_tok?service=berth-test&scope=repository:x/img:pull"
	assert_output 401
	run curl -sS -u 'bob:pass word' "$ISSUER_tok?service=berth-test&scope=repository:x/img:pull"
	assert_success
	token=$(jq -r .token <<<"$output")
	[ "$(cut -d. -f1 <<<"$token" | base64 -d 2>/dev/null | jq -r .alg)" = ES256 ]
	run code "$REG_tok_URL/v2/x/img/manifests/v1" -H "Authorization: Bearer $token" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json'
	assert_output 200
	# the token is for x/img and pull only
	run code "$REG_tok_URL/v2/x/other/manifests/v1" -H "Authorization: Bearer $token"
	assert_output 401
	run code "$REG_tok_URL/v2/x/img/manifests/v1" -H 'Authorization: Bearer not.a.token'
	assert_output 401
	# the log says a request had credentials, never what they were
	run cat "$ISSUER_tok_LOG"
	assert_output --partial 'GET /token?service=berth-test&scope=repository:x/img:pull 200 auth=yes'
	assert_output --partial 'GET /token?service=berth-test&scope=repository:x/img:pull 401 auth=no'
	refute_output --partial 'pass word'
	refute_output --partial "$(printf 'bob:pass word' | base64)"
}

@test "token auth with skopeo: it pushes with credentials and inspects, and fails without" {
	run reg_push "oci:$D/img:v2" "$REG_tok/x/tok:v2"
	assert_success
	run reg_inspect "$REG_tok/x/tok:v2"
	assert_success
	assert_output --partial "sha256:$(manifest v2)"
	run skopeo inspect --tls-verify=false "docker://$REG_tok/x/tok:v2"
	assert_failure
	assert_output --partial 'unable to retrieve auth token'
	run grep -c 'scope=repository%3Ax%2Ftok%3Apull%2Cpush' "$ISSUER_tok_LOG"
	assert_success
}

@test "a pull-through cache serves what is pushed to its upstream (token auth, its own credentials)" {
	run reg_push "oci:$D/img:v2" "$REG_tok/x/cached:v2"
	assert_success
	run reg_inspect "$REG_cache/x/cached:v2"
	assert_success
	assert_output --partial "sha256:$(manifest v2)"
	run skopeo copy -q --src-tls-verify=false "docker://$REG_cache/x/cached:v2" "oci:$T/copy:v2"
	assert_success
	[ "$(jq -r '.manifests[0].digest' "$T/copy/index.json")" = "sha256:$(manifest v2)" ]
	# the cache asked its upstream, with a token
	run grep 'GET /v2/x/cached/manifests/v2 .* 200 ' "$REG_tok_LOG"
	assert_success
	# and keeps no push of its own
	run reg_push "oci:$D/img:v1" "$REG_cache/x/pushed:v1"
	assert_failure
}

@test "a multi-arch index made by hand: amd64 and arm64 in the layout, pushed with skopeo copy --all" {
	run skopeo inspect --raw "oci:$D/multi:multi"
	assert_success
	[ "$(jq -r '[.manifests[].platform.architecture] | join(" ")' <<<"$output")" = "amd64 arm64" ]
	[ "$(skopeo inspect --raw "oci:$D/multi:multi" | sha256sum | cut -d' ' -f1)" = "${REG_MULTI_INDEX#sha256:}" ]
	run skopeo copy -q --all "oci:$D/multi:multi" "docker://$REG_plain/x/multi:1" --dest-tls-verify=false
	assert_success
	run reg_inspect "$REG_plain/x/multi:1" --raw
	assert_success
	assert_output --partial '"mediaType":"application/vnd.oci.image.index.v1+json"'
	assert_output --partial "$REG_MULTI_AMD64"
	assert_output --partial "$REG_MULTI_ARM64"
	run reg_inspect "$REG_plain/x/multi:1" --override-arch arm64 --override-variant v8
	assert_success
	[ "$(jq -r .Architecture <<<"$output")" = arm64 ]
	[ "$(jq -r .Digest <<<"$output")" = "$REG_MULTI_INDEX" ]
	run reg_inspect "$REG_plain/x/multi@$REG_MULTI_ARM64"
	assert_success
	[ "$(jq -r .Architecture <<<"$output")" = arm64 ]
	run reg_inspect "$REG_plain/x/multi@$REG_MULTI_AMD64"
	assert_success
	[ "$(jq -r .Architecture <<<"$output")" = amd64 ]
}

@test "redirect front: a blob is a 307 to another host:port, where curl sends no Authorization" {
	reg_front r redirect --upstream "$REG_plain_URL"
	run curl -sS -o /dev/null -D - "http://$FRONT_r/v2/x/img/blobs/$LAYER"
	assert_success
	assert_output --partial 'HTTP/1.1 307'
	loc=$(sed -n 's/^Location: *\([^\r]*\).*/\1/p' <<<"$output")
	[[ $loc == http://localhost:*/v2/x/img/blobs/$LAYER\?sig=* ]]
	hostport=${loc#http://}
	[ "${hostport%%/*}" != "$FRONT_r" ]
	run curl -sS -L -H 'Authorization: Bearer secret' -o "$T/blob" "http://$FRONT_r/v2/x/img/blobs/$LAYER"
	assert_success
	[ "$(blob_sha "$T/blob")" = "$LAYER" ]
	# the log tells one from the other: curl told to send it on anyway
	run curl -sS --location-trusted -H 'Authorization: Bearer secret' -o /dev/null "http://$FRONT_r/v2/x/img/blobs/$LAYER"
	assert_success
	run cat "$FRONT_r_LOG"
	assert_output --partial "front GET /v2/x/img/blobs/$LAYER 307 auth=yes location=http://localhost:"
	[ "$(grep -c "^redirected GET /v2/x/img/blobs/$LAYER?sig=[0-9a-f]* 200 auth=no$" "$FRONT_r_LOG")" = 1 ]
	[ "$(grep -c "^redirected GET /v2/x/img/blobs/$LAYER?sig=[0-9a-f]* 200 auth=yes$" "$FRONT_r_LOG")" = 1 ]
	# what is not a blob passes through
	run code "http://$FRONT_r/v2/x/img/manifests/v1" -H 'Accept: application/vnd.oci.image.manifest.v1+json'
	assert_output 200
}

@test "redirect front before token auth: 401 first, then the 307 and the blob without the token" {
	reg_front rt redirect --upstream "$REG_tok_URL"
	run code "http://$FRONT_rt/v2/x/img/blobs/$LAYER"
	assert_output 401
	token=$(curl -sS -u 'bob:pass word' "$ISSUER_tok?service=berth-test&scope=repository:x/img:pull" | jq -r .token)
	run curl -sS -L -H "Authorization: Bearer $token" -o "$T/blob" "http://$FRONT_rt/v2/x/img/blobs/$LAYER"
	assert_success
	[ "$(blob_sha "$T/blob")" = "$LAYER" ]
	run cat "$FRONT_rt_LOG"
	assert_output --partial "front GET /v2/x/img/blobs/$LAYER 401 auth=no"
	assert_output --partial "front GET /v2/x/img/blobs/$LAYER 307 auth=yes"
	assert_output --regexp "redirected GET /v2/x/img/blobs/$LAYER\?sig=[0-9a-f]+ 200 auth=no"
}

@test "drop-once front: the first GET of a blob stops at half, curl -C - resumes with a Range and the sha256 matches" {
	reg_front d drop-once --upstream "$REG_plain_URL"
	size=$(curl -sS -I "$REG_plain_URL/v2/x/img/blobs/$LAYER" | sed -n 's/^Content-Length: *\([0-9]*\).*/\1/p')
	[ "$size" -gt 1000 ]
	run curl -sS -o "$T/blob" "http://$FRONT_d/v2/x/img/blobs/$LAYER"
	assert_failure 18
	[ "$(stat -c %s "$T/blob")" = $((size / 2)) ]
	run curl -sS -C - -o "$T/blob" "http://$FRONT_d/v2/x/img/blobs/$LAYER"
	assert_success
	[ "$(stat -c %s "$T/blob")" = "$size" ]
	[ "$(blob_sha "$T/blob")" = "$LAYER" ]
	run cat "$FRONT_d_LOG"
	assert_output --partial "front GET /v2/x/img/blobs/$LAYER 200 auth=no cut=$((size / 2))/$size"
	assert_output --partial "front GET /v2/x/img/blobs/$LAYER 206 auth=no range=bytes=$((size / 2))-"
	# once only: a third GET is whole
	run curl -sS -o "$T/again" "http://$FRONT_d/v2/x/img/blobs/$LAYER"
	assert_success
	[ "$(blob_sha "$T/again")" = "$LAYER" ]
}

@test "429-once front: the first request to a path is a 429 with Retry-After: 1, the next a 200" {
	reg_front q 429-once --upstream "$REG_plain_URL"
	run curl -sS -o /dev/null -D - "http://$FRONT_q/v2/x/img/manifests/v1"
	assert_success
	assert_output --partial 'HTTP/1.1 429'
	assert_output --partial 'Retry-After: 1'
	run code "http://$FRONT_q/v2/x/img/manifests/v1" -H 'Accept: application/vnd.oci.image.manifest.v1+json'
	assert_output 200
	# each path has its own first time
	run code "http://$FRONT_q/v2/"
	assert_output 429
	run cat "$FRONT_q_LOG"
	assert_output "front GET /v2/x/img/manifests/v1 429 auth=no retry-after=1
front GET /v2/x/img/manifests/v1 200 auth=no
front GET /v2/ 429 auth=no retry-after=1"
}

# (not skopeo: Go's clients never use a proxy for a loopback address)
@test "connect-proxy front: curl -x reaches the TLS registry by CONNECT, the plain one by absolute URI, nothing else" {
	reg_front p connect-proxy
	run curl -sS -x "http://$FRONT_p" --cacert "$REG_tls_CA" "$REG_tls_URL/v2/"
	assert_success
	assert_output '{}'
	run curl -sS -x "http://$FRONT_p" "$REG_plain_URL/v2/"
	assert_success
	assert_output '{}'
	run code http://192.0.2.1/v2/ -x "http://$FRONT_p"
	assert_output 403
	run cat "$FRONT_p_LOG"
	assert_output "proxy CONNECT $REG_tls 200 auth=no
proxy GET $REG_plain_URL/v2/ 200 auth=no
proxy GET http://192.0.2.1/v2/ 403 auth=no"
}
