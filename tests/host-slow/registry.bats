#!/usr/bin/env bats
# berth pull, login and logout against Debian's docker-registry
# (distribution 2.8) and the peers of tests/lib/registry.bash: plain HTTP on
# loopback, TLS with a private CA, htpasswd, token auth with a token issuer,
# a pull-through cache as a mirror, a two-platform index, and fronts that
# redirect, cut a blob, answer 429 and proxy CONNECT. Images are made by
# umoci and pushed by skopeo. Each test has its own store and /etc.
# shellcheck disable=SC2154 # bats' run sets status, output, lines
# shellcheck disable=SC2030,SC2031 # a test may use a store of its own

setup_file() {
	load ../lib/common
	load ../lib/registry
	D=$BATS_FILE_TMPDIR
	berth_bin "$D/bin"
	reg_ca "$D/ca"
	reg_image "$D"
	reg_multiarch "$D"
	reg_start plain
	reg_start tls --tls "$D/ca/server"
	reg_push "oci:$D/img:v1" "$REG_tls/x/img:v1"
	# a registry whose certificate names another host, serving the same
	# storage (skopeo will not push to it)
	mkdir -p "$D/reg-other"
	cp -a "$D/reg-tls/data" "$D/reg-other/"
	reg_start other --tls "$D/ca/other"
	reg_start auth --htpasswd alice 'open:sesame'
	reg_issuer tok --user bob --pass 'pass word'
	reg_start tok --token
	reg_start cache --proxy-remote "$REG_tok_URL" --proxy-user bob --proxy-pass 'pass word'
	reg_push "oci:$D/img:v1" "$REG_plain/x/img:v1"
	reg_push "oci:$D/img:v2" "$REG_plain/x/img:v2"
	reg_push "oci:$D/img:v1" "$REG_auth/x/img:v1"
	reg_push "oci:$D/img:v1" "$REG_tok/x/img:v1"
	reg_push "oci:$D/multi:multi" "$REG_plain/x/multi:1" --all
}

teardown_file() { reg_stop_all; }

setup() {
	load ../lib/common
	load ../lib/registry
	D=$BATS_FILE_TMPDIR T=$BATS_TEST_TMPDIR
	BERTH=$D/bin/berth
	export BERTH_ROOT=$T/store BERTH_ETC=$T/etc
	mkdir -p "$BERTH_ETC/berth"
	unset http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY
}

# the fronts a test started
teardown() {
	local n
	for n in redirect drop slow busy proxy huge expired deny; do reg_stop "$n"; done
}

# manifest TAG: the digest of TAG's manifest in the layout $D/img
manifest() {
	jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
		"$D/img/index.json"
}

# stored NAME TAG: images.json's entry for NAME:TAG, as JSON
stored() { jq -e --arg n "$1" --arg t "$2" '.images[] | select(.name == $n and .tag == $t)' "$BERTH_ROOT/images.json"; }

# registries YAML: /etc/berth/registries.yaml of this test
registries() { printf '%s\n' "$1" >"$BERTH_ETC/berth/registries.yaml"; }

