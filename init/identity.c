/* /etc/machine-id: one per machine, never one per image. The image has
 * none; the first boot writes a random one (32 hex digits, a version 4
 * UUID as systemd makes them) into the /etc overlay on /var, so it lasts
 * until a factory reset. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "berth.h"
#include "init.h"

static int machine_id_valid(const char *s)
{
	return strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32 && strcmp(s, "00000000000000000000000000000000");
}

void machine_id_setup(struct init *st)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t id[16];
	char buf[64];
	ssize_t n;

	if (!st->machine_id_path)
		return;
	n = file_read(st->machine_id_path, buf, sizeof buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && machine_id_valid(buf))
		return;
	if (n >= 0)
		warn("%s: not 32 hex digits: made anew", st->machine_id_path);
	/* blocks only until the pool is initialised, which the seed just did */
	if (getrandom(id, sizeof id, 0) != (ssize_t)sizeof id) {
		warn_errno("machine id: getrandom");
		return;
	}
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		buf[2 * i] = hex[id[i] >> 4];
		buf[2 * i + 1] = hex[id[i] & 15];
	}
	buf[32] = '\n';
	if (file_write_atomic(st->machine_id_path, buf, 33, 0444) != 0)
		warn_errno("write %s", st->machine_id_path);
	else
		printf("init: first boot: machine id %.32s\n", buf);
}
