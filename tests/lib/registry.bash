# Registries for the pull tests: distribution's registry (Debian's
# docker-registry) on loopback, plain, TLS with a private CA, behind
# htpasswd or token auth, or a pull-through cache; beside them the token
# issuer (tests/lib/token-issuer.py) and misbehaving fronts
# (tests/lib/reg-front.py); images made by umoci and pushed by skopeo.
# Load after common.bash.
#
# What these start are jobs of the shell that calls them (reg_stop and
# kill_running only stop those): call reg_start, reg_issuer and reg_front
# directly, not in $( ) or run, and reg_stop_all from the same shell
# (teardown_file for what setup_file started). Their variables are exported,
# so the tests of a file see what its setup_file started.

# what this shell started, NAME -> PIDs; kept if the file is loaded again
if ! declare -p _reg_pids >/dev/null 2>&1; then declare -gA _reg_pids=(); fi

# ---- certificates ----

# reg_ca DIR: a private CA (DIR/ca.crt, ca.key) and, each with its .key,
# DIR/server.crt for 127.0.0.1 and localhost, DIR/other.crt for
# other.invalid only (a name mismatch) and DIR/expired.crt for 127.0.0.1,
# valid in January 2020 only; all EC P-256
reg_ca() {
	local d=$1
	mkdir -p "$d/issued" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" \
		-days 30 -subj /CN=berth-test-ca -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
	_reg_leaf "$d" server IP:127.0.0.1,DNS:localhost || return 1
	_reg_leaf "$d" other DNS:other.invalid || return 1
	# OpenSSL 3.0's x509 cannot set a start date (-not_before is 3.4's);
	# openssl ca can, with a config of its own
	_reg_csr "$d" expired || return 1
	: >"$d/index.txt"
	echo 1000 >"$d/serial"
	cat >"$d/ca.cnf" <<-EOF || return 1
		[ca]
		default_ca = berth
		[berth]
		database = $d/index.txt
		new_certs_dir = $d/issued
		serial = $d/serial
		default_md = sha256
		policy = any
		unique_subject = no
		x509_extensions = leaf
		[any]
		commonName = supplied
		[leaf]
		basicConstraints = CA:FALSE
		subjectAltName = IP:127.0.0.1,DNS:localhost
	EOF
	openssl ca -batch -notext -config "$d/ca.cnf" -cert "$d/ca.crt" -keyfile "$d/ca.key" -in "$d/expired.csr" \
		-out "$d/expired.crt" -startdate 20200101000000Z -enddate 20200201000000Z 2>/dev/null
}

# _reg_csr DIR NAME: DIR/NAME.key and a request for it, DIR/NAME.csr
_reg_csr() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/$2.key" -out "$1/$2.csr" \
		-subj "/CN=$2" 2>/dev/null
}

# _reg_leaf DIR NAME SAN: DIR/NAME.crt for SAN, signed by DIR's CA
_reg_leaf() {
	_reg_csr "$1" "$2" || return 1
	printf 'basicConstraints=CA:FALSE\nsubjectAltName=%s\n' "$3" >"$1/$2.ext"
	openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial -days 30 \
		-extfile "$1/$2.ext" -out "$1/$2.crt" 2>/dev/null
}

# ---- processes ----

# _reg_name NAME: NAME can be part of a variable's name
_reg_name() {
	if [[ ! $1 =~ ^[A-Za-z0-9_]+$ ]]; then
		echo "registry.bash: '$1' is not a name of letters, digits and _" >&2
		return 1
	fi
}

# _reg_port: a port free on 127.0.0.1 a moment ago (for docker-registry,
# which cannot bind port 0 and say which it got)
_reg_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# _reg_v2 URL [CURL OPTIONS]: GET URL/v2/ answers 200 or 401
_reg_v2() {
	local url=$1 code
	shift
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url/v2/") || return 1
	[[ $code == 200 || $code == 401 ]]
}

# _reg_gone PID: PID, a job of this shell, has exited
_reg_gone() { ! running "$1"; }

# _reg_ready PID CMD...: PID has exited, or CMD succeeds (what to wait for
# when a process may also fail to start)
_reg_ready() {
	_reg_gone "$1" || "${@:2}"
}