# via_front NAME: registries.yaml sends $REG_plain's pulls through the front
# NAME (reg_front), as its mirror
via_front() {
	local f=FRONT_$1
	registries "mirrors:
  \"$REG_plain\":
    endpoint: [http://${!f}]"
}

# layer_file PATH: PATH in the top layer directory that has it
layer_has() { compgen -G "$BERTH_ROOT/layers/*/$1" >/dev/null; }

# blob_gets LOG DIGEST: how many GETs of that blob LOG has
blob_gets() { grep -c "GET /v2/.*/blobs/$2" "$1" || true; }

# nothing half-stored: no image named, no blob, no layer, no partial left in the store
store_clean() {
	[ ! -e "$BERTH_ROOT/images.json" ] || jq -e '.images == []' "$BERTH_ROOT/images.json"
	[ -z "$(ls -A "$BERTH_ROOT/blobs/sha256" 2>/dev/null)" ]
	[ -z "$(ls -A "$BERTH_ROOT/layers" 2>/dev/null)" ]
}

@test "berth pull from a plain loopback registry: layers unpacked, named host:port/repo:tag, the repo digest kept" {
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_success
	assert_line "v1: Pulling from x/img"
	assert_line "Digest: $(manifest v1)"
	assert_line "Status: Downloaded newer image for $REG_plain/x/img:v1"
	assert_line "$REG_plain/x/img:v1"
	[ "$(grep -c ': Download complete$' <<<"$output")" -eq 4 ] # the config and 3 layers
	run stored "$REG_plain/x/img" v1
	assert_success
	[ "$(jq -r .repo_digest <<<"$output")" = "$(manifest v1)" ]
	[ "$(jq -r .manifest <<<"$output")" = "$(manifest v1)" ]
	layer_has etc/hello
	run "$BERTH" images
	assert_output --partial "$REG_plain/x/img"
	# the downloads are in the store now, not kept twice
	[ -z "$(ls -A "$BERTH_ROOT/downloads/sha256")" ]
}

@test "berth pull on a terminal: one bar per blob, redrawn in place, as docker draws them" {
	# script(1) gives the pull a pseudo-terminal; its output is kept raw
	script -qefc "$BERTH pull $REG_plain/x/img:v1" "$T/tty.log" >/dev/null </dev/null
	tr -d '\r' <"$T/tty.log" >"$T/tty"
	grep -q "^v1: Pulling from x/img$" "$T/tty"
	# the four bars (config and 3 layers) start queued and end complete:
	# the last frame comes after the last "up 4 lines"
	[ "$(grep -c $'\e\\[4A' "$T/tty")" -ge 1 ]
	awk 'BEGIN { RS = "\033\\[4A" } { last = $0 } END { printf "%s", last }' "$T/tty" >"$T/frame"
	[ "$(grep -cE $'^\e\\[2K[0-9a-f]{12}: Download complete$' "$T/frame")" -eq 4 ]
	grep -qE $'^\e\\[2K[0-9a-f]{12}: Pulling fs layer$' "$T/tty"
	grep -q "^Status: Downloaded newer image for $REG_plain/x/img:v1$" "$T/frame"
	# off a terminal, no escape sequence at all
	rm -rf "$BERTH_ROOT"
	"$BERTH" pull "$REG_plain/x/img:v1" >"$T/plain"
	run grep -c $'\e' "$T/plain"
	assert_output 0
}

@test "a second pull fetches nothing; v2 fetches only its new layer" {
	"$BERTH" pull -q "$REG_plain/x/img:v1"
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_success
	assert_line "Status: Image is up to date for $REG_plain/x/img:v1"
	refute_output --partial "Download complete"
	run "$BERTH" pull "$REG_plain/x/img:v2"
	assert_success
	[ "$(grep -c ': Already exists$' <<<"$output")" -eq 3 ]
	[ "$(grep -c ': Download complete$' <<<"$output")" -eq 2 ] # its config and its new layer
	stored "$REG_plain/x/img" v2
}

@test "a pull by digest, and a digest the registry does not have: one line naming the reference, host and reason" {
	run "$BERTH" pull "$REG_plain/x/img@$(manifest v1)"
	assert_success
	run jq -r --arg d "$(manifest v1)" '.images[] | select(.repo_digest == $d) | .tag' "$BERTH_ROOT/images.json"
	assert_output "<none>"
	run "$BERTH" pull "$REG_plain/x/img@sha256:$(printf '0%.0s' {1..64})"
	assert_failure 1
	assert_line --regexp "^berth pull: pull $REG_plain/x/img@sha256:0+: $REG_plain: HTTP 404 Not Found: MANIFEST_UNKNOWN"
	run "$BERTH" pull "$REG_plain/x/nosuch:v1"
	assert_failure 1
	assert_output --partial "$REG_plain: HTTP 404 Not Found"
	[ "${#lines[@]}" -eq 1 ]
}

@test "references in Docker's grammar: bad ones refused before any request, with the reason" {
	run "$BERTH" pull "$REG_plain/X/Img:v1"
	assert_failure 1
	assert_output --partial "repository name must be lowercase"
	run "$BERTH" pull "x/img:-v1"
	assert_failure 1
	assert_output --partial "is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
	run "$BERTH" pull "x//img"
	assert_failure 1
	assert_output --partial "is not a valid name component"
	run "$BERTH" pull "x/img@sha256:abc"
	assert_failure 1
	assert_output --partial "the digest is not sha256:<64 lowercase hex digits>"
}

@test "a two-platform index: this machine's linux/amd64 image is pulled, its config says so" {
	[ "$(uname -m)" = x86_64 ] || skip "the index's arm64 image is not this machine's"
	run "$BERTH" pull "$REG_plain/x/multi:1"
	assert_success
	assert_line "Digest: $REG_MULTI_INDEX"
	run stored "$REG_plain/x/multi" 1
	assert_success
	[ "$(jq -r .repo_digest <<<"$output")" = "$REG_MULTI_INDEX" ]
	[ "$(jq -r .manifest <<<"$output")" = "$REG_MULTI_AMD64" ]
	config=$(jq -r .config <<<"$output")
	[ "$(jq -r .architecture "$BERTH_ROOT/blobs/sha256/${config#sha256:}")" = amd64 ]
	# the arm64 manifest by its digest: no index to choose from, and its
	# programs would not run here
	export BERTH_ROOT=$T/store2
	run "$BERTH" pull "$REG_plain/x/multi@$REG_MULTI_ARM64"
	assert_failure
	assert_output --regexp "config sha256:[0-9a-f]{64}: an image for linux/arm64, and this machine is linux/amd64: refused"
	store_clean
}

@test "an index without this machine's platform: one line naming the reference and listing the platforms it has" {
	# the two-platform layout's arm64 image, alone in an index with a
	# made-up s390x entry (the same manifest): no linux/amd64
	cp -a "$D/multi" "$T/multi"
	b=$T/multi/blobs/sha256
	msize=$(stat -c %s "$b/${REG_MULTI_ARM64#sha256:}")
	jq -nc --arg r "$REG_MULTI_ARM64" --argjson s "$msize" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
		{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $r, size: $s,
		 platform: {architecture: "arm64", os: "linux", variant: "v8"}},
		{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $r, size: $s,
		 platform: {architecture: "s390x", os: "linux"}}]}' >"$T/index"
	idx=sha256:$(sha256sum <"$T/index" | cut -d' ' -f1)
	mv "$T/index" "$b/${idx#sha256:}"
	jq -nc --arg i "$idx" --argjson s "$(stat -c %s "$b/${idx#sha256:}")" '{schemaVersion: 2, manifests: [{
		mediaType: "application/vnd.oci.image.index.v1+json", digest: $i, size: $s,
		annotations: {"org.opencontainers.image.ref.name": "other"}}]}' >"$T/multi/index.json"
	reg_push "oci:$T/multi:other" "$REG_plain/x/other:1" --all
	run "$BERTH" pull "$REG_plain/x/other:1"
	assert_failure
	assert_line "1: Pulling from x/other"
	assert_line "berth pull: pull $REG_plain/x/other:1: $REG_plain: no image for linux/amd64 in the index (it has linux/arm64/v8, linux/s390x)"
	store_clean
}

