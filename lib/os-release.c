/* os-release(5): KEY=value lines, the value maybe quoted */
#include <string.h>

#include "berth.h"

/* KEY's value on line l, quotes removed; 0, or -1 */
static int os_release_value(const char *l, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), n;
	const char *v = l + klen + 1, *end;

	if (strncmp(l, key, klen) != 0 || l[klen] != '=')
		return -1;
	end = strchr(v, '\n');
	n = end ? (size_t)(end - v) : strlen(v);
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v++;
		n -= 2;
	}
	if (n == 0 || n >= size)
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

int os_release_get(const char *text, const char *key, char *out, size_t size)
{
	for (const char *l = text; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (os_release_value(l, key, out, size) == 0)
			return 0;
	return -1;
}
