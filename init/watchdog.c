/* The hardware watchdog (i6300esb in QEMU, iTCO on metal): PID 1 arms it
 * and pings it from its event loop, so a hung PID 1 resets the machine. It
 * stops feeding it when the boot assessment (`berth update check`) is still
 * running long after its deadline: a trial boot that hangs there resets, and
 * the boot loader's counter then falls back to the old slot. */
#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "berth.h"
#include "init.h"


void watchdog_open(struct init *st, unsigned timeout)
{
	int t = (int)timeout;

	st->wdfd = -1;
	if (timeout == 0)
		return;
	st->wdfd = open(st->watchdog_path, O_WRONLY | O_CLOEXEC);
	if (st->wdfd < 0) {
		if (errno != ENOENT && errno != ENODEV)
			warn("%s: %s; running without a watchdog", st->watchdog_path, strerror(errno));
		return;
	}
	/* a driver may round the timeout or refuse to change it: ask it back */
	if (ioctl(st->wdfd, WDIOC_SETTIMEOUT, &t) != 0 && (ioctl(st->wdfd, WDIOC_GETTIMEOUT, &t) != 0 || t <= 0))
		t = (int)timeout;
	st->wd_interval_ms = (long long)t * 1000 / 3;
	st->wd_next_ms = 0;
	watchdog_feed(st);
	printf("init: watchdog %s armed, %d s\n", st->watchdog_path, t);
	fflush(stdout);
}

/* called from the event loop: ping if one is due and the system is healthy;
 * returns the ms until the next ping is due (-1: none) */
long long watchdog_feed(struct init *st)
{
	long long now;

	if (st->wdfd < 0)
		return -1;
	now = now_ms();
	if (st->check > 0 && st->check_deadline_ms && now > st->check_deadline_ms) {
		if (!st->wd_starving)
			warn("boot check still running after its deadline: no longer feeding the watchdog");
		st->wd_starving = 1;
		return -1;
	}
	if (now >= st->wd_next_ms) {
		if (ioctl(st->wdfd, WDIOC_KEEPALIVE, 0) != 0 && write(st->wdfd, "k", 1) != 1)
			warn("%s: keepalive: %s", st->watchdog_path, strerror(errno));
		st->wd_next_ms = now + st->wd_interval_ms;
	}
	return st->wd_next_ms - now;
}

/* halt must not be reset by the watchdog: the magic close disarms it */
void watchdog_disarm(struct init *st)
{
	if (st->wdfd < 0)
		return;
	if (write(st->wdfd, "V", 1) != 1)
		warn("%s: magic close: %s", st->watchdog_path, strerror(errno));
	close(st->wdfd);
	st->wdfd = -1;
}
