/* One-line failure descriptions: the boot path prints them before
 * rebooting, the host subcommands print them and exit 1. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "initramfs.h"

int error_set(struct error *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int error_errno(struct error *e, const char *fmt, ...)
{
	int err = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(err));
	errno = err;
	return -1;
}
