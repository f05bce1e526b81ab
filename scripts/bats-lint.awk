# bats-lint.awk FILE.bats...: run by scripts/bats-lint.sh, which says what it
# finds. A small shell reader: a scanner follows quotes, $( ), ${ }, $(( )),
# heredocs and comments so that only operators and words of the test's own
# code reach the checker, which follows if/while/for/case/{ }/( ) and helper
# functions to know which command is the last of the test.

FNR == 1 {
	if (NR > 1) end_file()
	start_file()
}
{
	src[FNR] = $0
	scan_line($0, FNR)
}
END {
	if (NR > 0) end_file()
	exit found > 0
}

function start_file() {
	sn = 0; word = ""; inword = 0; wline = 0; cont = 0
	hd_n = 0; hd_i = 0; hd_on = 0; hd_expect = 0
	in_test = 0; maxline = 0; file = FILENAME
	split("", src); split("", msg)
}

function end_file(ln) {
	if (in_test) report(test_line, "bats-lint could not find the end of this test")
	for (ln = 1; ln <= maxline; ln++)
		if (ln in msg) printf "%s", msg[ln]
}

function report(ln, text) {
	msg[ln] = msg[ln] file ":" ln ": " text "\n"
	if (ln > maxline) maxline = ln
	found++
}

function trimmed(ln, s) {
	s = src[ln]
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

# ---- scanner: characters to words and operators ----

function scan_line(s, ln,   i, n, c, t) {
	if (hd_on) {
		t = s
		if (hd_strip[hd_i]) sub(/^\t+/, "", t)
		if (t == hd_delim[hd_i] && ++hd_i > hd_n) { hd_on = 0; hd_n = 0 }
		return
	}
	if (sn == 0 && !cont && !inword) {
		if (s ~ /^@test[ \t].*\{[ \t]*$/) {
			if (in_test) report(test_line, "bats-lint could not find the end of this test")
			test_begin(ln)
			return
		}
		if (in_test && s ~ /^\}[ \t]*$/) {
			test_end(ln)
			return
		}
	}
	cont = 0
	n = length(s)
	i = 1
	while (i <= n) {
		if (sn > 0) { i = scan_nested(s, i, ln); continue }
		c = substr(s, i, 1)
		if (c == " " || c == "\t") { end_word(); i++ }
		else if (c == "#" && !inword) break
		else if (c == "\\") {
			if (i == n) { cont = 1; i++ }
			else { add(substr(s, i, 2), ln); i += 2 }
		}
		else if (c == "'" || c == "\"" || c == "`") { add(c, ln); push_state(c, 0); i++ }
		else if (c == "$") i = scan_dollar(s, i, ln)
		else if ((c == "<" || c == ">") && substr(s, i + 1, 1) == "(") { add(c "(", ln); push_state("(", 1); i += 2 }
		else if (c == "(" && !inword && substr(s, i + 1, 1) == "(") { add("((", ln); push_state("(", 2); i += 2 }
		else if (c == "(" && inword && word ~ /=$/) { add(c, ln); push_state("(", 1); i++ }
		else if (index("&|;()<>", c)) i = scan_op(s, i, ln)
		else { add(c, ln); i++ }
	}
	if (sn > 0) add("\n", ln)
	else if (!cont) {
		end_word()
		token("nl", "", ln)
		if (hd_n > 0) { hd_on = 1; hd_i = 1 }
	}
}

function add(t, ln) {
	if (!inword) { inword = 1; wline = ln }
	word = word t
}

function push_state(t, depth) { ss[++sn] = t; sd[sn] = depth }

# $( $(( ${ $' or a plain $
function scan_dollar(s, i, ln,   c) {
	c = substr(s, i + 1, 1)
	if (substr(s, i + 1, 2) == "((") { add("$((", ln); push_state("(", 2); return i + 3 }
	if (c == "(") { add("$(", ln); push_state("(", 1); return i + 2 }
	if (c == "{") { add("${", ln); push_state("{", 1); return i + 2 }
	if (c == "'") { add("$'", ln); push_state("$'", 0); return i + 2 }
	add("$", ln)
	return i + 1
}

# inside quotes or a substitution everything belongs to the current word
function scan_nested(s, i, ln,   t, c) {
	t = ss[sn]
	c = substr(s, i, 1)
	if (t == "'") { add(c, ln); if (c == "'") sn--; return i + 1 }
	if (c == "\\") { add(substr(s, i, 2), ln); return i + 2 }
	if (t == "$'" || t == "`") { add(c, ln); if (c == substr(t, length(t))) sn--; return i + 1 }
	if (c == "$") return scan_dollar(s, i, ln)
	if (c == "\"") {
		add(c, ln)
		if (t == "\"") sn--
		else push_state(c, 0)
		return i + 1
	}
	if (c == "`") { add(c, ln); push_state(c, 0); return i + 1 }
	add(c, ln)
	if (t == "(") {
		if (c == "'") push_state(c, 0)
		else if (c == "(") sd[sn]++
		else if (c == ")" && --sd[sn] == 0) sn--
	} else if (t == "{" && c == "}") sn--
	return i + 1
}

function scan_op(s, i, ln,   c, t2, t3) {
	c = substr(s, i, 1); t2 = substr(s, i, 2); t3 = substr(s, i, 3)
	if ((c == "<" || c == ">") && inword && word ~ /^[0-9]+$/) { word = ""; inword = 0 }
	end_word()
	if (t3 == "<<<" || t3 == "&>>") { token("redir", "", ln); return i + 3 }
	if (t3 == "<<-") { hd_expect = 2; return i + 3 }
	if (t2 == "<<") { hd_expect = 1; return i + 2 }
	if (t2 == "&&" || t2 == "||" || t2 == ";;") { token(t2, "", ln); return i + 2 }
	if (t2 == "|&") { token("|", "", ln); return i + 2 }
	if (t2 == ">>" || t2 == ">&" || t2 == "<&" || t2 == "&>" || t2 == ">|" || t2 == "<>") { token("redir", "", ln); return i + 2 }
	if (c == "<" || c == ">") { token("redir", "", ln); return i + 1 }
	token(c, "", ln)
	return i + 1
}

function end_word(w) {
	if (!inword) return
	w = word; word = ""; inword = 0
	if (hd_expect) {
		gsub(/["'\\]/, "", w)
		hd_delim[++hd_n] = w
		hd_strip[hd_n] = hd_expect == 2
		hd_expect = 0
		return
	}
	token("word", w, wline)
}

# ---- checker: which command is where, and is it the last of the test ----
# Frames: depth 0 is the test body; fr[] is if, loop, grp ({ }), sub (( )),
# fn or case, fm[] says whether an if or loop is in its condition or body.
# pend[d] holds the findings that stand only if a command follows at depth d.
# The and-or list open at depth d: li[] (open), ll[] (its line), na[] (its
# && count), lo[] (last && or ||), ne[] (parts between them), np[] (next
# command word starts a part), fw[] and lw[] (first words of the first and
# last parts), al[] (line of the first &&), ng[] (negated), sl[] (line of a
# sleep in it).

function test_begin(ln) {
	in_test = 1; test_line = ln
	d = 0; fr[0] = "test"; fm[0] = "body"; pend[0] = ""; bub[0] = ""
	li[0] = 0; cmdpos = 1; skipw = 0; fnpend = 0; dbrack = 0; afterop = 0
}

# the last command of the test may be an && list: bats fails on its status
function test_end(ln) {
	list_end("nl")
	if (d != 0) report(test_line, "bats-lint could not follow this test (an if, loop or { left open)")
	in_test = 0
}

function token(type, w, ln) {
	if (!in_test) return
	if (fr[d] == "case") {
		if (type == "word" && w == "case") cased[d]++
		else if (type == "word" && w == "esac" && --cased[d] < 0) { pop_frame(0); cmdpos = 0 }
		return
	}
	if (type == "word") { on_word(w, ln); afterop = 0; return }
	if (dbrack) return
	if (type == "redir") { skipw = 1; return }
	if (type == "&&" || type == "||" || type == "|") {
		if (li[d] && type != "|") {
			if (type == "&&" && !na[d]++) al[d] = ln
			lo[d] = type; ne[d]++; np[d] = 1
		}
		afterop = 1; cmdpos = 1
		return
	}
	if (type == "nl") {
		if (afterop || fnpend) return
		list_end("nl"); cmdpos = 1
		return
	}
	afterop = 0
	if (type == ";" || type == "&" || type == ";;") { list_end(type); cmdpos = 1; return }
	if (type == "(") {
		if (fnpend == 1) fnpend = 3
		else if (cmdpos) { begin_part("(", ln); push_frame("sub", "body") }
		else if (li[d] && ne[d] == 1 && words == 1) { li[d] = 0; fnpend = 3 }
		return
	}
	if (type == ")") {
		if (fnpend == 3) { fnpend = 1; cmdpos = 1 }
		else if (fr[d] == "sub") { list_end(")"); pop_frame(0); cmdpos = 0 }
	}
}

function on_word(w, ln) {
	if (skipw) { skipw = 0; return }
	if (dbrack) { if (w == "]]") dbrack = 0; return }
	if (fnpend == 2) { fnpend = 1; return }
	if (fnpend == 1) {
		fnpend = 0
		if (w == "{") { push_frame("fn", "body"); return }
	}
	if (!cmdpos) { words++; return }
	if (w == "if" || w == "while" || w == "until") { begin_part(w, ln); push_frame(w == "if" ? "if" : "loop", "cond"); return }
	if (w == "for" || w == "select") { begin_part(w, ln); push_frame("loop", "cond"); cmdpos = 0; return }
	if (w == "case") { begin_part(w, ln); push_frame("case", "body"); cased[d] = 0; return }
	if (w == "{") { begin_part(w, ln); push_frame("grp", "body"); return }
	if (w == "function") { begin_part(w, ln); li[d] = 0; fnpend = 2; cmdpos = 0; return }
	if (w == "then" && fr[d] == "if") { fm[d] = "body"; return }
	if (w == "do" && fr[d] == "loop") { fm[d] = "body"; return }
	if ((w == "elif" || w == "else") && fr[d] == "if") {
		list_end("nl")
		bub[d] = bub[d] pend[d]; pend[d] = ""
		fm[d] = w == "else" ? "body" : "cond"
		return
	}
	if ((w == "fi" && fr[d] == "if") || (w == "done" && fr[d] == "loop") || (w == "}" && fr[d] == "grp")) {
		pop_frame(1); cmdpos = 0; return
	}
	if (w == "}" && fr[d] == "fn") { pop_frame(0); cmdpos = 0; return }
	if (w == "!") { if (!li[d]) { begin_part(w, ln); ng[d] = 1 }; return }
	if (w ~ /^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=/) { begin_part(w, ln); return }
	begin_part(w, ln)
	if (np[d]) { lw[d] = w; np[d] = 0 }
	if (fw[d] == "") fw[d] = w
	if (w == "sleep" && !sl[d]) sl[d] = ln
	if (w == "[[") dbrack = 1
	words = 1; cmdpos = 0
}

# a word at command position: part of the open list, or a new list, which
# makes the findings waiting at this depth stand
function begin_part(w, ln) {
	if (li[d]) return
	flush(d)
	li[d] = 1; ll[d] = ln; na[d] = 0; lo[d] = ""; ne[d] = 1; np[d] = 1
	fw[d] = ""; lw[d] = ""; al[d] = 0; ng[d] = 0; sl[d] = 0
}

function flush(k,   n, i, parts, p) {
	if (pend[k] == "") return
	n = split(pend[k], parts, "\n")
	for (i = 1; i <= n; i++) {
		if (parts[i] == "") continue
		p = index(parts[i], " ")
		report(substr(parts[i], 1, p - 1) + 0, substr(parts[i], p + 1))
	}
	pend[k] = ""
}

function push_frame(type, mode) {
	d++
	fr[d] = type; fm[d] = mode; pend[d] = ""; bub[d] = ""; li[d] = 0
	cmdpos = 1
}

# an if, loop or { } has its last command's status, so what waits at its end
# waits after it; a subshell or function fails on its own last command
function pop_frame(bubble,   p) {
	list_end("nl")
	p = bub[d] pend[d]
	if (d == 0) return
	d--
	if (bubble) pend[d] = pend[d] p
	if (np[d]) { lw[d] = fr[d + 1]; np[d] = 0 }
}

# may a finding stand here: not in a condition, helper function or case
function checked(   k) {
	for (k = 1; k <= d; k++)
		if (fm[k] == "cond" || fr[k] == "fn" || fr[k] == "case") return 0
	return 1
}

function in_loop(   k) {
	for (k = 1; k <= d; k++)
		if (fr[k] == "loop") return 1
	return 0
}

function list_end(term,   ln) {
	if (!li[d]) return
	li[d] = 0
	if (!checked()) return
	if (na[d] && lo[d] == "&&" && lw[d] !~ /^(break|continue|return|exit|fail|false|skip)$/)
		pend[d] = pend[d] al[d] " '&&' in the middle of a test asserts nothing on its left side: " trimmed(al[d]) "\n"
	if (ng[d] && ne[d] == 1)
		pend[d] = pend[d] ll[d] " '!' in the middle of a test asserts nothing (set -e ignores a negated command): " trimmed(ll[d]) "\n"
	if (lo[d] == "||" && lw[d] ~ /^(true|:)$/ && fw[d] ~ /^(\[|\[\[|test|\(\(.*|assert.*|refute.*)$/)
		report(ll[d], "'|| true' after a test throws its result away: " trimmed(ll[d]))
	ln = sl[d]
	if (ln && term != "&" && !in_loop() && src[ln] !~ /#[ \t]*lint: sleep-ok[ \t]+[^ \t]/)
		report(ln, "sleep as synchronisation; wait on a condition")
}
