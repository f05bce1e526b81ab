#!/usr/bin/env bats
# scripts/bats-lint.sh: the suites hold no test line that cannot fail and no
# sleep used as synchronisation; and the checker finds both in fixtures.

setup() {
	load ../lib/common
	LINT=$TOP/scripts/bats-lint.sh
	F=$BATS_TEST_TMPDIR/fixture.bats
}

# fixture: stdin to $F, with %test for @test (bats would read an @test line
# here as a test of this file, even in a heredoc)
fixture() { sed 's/^\(\t*\)%test /\1@test /' >"$F"; }

# mid_and_last: the fixture of a false '&&' in the middle of one test and as
# the last command of another
mid_and_last() {
	fixture <<'EOF'
%test "mid" {
	[ 1 -eq 2 ] && true
	echo after
}

%test "last" {
	echo before
	[ 1 -eq 2 ] && true
}
EOF
}

@test "every .bats file under tests/ passes bats-lint" {
	run "$LINT"
	assert_success
	assert_output ''
}

@test "bats-lint.sh and tests/lib/common.bash (wait_until) are shellcheck-clean" {
	command -v shellcheck >/dev/null || skip 'no shellcheck'
	run shellcheck "$LINT"
	assert_success
	run shellcheck -s bash "$TOP/tests/lib/common.bash"
	assert_success
}

@test "the premise: bats passes a false '&&' in the middle of a test, fails it as the last command" {
	mid_and_last
	run bats --formatter tap "$F"
	assert_failure
	assert_line 'ok 1 mid'
	assert_line 'not ok 2 last'
}

@test "a '&&' in the middle of a test is flagged with its line; as the last command it is not" {
	mid_and_last
	run "$LINT" "$F"
	assert_failure 1
	assert_output "$F:2: '&&' in the middle of a test asserts nothing on its left side: [ 1 -eq 2 ] && true"
}

@test "'&&' in \$( ), quotes, [[ ]], conditions, helper functions, subshells and conditionals is not flagged" {
	fixture <<'EOF'
helper() {
	[ 1 -eq 2 ] && true
	echo after
}

%test "clean" {
	x=$(true && false)
	echo "a && b" 'c && d' \&\& e # and a comment && here
	run bash -c 'true && false
echo more'
	[[ a = b && c = d ]] || echo no
	if [ a ] && [ b ]; then echo then; fi
	while [ -e /nonexistent ] && true; do echo; done
	for i in 1 2; do [ "$i" = 2 ] && break; done
	[ -e /nonexistent ] && skip "nothing there"
	[ -e /nonexistent ] && fail "it is there"
	h() { true && false; }
	( true && false )
	case $x in a) true && false ;; *) echo ;; esac
	((1 && 0)) || echo no
	cat <<EOT
true && false
}
%test "inside the heredoc" {
EOT
	if true; then
		true && false
	fi
}
EOF
	run "$LINT" "$F"
	assert_success
	assert_output ''
}

@test "'&&' at the end of an if body or { } in the middle, '! cmd' in the middle, '[ ] || true' are flagged" {
	fixture <<'EOF'
%test "flagged" {
	if true; then
		[ 1 -eq 2 ] && true
	fi
	{ [ 1 -eq 2 ] && true; }
	! true
	[ 1 -eq 2 ] || true
	echo after
}
EOF
	run "$LINT" "$F"
	assert_failure 1
	assert_line --index 0 "$F:3: '&&' in the middle of a test asserts nothing on its left side: [ 1 -eq 2 ] && true"
	assert_line --index 1 "$F:5: '&&' in the middle of a test asserts nothing on its left side: { [ 1 -eq 2 ] && true; }"
	assert_line --index 2 "$F:6: '!' in the middle of a test asserts nothing (set -e ignores a negated command): ! true"
	assert_line --index 3 "$F:7: '|| true' after a test throws its result away: [ 1 -eq 2 ] || true"
	assert_equal "${#lines[@]}" 4
}

@test "a sleep in a test is flagged; in a polling loop, a helper, a string, in the background or opted out it is not" {
	fixture <<'EOF'
helper() { sleep 1; }

%test "sleeps" {
	sleep 1
	for i in 1 2; do [ -e /nonexistent ] || break; sleep 0.1; done
	run sh -c 'sleep 0.1'
	sleep 600 &
	sleep 1 # lint: sleep-ok nothing to wait for
	sleep 1 # lint: sleep-ok
	if true; then sleep 1; fi
}
EOF
	run "$LINT" "$F"
	assert_failure 1
	assert_output "$F:4: sleep as synchronisation; wait on a condition
$F:9: sleep as synchronisation; wait on a condition
$F:10: sleep as synchronisation; wait on a condition"
}

@test "bats-lint names a path that does not exist" {
	run "$LINT" "$BATS_TEST_TMPDIR/nosuch"
	assert_failure 1
	assert_output "bats-lint: $BATS_TEST_TMPDIR/nosuch: no such file or directory"
}

@test "wait_until returns once its command succeeds, and fails naming it after the deadline" {
	: >"$BATS_TEST_TMPDIR/n"
	# true on the third try
	third() { echo x >>"$BATS_TEST_TMPDIR/n"; [ "$(wc -l <"$BATS_TEST_TMPDIR/n")" -ge 3 ]; }
	wait_until 5 third
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/n")" 3
	local start=$SECONDS
	run wait_until 1 test -e "$BATS_TEST_TMPDIR/nosuch"
	assert_failure
	assert_output "wait_until: still false after 1 s: test -e $BATS_TEST_TMPDIR/nosuch"
	[ $((SECONDS - start)) -le 3 ]
}