# _reg_port_file PID FILE: the port PID wrote to FILE, once it has
_reg_port_file() {
	wait_until 10 _reg_ready "$1" test -s "$2" || return 1
	if _reg_gone "$1"; then return 1; fi
	cat "$2"
}

# reg_start NAME [--tls CERTBASE] [--htpasswd USER PASS] [--token]
#   [--proxy-remote URL [--proxy-user U --proxy-pass P]]:
# docker-registry on 127.0.0.1 at a free port, its storage and config in
# $BATS_FILE_TMPDIR/reg-NAME (kept: a registry restarted under its name has
# its images), waited for until GET /v2/ answers. --tls: CERTBASE.crt and
# .key, the CA beside them (reg_ca). --token: the issuer NAME of reg_issuer,
# started here with no options if it is not running. --proxy-remote: a
# pull-through cache of URL. Exports REG_NAME (127.0.0.1:PORT) and
# REG_NAME_{PID,DIR,URL,LOG}; REG_NAME_CA and REG_NAME_CERTS (a directory
# with only ca.crt, for skopeo) with --tls; REG_NAME_CREDS (USER:PASS) with
# --htpasswd, or --token of an issuer with --user.
reg_start() {
	local name=$1 tls='' user='' pass='' token='' remote='' puser='' ppass='' d scheme=http port pid try
	local iss creds='' curlopt=() n
	shift || return 1
	_reg_name "$name" || return 1
	while [ $# -gt 0 ]; do
		n=2
		case $1 in
		--tls) tls=${2-} ;;
		--htpasswd) user=${2-} pass=${3-} n=3 ;;
		--token) token=$name n=1 ;;
		--proxy-remote) remote=${2-} ;;
		--proxy-user) puser=${2-} ;;
		--proxy-pass) ppass=${2-} ;;
		*)
			echo "reg_start: unknown option $1" >&2
			return 1
			;;
		esac
		if ! shift "$n"; then
			echo "reg_start: $1 needs $((n - 1)) argument(s)" >&2
			return 1
		fi
	done
	d=$BATS_FILE_TMPDIR/reg-$name
	mkdir -p "$d/data" || return 1
	if [ -n "$user" ]; then
		htpasswd -Bbn "$user" "$pass" >"$d/htpasswd" || return 1
		creds=$user:$pass
	fi
	if [ -n "$token" ]; then
		iss=ISSUER_${name}_PID
		if [ -z "${!iss:-}" ] || ! running "${!iss}"; then reg_issuer "$name" || return 1; fi
		iss=ISSUER_${name}_CREDS
		creds=${!iss:-}
	fi
	if [ -n "$tls" ]; then
		scheme=https
		mkdir -p "$d/certs" && cp "$(dirname "$tls")/ca.crt" "$d/certs/ca.crt" || return 1
		curlopt=(-k) # the certificate may be one that fails on purpose
	fi
	# a port free a moment ago may be taken before the registry binds it
	for try in 1 2 3; do
		port=$(_reg_port) || return 1
		_reg_config "$d" "$port" "$tls" "$user" "$token" "$remote" "$puser" "$ppass" >"$d/config.yml" || return 1
		docker-registry serve "$d/config.yml" >>"$d/log" 2>&1 </dev/null 3>&- &
		pid=$!
		if wait_until 20 _reg_ready "$pid" _reg_v2 "$scheme://127.0.0.1:$port" "${curlopt[@]}" && running "$pid"; then
			break
		fi
		kill_running "$pid"
		wait_until 10 _reg_gone "$pid" || return 1
		if [ "$try" = 3 ] || ! grep -q 'address already in use' "$d/log"; then
			echo "reg_start $name: docker-registry did not answer on 127.0.0.1:$port; its log:" >&2
			cat "$d/log" >&2
			return 1
		fi
	done
	_reg_pids[$name]+=" $pid"
	export "REG_$name=127.0.0.1:$port" "REG_${name}_PID=$pid" "REG_${name}_DIR=$d" \
		"REG_${name}_URL=$scheme://127.0.0.1:$port" "REG_${name}_LOG=$d/log" "REG_${name}_CREDS=$creds"
	if [ -n "$tls" ]; then
		export "REG_${name}_CA=$d/certs/ca.crt" "REG_${name}_CERTS=$d/certs"
	else
		export "REG_${name}_CA=" "REG_${name}_CERTS="
	fi
	if [[ " ${REG_NAMES:-} " != *" $name "* ]]; then export REG_NAMES="${REG_NAMES:-} $name"; fi
}

