/* sudo rules from user-data, as /etc/doas.conf lines (Berth ships opendoas,
 * not sudo). Only what translates exactly is written: a rule doas would
 * read more widely than sudo does is refused, and every line written is one
 * doas parses, since one bad line makes doas refuse every rule. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "provision.h"

#define WORDS_MAX 24

/* characters a command path or argument may have: no quoting, globbing,
 * escapes or white space for either parser to read differently */
static int safe_word(const char *s, int path)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || (path && s[0] != '/'))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-=:@%,") == n;
}

/* doas.conf's keywords: as a name or argument, only quoted */
static int keyword(const char *s)
{
	static const char *const kw[] = {"deny", "permit", "as", "cmd", "args", "nopass", "nolog", "persist",
		"keepenv", "setenv", NULL};

	for (int i = 0; kw[i]; i++)
		if (!strcmp(s, kw[i]))
			return 1;
	return 0;
}

static char *trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

struct line {
	char *buf;
	size_t size, len;
	int full;
};

static void add(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (l->full || l->len + n + 1 > l->size) {
		l->full = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n + 1);
	l->len += n;
}

/* a name or argument; safe_word() has kept quotes and escapes out of it */
static void word(struct line *l, const char *s)
{
	add(l, keyword(s) ? "\"" : "");
	add(l, s);
	add(l, keyword(s) ? "\"" : "");
}

/* "/usr/bin/x a b" → " cmd /usr/bin/x args a b"; sudo's bare command allows
 * any arguments, as doas's cmd without args does */
static int command(struct line *l, char *c)
{
	char *w[WORDS_MAX], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(c, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == WORDS_MAX || !safe_word(t, n == 0))
			return -1;
		w[n++] = t;
	}
	if (n == 0)
		return -1;
	add(l, " cmd ");
	word(l, w[0]);
	if (n > 1)
		add(l, " args");
	for (int i = 1; i < n; i++) {
		add(l, " ");
		word(l, w[i]);
	}
	return 0;
}

static void permit(struct line *l, const char *auth, const char *user, const char *runas)
{
	add(l, "permit ");
	add(l, auth);
	add(l, " ");
	word(l, user);
	if (runas[0]) {
		add(l, " as ");
		word(l, runas);
	}
}

/* [ALL=][(RUNAS[:GROUP])] [NOPASSWD:|PASSWD:]ALL|CMD[, CMD…] → one
 * "permit nopass|persist USER [as RUNAS] [cmd …]" line per command */
int doas_from_sudo(const char *user, const char *rule, char *out, size_t size)
{
	char buf[1024], *s, *eq, *cmd[WORDS_MAX];
	char runas[40] = "root";
	const char *auth = "persist";
	int ncmd = 0, all = 0;
	struct line l = {out, size, 0, 0};

	out[0] = '\0';
	if (snprintf(buf, sizeof buf, "%s", rule) >= (int)sizeof buf || strpbrk(buf, "\\\"'#*?[!$`\n\r"))
		return -1;
	s = trim(buf);
	if (!(eq = strchr(s, '=')))
		return -1;
	*eq = '\0';
	if (strcmp(trim(s), "ALL"))
		return -1; /* host lists mean nothing on one host; only ALL is exact */
	s = trim(eq + 1);
	if (*s == '(') {
		char *close = strchr(s, ')'), *colon, *u;
		if (!close)
			return -1;
		*close = '\0';
		u = trim(s + 1);
		if ((colon = strchr(u, ':'))) {
			/* a run-as group other than ALL has no doas equivalent */
			*colon = '\0';
			if (*trim(colon + 1) && strcmp(trim(colon + 1), "ALL"))
				return -1;
			u = trim(u);
		}
		/* "(:GROUP)" runs as the invoking user: not a doas rule */
		if (!strcmp(u, "ALL"))
			runas[0] = '\0'; /* any target user: doas without "as" */
		else if (valid_name(u, 32))
			snprintf(runas, sizeof runas, "%s", u);
		else
			return -1;
		s = trim(close + 1);
	}
	for (;;) {
		if (!strncmp(s, "NOPASSWD:", 9))
			auth = "nopass", s = trim(s + 9);
		else if (!strncmp(s, "PASSWD:", 7))
			auth = "persist", s = trim(s + 7);
		else
			break;
	}
	for (char *c = s;;) {
		char *comma = strchr(c, ',');
		if (comma)
			*comma = '\0';
		if (ncmd == WORDS_MAX || !*trim(c))
			return -1;
		cmd[ncmd] = trim(c);
		all |= !strcmp(cmd[ncmd], "ALL");
		ncmd++;
		if (!comma)
			break;
		c = comma + 1;
	}
	if (all) {
		permit(&l, auth, user, runas);
		add(&l, "\n");
	}
	for (int i = 0; !all && i < ncmd; i++) {
		permit(&l, auth, user, runas);
		if (command(&l, cmd[i]) != 0)
			return -1;
		add(&l, "\n");
	}
	return l.full ? -1 : 0;
}

/* a doas.conf rule given as is (cloud-init's users[].doas): permit or deny,
 * plain options, the user itself as identity, then as and cmd/args words */
int doas_rule_check(const char *user, const char *rule)
{
	char buf[1024], *w[WORDS_MAX], *save = NULL;
	int n = 0, i = 1;

	if (snprintf(buf, sizeof buf, "%s", rule) >= (int)sizeof buf || strpbrk(buf, "\\\"'#{}\n\r"))
		return -1;
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == WORDS_MAX)
			return -1;
		w[n++] = t;
	}
	if (n < 2 || (strcmp(w[0], "permit") && strcmp(w[0], "deny")))
		return -1;
	while (i < n && (!strcmp(w[i], "nopass") || !strcmp(w[i], "nolog") || !strcmp(w[i], "persist") ||
			 !strcmp(w[i], "keepenv")))
		i++;
	if (i == n || strcmp(w[i++], user) || keyword(user))
		return -1;
	if (i + 1 < n && !strcmp(w[i], "as")) {
		if (!valid_name(w[i + 1], 32) || keyword(w[i + 1]))
			return -1;
		i += 2;
	}
	if (i == n)
		return 0;
	if (strcmp(w[i], "cmd") || i + 1 >= n || !safe_word(w[i + 1], 1))
		return -1;
	i += 2;
	if (i < n && strcmp(w[i++], "args"))
		return -1;
	for (; i < n; i++)
		if (!safe_word(w[i], 0) || keyword(w[i]))
			return -1;
	return 0;
}
