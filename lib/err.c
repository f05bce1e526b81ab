/* The error carrier: the exit code and the one line a command reports. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "berth.h"
#include "err.h"

static int vfail(struct err *e, int code, int errnum, const char *fmt, va_list ap)
{
	size_t n;

	/* the first error is the one that explains; later ones are fallout */
	if (e->msg[0])
		return -1;
	e->code = code;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	n = strlen(e->msg);
	if (errnum)
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
	return -1;
}

int fail(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(e, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int fail_errno(struct err *e, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vfail(e, EXIT_SYSTEM, errnum, fmt, ap);
	va_end(ap);
	errno = errnum;
	return -1;
}

void err_prefix(struct err *e, const char *prefix)
{
	size_t plen = strlen(prefix), mlen = strlen(e->msg);

	if (strncmp(e->msg, prefix, plen) == 0 || plen + 2 >= sizeof e->msg)
		return;
	if (mlen > sizeof e->msg - plen - 3)
		mlen = sizeof e->msg - plen - 3;
	memmove(e->msg + plen + 2, e->msg, mlen);
	memcpy(e->msg, prefix, plen);
	memcpy(e->msg + plen, ": ", 2);
	e->msg[plen + 2 + mlen] = '\0';
}