# _reg_q S: S as a YAML single-quoted scalar
_reg_q() { printf "'%s'" "${1//\'/\'\'}"; }

# _reg_config DIR PORT TLS USER ISSUER REMOTE PUSER PPASS: reg_start's
# config.yml; the log goes to stderr (there is no file in the config),
# which reg_start sends to DIR/log, access log included
_reg_config() {
	local d=$1 port=$2 tls=$3 user=$4 token=$5 remote=$6 puser=$7 ppass=$8 v
	cat <<-EOF
		version: 0.1
		log:
		  level: warn
		  formatter: text
		storage:
		  filesystem:
		    rootdirectory: $(_reg_q "$d/data")
		  delete:
		    enabled: true
		  maintenance:
		    uploadpurging:
		      enabled: false
		http:
		  addr: 127.0.0.1:$port
		  secret: berth-test-secret
	EOF
	if [ -n "$tls" ]; then
		printf '  tls:\n    certificate: %s\n    key: %s\n' "$(_reg_q "$tls.crt")" "$(_reg_q "$tls.key")"
	fi
	printf 'health:\n  storagedriver:\n    enabled: false\n'
	if [ -n "$user" ]; then
		printf 'auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n' "$(_reg_q "$d/htpasswd")"
	elif [ -n "$token" ]; then
		v=ISSUER_$token
		printf 'auth:\n  token:\n    realm: %s\n    service: berth-test\n    issuer: berth-test-issuer\n' \
			"$(_reg_q "${!v}")"
		v=${v}_CERT
		printf '    rootcertbundle: %s\n' "$(_reg_q "${!v}")"
	fi
	if [ -n "$remote" ]; then
		printf 'proxy:\n  remoteurl: %s\n' "$(_reg_q "$remote")"
		if [ -n "$puser" ]; then printf '  username: %s\n  password: %s\n' "$(_reg_q "$puser")" "$(_reg_q "$ppass")"; fi
	fi
}

# reg_issuer NAME [token-issuer.py options: --user U --pass P, --field F,
# --expires-in N, --header kid]: the token issuer for the registry NAME
# (reg_start --token), its certificate (the registry's rootcertbundle)
# $BATS_FILE_TMPDIR/issuer-NAME/issuer.crt and .key, a self-signed EC P-256
# one unless one is there already (an RSA one: RS256). Exports ISSUER_NAME (the realm,
# http://127.0.0.1:PORT/token) and ISSUER_NAME_{PID,LOG,CERT,CREDS}.
reg_issuer() {
	local name=$1 d pid port creds
	shift || return 1
	_reg_name "$name" || return 1
	d=$BATS_FILE_TMPDIR/issuer-$name
	mkdir -p "$d" || return 1
	creds=$(_reg_creds "$@")
	if [ ! -f "$d/issuer.crt" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/issuer.key" \
			-out "$d/issuer.crt" -days 30 -subj /CN=berth-test-issuer 2>/dev/null || return 1
	fi
	rm -f "$d/port"
	python3 "$TOP/tests/lib/token-issuer.py" --port-file "$d/port" --cert "$d/issuer.crt" --key "$d/issuer.key" \
		--log "$d/log" "$@" >>"$d/stderr" 2>&1 </dev/null 3>&- &
	pid=$!
	if ! port=$(_reg_port_file "$pid" "$d/port"); then
		echo "reg_issuer $name: token-issuer.py did not start:" >&2
		cat "$d/stderr" >&2
		kill_running "$pid"
		return 1
	fi
	_reg_pids[$name]+=" $pid"
	export "ISSUER_$name=http://127.0.0.1:$port/token" "ISSUER_${name}_PID=$pid" "ISSUER_${name}_LOG=$d/log" \
		"ISSUER_${name}_CERT=$d/issuer.crt" "ISSUER_${name}_CREDS=$creds"
}

# _reg_creds ARGS...: USER:PASS from the --user USER --pass PASS among ARGS
_reg_creds() {
	local u='' p='' have=''
	while [ $# -gt 0 ]; do
		case $1 in
		--user) u=${2-} have=1 ;;
		--pass) p=${2-} ;;
		*)
			shift
			continue
			;;
		esac
		shift 2 || break
	done
	if [ -n "$have" ]; then echo "$u:$p"; fi
}

