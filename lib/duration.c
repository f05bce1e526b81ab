/* How long ago, as docker says it (`docker ps`, `docker images`). */
#include <stdio.h>

#include "berth.h"

/* Docker's units.HumanDuration: the seconds and minutes cut down, the
 * hours rounded, except for the years */
void human_duration(long long secs, char *buf, size_t size)
{
	long long s = secs < 0 ? 0 : secs, m = s / 60, h = (s + 1800) / 3600;

	if (s < 1)
		snprintf(buf, size, "Less than a second");
	else if (s == 1)
		snprintf(buf, size, "1 second");
	else if (s < 60)
		snprintf(buf, size, "%lld seconds", s);
	else if (m == 1)
		snprintf(buf, size, "About a minute");
	else if (m < 60)
		snprintf(buf, size, "%lld minutes", m);
	else if (h == 1)
		snprintf(buf, size, "About an hour");
	else if (h < 48)
		snprintf(buf, size, "%lld hours", h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, size, "%lld days", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(buf, size, "%lld weeks", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(buf, size, "%lld months", h / 24 / 30);
	else
		snprintf(buf, size, "%lld years", s / 3600 / 24 / 365);
}
