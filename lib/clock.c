/* Clocks: monotonic milliseconds for timeouts, boot time for the timeline. */
#include <time.h>

#include "berth.h"

/* CLOCK_MONOTONIC: a deadline must not move when the wall clock is set, and
 * must not run out while the machine (or the VM) is stopped */
long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CLOCK_BOOTTIME: the kernel's own timestamps count from boot, suspend
 * included; the timeline lines up with them */
double boottime_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
