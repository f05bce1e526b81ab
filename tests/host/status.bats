#!/usr/bin/env bats
# berth status reads provision's status.json.

setup_file() {
	load ../lib/common
	berth_make "$OUT/bin/berth"
}

setup() { load ../lib/common; }

@test "berth status lists the datasource, each module and its messages; errors give exit 1" {
	mkdir -p "$BATS_TEST_TMPDIR/provision"
	cat >"$BATS_TEST_TMPDIR/provision/status.json" <<'JSON'
{"datasource": "nocloud", "instance_id": "i-0001", "new_instance": true, "modules": [
 {"name": "users", "result": "error", "messages": ["user-data:11: users[1].name: \"Bad Name\": not a valid user name"]},
 {"name": "hostname", "result": "ok", "messages": []}]}
JSON
	run env BERTH_ROOT="$BATS_TEST_TMPDIR" "$OUT/bin/berth" status
	assert_failure 1
	assert_line 'datasource   nocloud'
	assert_line --regexp '^  users +error$'
	assert_line '      user-data:11: users[1].name: "Bad Name": not a valid user name'
	assert_line '1 module with errors'
}

@test "berth status before provisioning ran names the file, exit 111" {
	run env BERTH_ROOT="$BATS_TEST_TMPDIR/none" "$OUT/bin/berth" status
	assert_failure 111
	assert_output --partial 'provision/status.json (provisioning has not run): No such file or directory'
}

# a whole status.json, one module with a message, one without
DOC='{"datasource": "nocloud", "instance_id": "i-0001", "new_instance": false, "modules": [
 {"name": "users", "result": "error", "messages": ["user-data:11: users[1].name: \"x\": not a valid user name"]},
 {"name": "hostname", "result": "ok", "messages": []}]}'

# status_of JSON: berth status over that status.json, as $F
status_of() {
	F=$BATS_TEST_TMPDIR/provision/status.json
	mkdir -p "${F%/*}"
	printf '%s' "$1" >"$F"
	run env BERTH_ROOT="$BATS_TEST_TMPDIR" "$OUT/bin/berth" status
}

@test "berth status on a truncated status.json: one line naming the file and the key it ends in, exit 1" {
	status_of "${DOC%%hostname*}host"
	assert_failure 1
	assert_output "berth status: $F: modules[1].name: not JSON: parse error: premature EOF"
	status_of "${DOC%%\"messages\"*}"
	assert_failure 1
	assert_output "berth status: $F: modules[0].result: not JSON: parse error: premature EOF"
	# a prefix every 29 bytes through the command (every prefix: the state
	# fuzz target, in one process): one line naming the file, exit 1
	local n out rc
	for ((n = 0; n < ${#DOC}; n += 29)); do
		printf '%s' "${DOC:0:n}" >"$F"
		rc=0
		out=$(BERTH_ROOT="$BATS_TEST_TMPDIR" "$OUT/bin/berth" status 2>&1) || rc=$?
		if [ "$rc" != 1 ] || [[ $out == *$'\n'* ]] || [[ $out != "berth status: $F: "* ]]; then
			echo "the first $n bytes: exit $rc, output: $out"
			return 1
		fi
	done
	status_of "$DOC"
	assert_failure 1
	assert_line --regexp '^  hostname +ok$'
	assert_line '1 module with errors'
}

@test "berth status on a field of the wrong type or missing: one line naming the file and the key, exit 1" {
	local cases=(
		'"datasource": "nocloud"|"datasource": 1|datasource: expected a string'
		'"instance_id": "i-0001", |'"|instance_id: expected a string"
		'"new_instance": false|"new_instance": "no"|new_instance: expected true or false'
		'"modules": [|"modules": "none", "x": [|modules: expected an array of objects'
		'{"name": "hostname", "result": "ok", "messages": []}|"hostname"|modules[1]: expected an object'
		'{"name": "users"|{"name": ["users"]|modules[0].name: expected a string'
		'"result": "error"|"result": 3|modules[0].result: expected a string'
		'"result": "ok"|"result": "fine"|modules[1].result: expected ok, skipped or error'
		'"messages": []|"messages": ""|modules[1].messages: expected an array of strings'
		'"messages": ["user-data:11|"messages": [7, "user-data:11|modules[0].messages[0]: expected a string'
	)
	for c in "${cases[@]}"; do
		IFS='|' read -r from to why <<<"$c"
		status_of "${DOC/"$from"/"$to"}"
		assert_failure 1
		assert_output "berth status: $F: $why"
	done
	status_of '[1]'
	assert_failure 1
	assert_output "berth status: $F: expected a JSON object"
}

@test "fuzz target for status.json and key=value files: the seeds reach the end, every prefix of a document is refused (libFuzzer: tests/host-slow)" {
	load ../lib/fuzz
	main=$(fuzz_main state)
	state_seeds "$BATS_TEST_TMPDIR/seeds"
	cd "$BATS_TEST_TMPDIR/seeds"
	run "$main" status status-type kv kv-enum
	assert_success
	assert_output "status: status.json ok
status-type: status.json refused
kv: kv ok
kv-enum: kv refused"
}
