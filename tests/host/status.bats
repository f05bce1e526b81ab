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
