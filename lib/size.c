/* How big, as docker says it (`docker images`, `docker system df`). */
#include <stdio.h>

#include "berth.h"

void human_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1000 && i + 1 < sizeof units / sizeof units[0]) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.3g%s", v, units[i]);
}
