/* floor-init: the benchmark floor, a trivial static /init. It prints one
 * timeline-style line and powers off, so `make bench` can put Berth's boot
 * beside what the same kernel needs to reach any userspace at all. */
#include <stdio.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	printf("berth-floor[%ld.%03ld]: init\n", (long)ts.tv_sec, ts.tv_nsec / 1000000);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