# reg_front NAME MODE [--upstream URL] [reg-front.py options]: a front in
# MODE (redirect, drop-once, 429-once, connect-proxy). Exports FRONT_NAME
# (127.0.0.1:PORT) and FRONT_NAME_{PID,LOG}.
reg_front() {
	local name=$1 mode=$2 d pid port
	shift 2 || return 1
	_reg_name "$name" || return 1
	d=$BATS_FILE_TMPDIR/front-$name
	mkdir -p "$d" && rm -f "$d/port" || return 1
	python3 "$TOP/tests/lib/reg-front.py" --mode "$mode" --port-file "$d/port" --log "$d/log" "$@" \
		>>"$d/stderr" 2>&1 </dev/null 3>&- &
	pid=$!
	if ! port=$(_reg_port_file "$pid" "$d/port"); then
		echo "reg_front $name: reg-front.py did not start:" >&2
		cat "$d/stderr" >&2
		kill_running "$pid"
		return 1
	fi
	_reg_pids[$name]+=" $pid"
	export "FRONT_$name=127.0.0.1:$port" "FRONT_${name}_PID=$pid" "FRONT_${name}_LOG=$d/log"
}

# reg_stop NAME: stop what this shell started under NAME (the registry, its
# issuer, a front), and wait until each has exited
reg_stop() {
	local p
	# shellcheck disable=SC2086 # a list of PIDs
	set -- ${_reg_pids[$1]:-}
	for p; do kill_running "$p"; done
	for p; do
		wait_until 10 _reg_gone "$p" || return 1
		wait "$p" 2>/dev/null || :
	done
	unset "_reg_pids[$1]"
}

# reg_stop_all: reg_stop for each NAME this shell started (teardown_file)
reg_stop_all() {
	local n rc=0
	for n in "${!_reg_pids[@]}"; do reg_stop "$n" || rc=1; done
	return $rc
}

# ---- skopeo ----

