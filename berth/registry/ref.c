/* Image references in Docker's grammar (distribution's reference package):
 *   [HOST[:PORT]/]COMPONENT[/COMPONENT...][:TAG][@sha256:HEX]
 * The first component is a host only when it has a '.' or a ':', is
 * "localhost", or is an IPv6 address in brackets; otherwise the host is
 * docker.io, and a single name there lives under library/. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

#define DEFAULT_HOST "docker.io"

static int alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* a path component: [a-z0-9]+ joined by '.', '_', '__' or any run of '-' */
static int component_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
		return 0;
	while (i < n) {
		if (alnum_lower(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.' || (s[i] == '_' && !(i + 1 < n && s[i + 1] == '_'))) {
			i++;
		} else if (s[i] == '_') {
			i += 2;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return 0;
		}
		if (i >= n || !alnum_lower(s[i]))
			return 0;
	}
	return 1;
}

/* HOST[:PORT]: DNS labels of [A-Za-z0-9-], or [IPv6] */
static int host_valid(const char *s, size_t n)
{
	size_t i = 0, port;

	if (n > 0 && s[0] == '[') {
		while (i < n && s[i] != ']')
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '[' && s[i] != '.')
				return 0;
			else
				i++;
		if (i == n)
			return 0;
		i++;
	} else {
		size_t label = 0;
		for (; i < n && s[i] != ':'; i++) {
			char c = s[i];
			if (c == '.') {
				if (label == 0 || s[i - 1] == '-')
					return 0;
				label = 0;
				continue;
			}
			if (!isalnum((unsigned char)c) && !(c == '-' && label > 0))
				return 0;
			label++;
		}
		if (label == 0)
			return 0;
	}
	if (i == n)
		return 1;
	if (s[i] != ':')
		return 0;
	port = i + 1;
	if (port == n || n - port > 5)
		return 0;
	for (i = port; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int tag_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

int reg_ref_parse(const char *s, struct reg_ref *r, struct err *e)
{
	char buf[1024];
	char *at, *name, *slash, *colon, *p;
	size_t hlen;

	memset(r, 0, sizeof *r);
	if (strlen(s) >= sizeof buf)
		return fail(e, 1, "image reference \"%.60s...\": longer than %zu characters", s, sizeof buf - 1);
	if (!*s)
		return fail(e, 1, "image reference: empty");
	strcpy(buf, s);
	if ((at = strchr(buf, '@'))) {
		*at++ = '\0';
		if (strncmp(at, "sha256:", 7) != 0)
			return fail(e, 1, "image reference \"%.200s\": only sha256 digests (@sha256:<64 hex digits>)", s);
		if (!digest_valid(at))
			return fail(e, 1, "image reference \"%.200s\": the digest is not sha256:<64 lowercase hex digits>", s);
		strcpy(r->digest, at);
	}
	name = buf;
	slash = strchr(name, '/');
	if (slash) {
		hlen = (size_t)(slash - name);
		/* the first component is a host by docker's rule */
		if (memchr(name, '.', hlen) || memchr(name, ':', hlen) || (hlen == 9 && strncmp(name, "localhost", 9) == 0) ||
		    name[0] == '[') {
			if (!host_valid(name, hlen))
				return fail(e, 1, "image reference \"%.200s\": \"%.*s\" is not a valid registry host[:port]", s,
					    (int)hlen, name);
			if (hlen >= sizeof r->host)
				return fail(e, 1, "image reference \"%.200s\": the host is too long", s);
			memcpy(r->host, name, hlen);
			r->host[hlen] = '\0';
			name = slash + 1;
		}
	}
	if (!r->host[0])
		strcpy(r->host, DEFAULT_HOST);
	/* a tag is after the last ':' that follows the last '/' */
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon++ = '\0';
		if (!tag_valid(colon))
			return fail(e, 1, "image reference \"%.200s\": tag \"%.140s\" is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}",
				    s, colon);
		strcpy(r->tag, colon);
	} else if (!r->digest[0]) {
		strcpy(r->tag, "latest");
	}
	for (p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			return fail(e, 1, "image reference \"%.200s\": repository name must be lowercase", s);
	for (p = name;;) {
		char *end = strchrnul(p, '/');
		if (!component_valid(p, (size_t)(end - p)))
			return fail(e, 1, "image reference \"%.200s\": \"%.*s\" is not a valid name component "
				    "([a-z0-9] joined by '.', '_', '__' or '-')", s, (int)(end - p), p);
		if (!*end)
			break;
		p = end + 1;
	}
	if (strcmp(r->host, DEFAULT_HOST) == 0 && !strchr(name, '/')) {
		if (snprintf(r->repo, sizeof r->repo, "library/%s", name) >= (int)sizeof r->repo)
			return fail(e, 1, "image reference \"%.200s\": the name is longer than 255 characters", s);
	} else if (snprintf(r->repo, sizeof r->repo, "%s", name) >= (int)sizeof r->repo) {
		return fail(e, 1, "image reference \"%.200s\": the name is longer than 255 characters", s);
	}
	if (strlen(r->host) + 1 + strlen(r->repo) > 255)
		return fail(e, 1, "image reference \"%.200s\": the name is longer than 255 characters", s);
	return 0;
}

void reg_ref_store_name(const struct reg_ref *r, char *out, size_t size)
{
	const char *repo = r->repo;
	const char *tag = r->tag[0] ? r->tag : "<none>";

	if (strcmp(r->host, DEFAULT_HOST) == 0) {
		/* docker's familiar name: library/x is x, but library/x/y
		 * stays (x/y would be another repository) */
		if (strncmp(repo, "library/", 8) == 0 && !strchr(repo + 8, '/'))
			repo += 8;
		snprintf(out, size, "%s:%s", repo, tag);
	} else {
		snprintf(out, size, "%s/%s:%s", r->host, repo, tag);
	}
}

void reg_ref_full(const struct reg_ref *r, char *out, size_t size)
{
	if (r->digest[0] && r->tag[0])
		snprintf(out, size, "%s/%s:%s@%s", r->host, r->repo, r->tag, r->digest);
	else if (r->digest[0])
		snprintf(out, size, "%s/%s@%s", r->host, r->repo, r->digest);
	else
		snprintf(out, size, "%s/%s:%s", r->host, r->repo, r->tag);
}
