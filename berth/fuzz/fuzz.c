/* libFuzzer target for the boot timeline parser (berth/cli/events.c): whatever
 * the bytes, every event it keeps is printable, short and in time order.
 *   make out/fuzz/events-libfuzzer   (and out/fuzz/events-main: the seeds, no clang)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct events t = { .path = "fuzz" };

	if (size > EVENTS_MAX_BYTES)
		return 0;
	t.buf = malloc(size + 1);
	if (!t.buf)
		abort();
	memcpy(t.buf, data, size);
	t.len = size;
	if (events_parse(&t) != 0)
		abort();
	if (t.n + t.malformed > t.lines || t.lines > EVENTS_MAX_LINES)
		abort();
	for (size_t i = 0; i < t.n; i++) {
		size_t len = strlen(t.ev[i].name);

		if (len == 0 || len > 255 || t.ev[i].ms < 0)
			abort();
		for (size_t j = 0; j < len; j++)
			if (t.ev[i].name[j] < 0x20 || t.ev[i].name[j] > 0x7e)
				abort();
		if (i > 0 && t.ev[i - 1].ms > t.ev[i].ms)
			abort();
	}
	events_free(&t);
	return 0;
}
