/* A UKI's name on the ESP is the whole boot state (DESIGN.md section 4):
 * systemd-boot counts tries in the name and renames the file before it
 * boots it, so the parser takes nothing for granted. */
#include <stdio.h>
#include <string.h>

#include "update.h"

#define PREFIX "berth-"
#define SUFFIX ".efi"

/* a decimal counter of 1 to 3 digits; returns the characters used, 0 if none */
static size_t counter(const char *s, size_t len, unsigned *out)
{
	size_t i = 0;

	*out = 0;
	while (i < len && i < 4 && s[i] >= '0' && s[i] <= '9')
		*out = *out * 10 + (unsigned)(s[i++] - '0');
	if (i == 0 || i == 4 || *out > UKI_COUNT_MAX)
		return 0;
	return i;
}

int uki_name_parse(const char *name, struct uki_name *u)
{
	size_t len = strlen(name), plen = strlen(PREFIX), slen = strlen(SUFFIX), vlen, n;
	const char *v, *end, *plus;

	memset(u, 0, sizeof *u);
	if (len <= plen + slen || strncmp(name, PREFIX, plen) != 0 ||
	    strcmp(name + len - slen, SUFFIX) != 0)
		return -1;
	v = name + plen;
	end = name + len - slen;
	plus = memchr(v, '+', (size_t)(end - v));
	vlen = (size_t)((plus ? plus : end) - v);
	if (vlen == 0 || vlen >= sizeof u->version)
		return -1;
	memcpy(u->version, v, vlen);
	u->version[vlen] = '\0';
	if (!version_valid(u->version))
		return -1;
	if (!plus)
		return 0;
	u->counted = 1;
	plus++;
	n = counter(plus, (size_t)(end - plus), &u->left);
	if (n == 0)
		return -1;
	plus += n;
	if (plus == end)
		return 0;
	if (*plus != '-')
		return -1;
	plus++;
	n = counter(plus, (size_t)(end - plus), &u->done);
	return n != 0 && plus + n == end ? 0 : -1;
}

int uki_name_format(const struct uki_name *u, char *buf, size_t size)
{
	int n;

	if (u->counted)
		n = snprintf(buf, size, PREFIX "%s+%u-%u" SUFFIX, u->version, u->left, u->done);
	else
		n = snprintf(buf, size, PREFIX "%s" SUFFIX, u->version);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