# _reg_opts PREFIX REF: skopeo's options for the registry of REF (found by
# its port among REG_NAMES) in the array _reg_o: PREFIX (dest-, src- or
# none) tls-verify=false or cert-dir, and creds. For a port that is no
# registry's (a front), tls-verify=false only.
_reg_opts() {
	local pre=$1 port n v
	port=${2%%/*}
	port=${port##*:}
	_reg_o=("--${pre}tls-verify=false")
	for n in ${REG_NAMES:-}; do
		v=REG_$n
		if [[ ${!v##*:} != "$port" ]]; then continue; fi
		v=REG_${n}_CERTS
		if [ -n "${!v}" ]; then _reg_o=("--${pre}cert-dir=${!v}"); fi
		v=REG_${n}_CREDS
		if [ -n "${!v}" ]; then _reg_o+=("--${pre}creds=${!v}"); fi
		break
	done
}

# reg_push SRC REF [skopeo copy options]: skopeo copy SRC to docker://REF,
# trusting REF's registry's CA and with its credentials
reg_push() {
	local src=$1 ref=$2 _reg_o
	shift 2 || return 1
	_reg_opts dest- "$ref"
	skopeo copy -q "${_reg_o[@]}" "$@" "$src" "docker://$ref"
}

# reg_inspect REF [skopeo inspect options]: skopeo inspect docker://REF, as
# reg_push would reach it
reg_inspect() {
	local ref=$1 _reg_o
	shift || return 1
	_reg_opts '' "$ref"
	skopeo inspect "${_reg_o[@]}" "$@" "docker://$ref"
}

# ---- images ----

# reg_image DIR: an OCI layout DIR/img made with umoci. v1 has three
# layers: bin/busybox ($OUT/rootfs-bin's, else 1 MiB of random bytes in
# bin/blob), then etc/hello and etc/gone, then etc/gone deleted (a
# whiteout). v2 is v1 and a fourth layer, etc/v2.
reg_image() {
	local d=$1 r=$1/bundle/rootfs
	umoci init --layout "$d/img" >&2 || return 1
	umoci new --image "$d/img:v1" >&2 || return 1
	umoci unpack --image "$d/img:v1" "$d/bundle" >/dev/null || return 1
	mkdir -p "$r/bin" "$r/etc" || return 1
	if [ -f "$OUT/rootfs-bin/busybox" ]; then
		cp "$OUT/rootfs-bin/busybox" "$r/bin/busybox"
	else
		head -c 1M /dev/urandom >"$r/bin/blob"
	fi || return 1
	umoci repack --refresh-bundle --image "$d/img:v1" "$d/bundle" >&2 || return 1
	echo hello >"$r/etc/hello"
	echo doomed >"$r/etc/gone"
	umoci repack --refresh-bundle --image "$d/img:v1" "$d/bundle" >&2 || return 1
	rm "$r/etc/gone"
	umoci repack --refresh-bundle --image "$d/img:v1" "$d/bundle" >&2 || return 1
	echo two >"$r/etc/v2"
	umoci repack --image "$d/img:v2" "$d/bundle" >&2
}

# _reg_blob BLOBS FILE: FILE moved into the layout's BLOBS (blobs/sha256)
# under its digest; prints "sha256:HEX SIZE"
_reg_blob() {
	local h s
	h=$(sha256sum "$2") && s=$(stat -c %s "$2") || return 1
	h=${h%% *}
	mv "$2" "$1/$h" && echo "sha256:$h $s"
}

# reg_multiarch DIR: an OCI layout DIR/multi whose tag multi is an image
# index of linux/amd64 (reg_image's v1, made if DIR/img is not there) and
# linux/arm64/v8 (the same layers, a config saying arm64), made by hand.
# Exports REG_MULTI_INDEX, REG_MULTI_AMD64 and REG_MULTI_ARM64, the digests.
reg_multiarch() {
	local d=$1 m=$1/multi b amd asize cfg arm csize msize idx isize mt=application/vnd.oci.image.manifest.v1+json
	if [ ! -d "$d/img" ]; then reg_image "$d" || return 1; fi
	skopeo copy -q "oci:$d/img:v1" "oci:$m:amd64" || return 1
	b=$m/blobs/sha256
	amd=$(jq -r '.manifests[0].digest' "$m/index.json") || return 1
	asize=$(stat -c %s "$b/${amd#sha256:}") || return 1
	cfg=$(jq -r .config.digest "$b/${amd#sha256:}") || return 1
	jq -c '.architecture = "arm64" | .variant = "v8"' "$b/${cfg#sha256:}" >"$d/arm64.config" || return 1
	read -r cfg csize < <(_reg_blob "$b" "$d/arm64.config")
	jq -c --arg c "$cfg" --argjson s "$csize" '.config.digest = $c | .config.size = $s' "$b/${amd#sha256:}" \
		>"$d/arm64.manifest" || return 1
	read -r arm msize < <(_reg_blob "$b" "$d/arm64.manifest")
	jq -nc --arg mt "$mt" --arg a "$amd" --argjson asz "$asize" --arg r "$arm" --argjson rs "$msize" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [
			{mediaType: $mt, digest: $a, size: $asz, platform: {architecture: "amd64", os: "linux"}},
			{mediaType: $mt, digest: $r, size: $rs, platform: {architecture: "arm64", os: "linux", variant: "v8"}}
		]}' >"$d/multi.index" || return 1
	read -r idx isize < <(_reg_blob "$b" "$d/multi.index")
	[ -n "$idx" ] || return 1
	jq -nc --arg i "$idx" --argjson s "$isize" '{schemaVersion: 2, manifests: [{
		mediaType: "application/vnd.oci.image.index.v1+json", digest: $i, size: $s,
		annotations: {"org.opencontainers.image.ref.name": "multi"}}]}' >"$m/index.json" || return 1
	export REG_MULTI_INDEX=$idx REG_MULTI_AMD64=$amd REG_MULTI_ARM64=$arm
}