@test "an expired certificate is refused, its CA trusted: one line naming the host and why" {
	reg_start expired --tls "$D/ca/expired"
	registries "configs:
  \"$REG_expired\":
    tls: {ca_file: $D/ca/ca.crt}"
	run "$BERTH" pull "$REG_expired/x/img:v1"
	reg_stop expired
	assert_failure
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp "^berth pull: pull $REG_expired/x/img:v1: $REG_expired: .*(expired|date)"
	store_clean
}

@test "a layer of a media type Berth does not know: one line naming it, before any blob is fetched" {
	reg_push "oci:$D/img:v1" "$REG_plain/x/odd:v1"
	m=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REG_plain_URL/v2/x/odd/manifests/v1")
	jq -c '.layers[0].mediaType = "application/vnd.example.layer.v1.tar+lz4"' <<<"$m" >"$T/m"
	curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$T/m" \
		"$REG_plain_URL/v2/x/odd/manifests/odd" >/dev/null
	: >"$REG_plain_LOG"
	run "$BERTH" pull "$REG_plain/x/odd:odd"
	assert_failure
	assert_line "odd: Pulling from x/odd"
	assert_line "berth pull: pull $REG_plain/x/odd:odd: manifest: layers[0]: media type \"application/vnd.example.layer.v1.tar+lz4\" is not a layer type Berth knows"
	run grep -c "GET /v2/x/odd/blobs/" "$REG_plain_LOG"
	assert_output 0
	store_clean
}

@test "TLS with a private CA: refused as an unknown CA, pulled with tls.ca_file; a wrong name is refused" {
	run "$BERTH" pull "$REG_tls/x/img:v1"
	assert_failure
	assert_output --partial "$REG_tls"
	assert_output --partial "CA signer not available for verification"
	store_clean
	registries "configs:
  \"$REG_tls\":
    tls: {ca_file: $D/ca/ca.crt}
  \"$REG_other\":
    tls: {ca_file: $D/ca/ca.crt}"
	run "$BERTH" pull "$REG_tls/x/img:v1"
	assert_success
	stored "$REG_tls/x/img" v1
	run "$BERTH" pull "$REG_other/x/img:v1"
	assert_failure
	assert_output --partial "$REG_other"
	refute_output --partial "Download complete"
}

