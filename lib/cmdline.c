#include <string.h>

#include "berth.h"

int cmdline_read(char *buf, size_t size)
{
	ssize_t n = file_read("/proc/cmdline", buf, size);

	if (n < 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* Words are separated by spaces; a later KEY= wins, as in the kernel.
 * Quoted values ("a b") are not needed by any of Berth's keys. */
int cmdline_get(const char *cmdline, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cmdline;
	int found = 0;

	while (*p) {
		const char *end;
		size_t wlen;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		end = p;
		while (*end && *end != ' ' && *end != '\t' && *end != '\n')
			end++;
		wlen = (size_t)(end - p);
		if (wlen >= klen && strncmp(p, key, klen) == 0 && (wlen == klen || p[klen] == '=')) {
			const char *v = wlen == klen ? end : p + klen + 1;
			size_t vlen = (size_t)(end - v);

			if (vlen >= size)
				return -1;
			memcpy(val, v, vlen);
			val[vlen] = '\0';
			found = 1;
		}
		p = end;
	}
	return found;
}