@test "insecure_skip_verify is explicit and warns on every use" {
	registries "configs:
  \"$REG_other\":
    tls:
      insecure_skip_verify: true"
	run "$BERTH" pull "$REG_other/x/img:v1"
	assert_success
	assert_output --partial "$REG_other: TLS certificates are not checked (insecure_skip_verify in registries.yaml)"
}

@test "htpasswd: no credentials is one line saying berth login; login checks them, keeps them 0600; logout removes them" {
	run "$BERTH" pull "$REG_auth/x/img:v1"
	assert_failure 1
	assert_output --partial "the registry needs credentials (HTTP 401, Basic): berth login $REG_auth"
	run "$BERTH" login -u alice --password-stdin "$REG_auth" <<<"wrong"
	assert_failure 1
	assert_output --partial "the credentials were refused"
	refute_output --partial wrong
	[ ! -e "$BERTH_ETC/berth/auth.json" ]
	run "$BERTH" login -u alice --password-stdin "$REG_auth" <<<"open:sesame"
	assert_success
	assert_output "Login Succeeded"
	[ "$(stat -c %a "$BERTH_ETC/berth/auth.json")" = 600 ]
	[ "$(jq -r --arg h "$REG_auth" '.auths[$h].auth' "$BERTH_ETC/berth/auth.json" | base64 -d)" = "alice:open:sesame" ]
	run "$BERTH" pull "$REG_auth/x/img:v1"
	assert_success
	refute_output --partial sesame
	run "$BERTH" login -p x "$REG_auth"
	assert_failure 100
	run "$BERTH" logout "$REG_auth"
	assert_output "Removing login credentials for $REG_auth"
	jq -e '.auths == {}' "$BERTH_ETC/berth/auth.json"
	run "$BERTH" logout "$REG_auth"
	assert_output "Not logged in to $REG_auth"
}

@test "token auth: the Bearer challenge's realm gives a token for the scope, with credentials from registries.yaml" {
	run "$BERTH" pull "$REG_tok/x/img:v1"
	assert_failure 1
	assert_output --partial "the token server refused an anonymous token"
	registries "configs:
  \"$REG_tok\":
    auth: {username: bob, password: pass word}"
	: >"$ISSUER_tok_LOG"
	run "$BERTH" pull "$REG_tok/x/img:v1"
	assert_success
	refute_output --partial "pass word"
	# one token for the whole pull: the probe's, then reused for every blob
	# (the download processes fetch their own on the registry's 401)
	grep -q 'scope=repository%3Ax%2Fimg%3Apull' "$ISSUER_tok_LOG"
	grep -q 'auth=yes' "$ISSUER_tok_LOG"
	stored "$REG_tok/x/img" v1
}

@test "a mirror from registries.yaml: a dead one is one warning, the pull-through cache serves the image" {
	registries "mirrors:
  \"$REG_tok\":
    endpoint:
      - http://127.0.0.1:9
      - $REG_cache_URL
configs:
  \"$REG_tok\":
    auth: {username: bob, password: pass word}"
	: >"$REG_cache_LOG"
	run "$BERTH" pull "$REG_tok/x/img:v1"
	assert_success
	assert_output --partial "http://127.0.0.1:9: 127.0.0.1:9: connect to 127.0.0.1 port 9: Connection refused; trying $REG_cache_URL"
	grep -q 'GET /v2/x/img/manifests/v1' "$REG_cache_LOG"
	stored "$REG_tok/x/img" v1
}

@test "a mirror that lacks the image is one warning; the next endpoint, the upstream, serves it" {
	# the token registry has x/img:v1 only
	registries "mirrors:
  \"$REG_plain\":
    endpoint: [$REG_tok_URL]
configs:
  \"$REG_tok\":
    auth: {username: bob, password: pass word}"
	: >"$REG_plain_LOG"
	run "$BERTH" pull "$REG_plain/x/img:v2"
	assert_success
	assert_line --regexp "^berth pull: $REG_tok_URL: $REG_tok: HTTP 404 Not Found: MANIFEST_UNKNOWN manifest unknown; trying https://$REG_plain\$"
	[ "$(grep -c "; trying " <<<"$output")" -eq 1 ]
	grep -q 'GET /v2/x/img/manifests/v2' "$REG_plain_LOG"
	stored "$REG_plain/x/img" v2
}

@test "auth.json: a HOST/NAMESPACE key beats the HOST key for the repositories below it" {
	b64() { printf %s "$1" | base64 -w0; }
	jq -n --arg h "$REG_auth" --arg x "$REG_auth/x" --arg y "$REG_auth/y" \
		--arg bad "$(b64 alice:wrong)" --arg good "$(b64 'alice:open:sesame')" \
		'{auths: {($h): {auth: $bad}, ($x): {auth: $good}, ($y): {auth: $bad}}}' >"$BERTH_ETC/berth/auth.json"
	run "$BERTH" pull -q "$REG_auth/x/img:v1"
	assert_success
	stored "$REG_auth/x/img" v1
	# the HOST key alone is the wrong password: refused, and never printed
	jq '.auths |= with_entries(select(.key | contains("/") | not))' "$BERTH_ETC/berth/auth.json" >"$T/a"
	mv "$T/a" "$BERTH_ETC/berth/auth.json"
	run "$BERTH" pull -q "$REG_auth/x/img:v1"
	assert_failure
	assert_output --partial "the credentials were refused"
	refute_output --partial wrong
}

@test "a blob redirected to another host:port is followed without Authorization" {
	reg_front redirect redirect --upstream "$REG_auth_URL"
	registries "mirrors:
  \"$REG_auth\":
    endpoint: [http://$FRONT_redirect]
configs:
  \"$FRONT_redirect\":
    auth: {username: alice, password: \"open:sesame\"}"
	run "$BERTH" pull "$REG_auth/x/img:v1"
	assert_success
	grep -q '^front GET /v2/x/img/blobs/.* 307 auth=yes' "$FRONT_redirect_LOG"
	grep -q '^redirected GET /v2/x/img/blobs/' "$FRONT_redirect_LOG"
	run grep '^redirected ' "$FRONT_redirect_LOG"
	refute_output --partial "auth=yes"
}

@test "a presigned URL of 4000 bytes is followed; one longer than Berth keeps is refused, not cut" {
	reg_front redirect redirect --upstream "$REG_plain_URL" --pad 4000
	via_front redirect
	run "$BERTH" pull -q "$REG_plain/x/img:v1"
	assert_success
	grep -q '^redirected GET /v2/x/img/blobs/.* 200' "$FRONT_redirect_LOG"
	reg_stop redirect
	reg_front redirect redirect --upstream "$REG_plain_URL" --pad 9000
	via_front redirect
	export BERTH_ROOT=$T/store2
	run "$BERTH" pull -q "$REG_plain/x/img:v1"
	assert_failure
	assert_output --regexp "$FRONT_redirect: HTTP 307 [A-Za-z ]* to a URL longer than 8191 bytes: refused"
	store_clean
}

@test "a manifest over the spec's 4 MiB is refused, with a Content-Length or chunked; nothing is stored" {
	for how in "" --chunked; do
		reg_front huge huge-manifest --upstream "$REG_plain_URL" $how
		# the front as the registry: no endpoint after it
		run "$BERTH" pull -q "$FRONT_huge/x/img:v1"
		assert_failure
		if [ -z "$how" ]; then
			assert_output "berth pull: pull $FRONT_huge/x/img:v1: $FRONT_huge: a body of 5242880 bytes, more than 4194304"
		else
			assert_output --regexp "^berth pull: pull $FRONT_huge/x/img:v1: $FRONT_huge: .*a body of more than 4194304 bytes\$"
		fi
		store_clean
		reg_stop huge
	done
	# as a mirror, it is one warning: the upstream serves the image
	reg_front huge huge-manifest --upstream "$REG_plain_URL"
	via_front huge
	run "$BERTH" pull -q "$REG_plain/x/img:v1"
	assert_success
	assert_output --regexp "^berth pull: http://$FRONT_huge: $FRONT_huge: a body of 5242880 bytes, more than 4194304; trying https://$REG_plain\$"
	stored "$REG_plain/x/img" v1
}

@test "403 from the registry: one line with its error code and message; nothing is stored" {
	reg_front deny forbid --upstream "$REG_plain_URL"
	run "$BERTH" pull "$FRONT_deny/x/img:v1"
	assert_failure
	assert_output "berth pull: pull $FRONT_deny/x/img:v1: $FRONT_deny: HTTP 403 Forbidden: DENIED requested access to the resource is denied"
	store_clean
}

@test "a blob cut mid-transfer resumes with Range; the digest still holds" {
	reg_front drop drop-once --upstream "$REG_plain_URL"
	via_front drop
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_success
	assert_output --partial "resuming at byte"
	grep -q ' 206 .*range=bytes=' "$FRONT_drop_LOG"
	layer_has etc/hello
}

@test "a blob that never arrives whole: six tries, one line saying so, what came kept; the next pull goes on from there" {
	reg_front drop drop-always --upstream "$REG_plain_URL"
	via_front drop
	run "$BERTH" pull -q "$REG_plain/x/img:v1"
	assert_failure
	assert_line --regexp "^berth pull: pull $REG_plain/x/img:v1: (layer|config) sha256:[0-9a-f]{64}: the transfer broke 6 times \(the last: [^)]*\); [0-9]+ of [0-9]+ bytes kept for the next pull\$"
	store_clean
	partial_bytes
	rm "$BERTH_ETC/berth/registries.yaml"
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_success
	assert_output --regexp ": Resuming at byte [1-9][0-9]* of [0-9]+ \(kept from an earlier pull\)"
	stored "$REG_plain/x/img" v1
	layer_has etc/hello
}

@test "a 206 from another byte than the Range asked: one line, the blob fetched again from its start" {
	reg_front drop wrong-range --upstream "$REG_plain_URL"
	via_front drop
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_success
	assert_line --regexp "^[0-9a-f]{12}: the registry answered from byte 0 for byte [1-9][0-9]*: starting again\$"
	grep -q ' 206 .*content-range=0' "$FRONT_drop_LOG"
	stored "$REG_plain/x/img" v1
	layer_has etc/hello
}

@test "429 with Retry-After is retried, one line per try" {
	reg_front busy 429-once --upstream "$REG_plain_URL"
	via_front busy
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_success
	assert_output --partial "$FRONT_busy: HTTP 429 Too Many Requests, try 2 of 5 in 1 s"
	stored "$REG_plain/x/img" v1
}

@test "https_proxy: the pull goes through the CONNECT proxy, TLS checked end to end" {
	reg_front proxy connect-proxy
	registries "configs:
  \"$REG_tls\":
    tls: {ca_file: $D/ca/ca.crt}"
	https_proxy=http://$FRONT_proxy run "$BERTH" pull "$REG_tls/x/img:v1"
	assert_success
	grep -q "CONNECT $REG_tls" "$FRONT_proxy_LOG"
	stored "$REG_tls/x/img" v1
}

@test "proxy.env (user-data's berth: proxy:) is read by every download" {
	reg_front proxy connect-proxy
	printf 'http_proxy=http://%s\n' "$FRONT_proxy" >"$BERTH_ETC/berth/proxy.env"
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_success
	grep -q "GET http://$REG_plain/v2/x/img/manifests/v1" "$FRONT_proxy_LOG"
}

@test "a blob whose bytes do not match its digest is refused; nothing is stored, the next pull starts over" {
	reg_start bad
	reg_push "oci:$D/img:v1" "$REG_bad/x/img:v1"
	layer=$(jq -r '.layers[1].digest' "$D/img/blobs/sha256/$(manifest v1 | cut -d: -f2)")
	f=$(find "$REG_bad_DIR" -path "*/blobs/sha256/*/${layer#sha256:}/data")
	[ -f "$f" ]
	printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
	run "$BERTH" pull "$REG_bad/x/img:v1"
	assert_failure 1
	assert_output --partial "layer $layer: the registry sent"
	assert_output --partial "a wrong digest, refused"
	store_clean
	[ ! -e "$BERTH_ROOT/downloads/sha256/${layer#sha256:}.partial" ]
	reg_stop bad
}

@test "two pulls of one image at once: both succeed, each blob is fetched once" {
	: >"$REG_plain_LOG"
	"$BERTH" pull "$REG_plain/x/img:v2" >"$T/a" 2>&1 &
	a=$!
	"$BERTH" pull "$REG_plain/x/img:v2" >"$T/b" 2>&1 &
	b=$!
	wait "$a"
	wait "$b"
	stored "$REG_plain/x/img" v2
	for l in $(jq -r '.layers[].digest' "$D/img/blobs/sha256/$(manifest v2 | cut -d: -f2)"); do
		[ "$(blob_gets "$REG_plain_LOG" "$l")" -eq 1 ]
	done
}

# pull_killed_mid_blob REF: a pull of REF through a front that stalls a
# blob halfway, killed there (as a power cut would stop it)
pull_killed_mid_blob() {
	reg_front slow stall-once --upstream "$REG_plain_URL"
	via_front slow
	"$BERTH" pull -q "$1" >"$T/out" 2>&1 &
	pid=$!
	wait_until 30 grep -q 'cut=' "$FRONT_slow_LOG"
	wait_until 30 partial_bytes
	kill -9 "$pid"
	wait "$pid" || :
}

# partial_bytes: a partial download in the store has bytes
partial_bytes() { [ -n "$(find "$BERTH_ROOT/downloads/sha256" -name '*.partial' -size +0 2>/dev/null)" ]; }

@test "a pull killed mid-blob leaves the store intact; the next pull resumes the partial blob" {
	pull_killed_mid_blob "$REG_plain/x/img:v2"
	store_clean
	rm "$BERTH_ETC/berth/registries.yaml"
	run "$BERTH" pull "$REG_plain/x/img:v2"
	assert_success
	assert_output --regexp ": Resuming at byte [1-9][0-9]* of [0-9]+ \(kept from an earlier pull\)"
	stored "$REG_plain/x/img" v2
	layer_has etc/v2
}

# metas N: downloads/layers holds N finished layers (.meta files)
metas() { [ "$(find "$BERTH_ROOT/downloads/layers" -maxdepth 1 -name '*.meta' 2>/dev/null | wc -l)" -eq "$1" ]; }

# pull_locked REF: the store's lock held on fd lk, a pull of REF in the
# background (pid) once its 3 layers are unpacked: the load waits for the
# lock, the downloads do not
pull_locked() {
	mkdir -p "$BERTH_ROOT"
	exec {lk}>"$BERTH_ROOT/lock"
	flock "$lk"
	# not given to the pull: a lock it held itself would never be let go
	"$BERTH" pull -q "$1" >"$T/out" 2>&1 {lk}>&- &
	pid=$!
	wait_until 60 metas 3
}

@test "layers unpack as they download: with the store locked, every layer is unpacked before the load; the load takes them" {
	pull_locked "$REG_plain/x/img:v1"
	# each is its blob's layer, finished but for what the layers below give
	for m in "$BERTH_ROOT"/downloads/layers/*.meta; do
		# <blob hex>.<the pull's token>
		[ -d "${m%.meta}" ]
		h=$(basename "${m%.meta}")
		[[ $h =~ ^[0-9a-f]{64}\.([0-9a-f]{32})$ ]]
		head -1 "$m" | grep -qE "^berth-prelayer 1 ${BASH_REMATCH[1]} sha256:[0-9a-f]{64} [0-9]+ [0-9]+\$"
		[ -f "$BERTH_ROOT/downloads/sha256/${h%.*}" ]
	done
	compgen -G "$BERTH_ROOT/downloads/layers/*/etc/hello" >/dev/null
	[ ! -e "$BERTH_ROOT/images.json" ]
	running "$pid"
	exec {lk}>&-
	wait "$pid"
	stored "$REG_plain/x/img" v1
	layer_has etc/hello
	# taken, not unpacked a second time beside them
	[ -z "$(ls -A "$BERTH_ROOT/downloads/layers")" ]
	[ "$(find "$BERTH_ROOT/layers" -mindepth 1 -maxdepth 1 | wc -l)" -eq 3 ]
}

@test "layers a killed pull unpacked are not trusted by the next pull: it unpacks from the verified blobs" {
	pull_locked "$REG_plain/x/img:v1"
	kill -9 "$pid"
	wait "$pid" || :
	exec {lk}>&-
	# what a power cut could leave: names kept, file data lost
	f=$(compgen -G "$BERTH_ROOT/downloads/layers/*/etc/hello")
	: >"$f"
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_success
	assert_output --partial ": Already exists"
	run cat "$(compgen -G "$BERTH_ROOT/layers/*/etc/hello")"
	assert_output hello
	# and what the killed pull left is gone: no other pull ran
	[ -z "$(ls -A "$BERTH_ROOT/downloads/layers")" ]
}

@test "a kept partial blob whose bytes went bad: one line, the blob downloaded again whole, the pull succeeds" {
	pull_killed_mid_blob "$REG_plain/x/img:v2"
	# what a power cut can leave: the file's length kept, its bytes not
	f=$(find "$BERTH_ROOT/downloads/sha256" -name '*.partial' -size +0 | head -1)
	size=$(stat -c %s "$f")
	head -c "$size" /dev/zero >"$f"
	rm "$BERTH_ETC/berth/registries.yaml"
	run "$BERTH" pull "$REG_plain/x/img:v2"
	assert_success
	assert_line --regexp "^[0-9a-f]{12}: the $size bytes kept from an earlier pull do not make the blob: downloading it again\$"
	stored "$REG_plain/x/img" v2
	layer_has etc/v2
}

@test "a full disk mid-pull: one line with the free space; nothing is stored" {
	mkdir -p "$T/small"
	mount -t tmpfs -o size=100k tmpfs "$T/small"
	BERTH_ROOT=$T/small/store run "$BERTH" pull "$REG_plain/x/img:v1"
	umount "$T/small"
	assert_failure
	assert_output --regexp "no space left on the device \([0-9]+ bytes free\)"
}

@test "registries.yaml: a key Berth does not apply is one warning naming file:line; a bad value is an error" {
	registries "mirrors:
  \"$REG_plain\":
    rewrite: {\"^x/(.*)\": \"y/\$1\"}
configs:
  \"$REG_plain\":
    auth: {identitytoken: abc}
    tls: {insecure_skip_verify: maybe}"
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_failure 1
	assert_output --partial "registries.yaml:3: mirrors.$REG_plain.rewrite: repository rewrites are not supported by Berth, ignored"
	assert_output --partial "registries.yaml:6: configs.$REG_plain.auth.identitytoken: OAuth2 identity tokens are not supported"
	assert_output --partial "registries.yaml:7: configs.$REG_plain.tls.insecure_skip_verify: expected true or false"
	refute_output --partial abc
}

@test "berth create pulls an image the store lacks (--pull missing); --pull never does not" {
	run "$BERTH" create --pull never --name a "$REG_plain/x/img:v1"
	assert_success
	[ ! -e "$BERTH_ROOT/images.json" ]
	run "$BERTH" create --name b "$REG_plain/x/img:v1"
	assert_success
	assert_output --partial "Unable to find image '$REG_plain/x/img:v1' locally"
	stored "$REG_plain/x/img" v1
	[ -f "$BERTH_ROOT/containers/b/image" ]
	run "$BERTH" create --pull sometimes --name c "$REG_plain/x/img:v1"
	assert_failure 100
	# NAME@DIGEST: pulled by its digest, then found by it
	run "$BERTH" create --name d "$REG_plain/x/img@$(manifest v2)"
	assert_success
	assert_output --partial "Unable to find image '$REG_plain/x/img@$(manifest v2)' locally"
	grep -q "^manifest=$(manifest v2)$" "$BERTH_ROOT/containers/d/image"
	run "$BERTH" create --name e "$REG_plain/x/img@$(manifest v2)"
	assert_success
	refute_output --partial "Unable to find"
	# the v1 image's own repo digest names it too; another digest does not
	run "$BERTH" create --pull never --name f "$REG_plain/x/img@$(manifest v1)"
	assert_success
	grep -q "^manifest=$(manifest v1)$" "$BERTH_ROOT/containers/f/image"
	run "$BERTH" create --pull never --name g "$REG_plain/x/img@sha256:$(printf '0%.0s' {1..64})"
	assert_success
	[ ! -e "$BERTH_ROOT/containers/g/image" ] # defined, waiting for that image
}

@test "docs/CONTAINERS.md's registries.yaml example reads without a warning" {
	sed -n '/checks that this example reads without a warning/,/^```$/p' "$TOP/docs/CONTAINERS.md" |
		sed '1,2d;$d' >"$BERTH_ETC/berth/registries.yaml"
	grep -q '^mirrors:' "$BERTH_ETC/berth/registries.yaml"
	run "$BERTH" pull localhost:1/x/img:v1
	assert_failure
	refute_output --partial "registries.yaml"
	assert_output --partial "connect to localhost port 1"
}

@test "docker.io without a mirror: one line saying where to give its endpoint; a non-string key is an error" {
	run "$BERTH" pull nginx:1.25
	assert_failure 1
	assert_output "berth pull: pull nginx:1.25: docker.io: Berth has no built-in endpoint for Docker Hub: give one (Docker Hub's registry or a mirror of it) under mirrors: docker.io: endpoint: in $BERTH_ETC/berth/registries.yaml"
	registries "mirrors:
  ? [a, b]
  : {endpoint: [http://x]}"
	run "$BERTH" pull "$REG_plain/x/img:v1"
	assert_failure 1
	assert_output --partial "registries.yaml:2: mirrors: a key that is not a string"
	registries "mirrors:
  docker.io:
    endpoint: [\"http://user:pw@$REG_plain\"]"
	run "$BERTH" pull x/img:v1
	assert_failure 1
	assert_output --partial "credentials in the URL: give them under configs: HOST: auth:"
	refute_output --partial "pw@"
}

@test "docker.io through a mirror: x/img:v1 is docker.io/x/img, stored as x/img:v1" {
	registries "mirrors:
  docker.io:
    endpoint: [http://$REG_plain]"
	run "$BERTH" pull x/img:v1
	assert_success
	assert_line "docker.io/x/img:v1"
	stored x/img v1
	run "$BERTH" pull -q x/multi:1
	assert_success
	[ -z "$output" ]
}
