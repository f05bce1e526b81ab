#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"

static const char *prog = "berth";

void log_init(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	prog = slash ? slash + 1 : argv0;
}

const char *log_prog(void) { return prog; }

static void vlog(int err, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (err)
		fprintf(stderr, "%s: %s: %s\n", prog, msg, strerror(err));
	else
		fprintf(stderr, "%s: %s\n", prog, msg);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

void warn_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(err, fmt, ap);
	va_end(ap);
	errno = err;
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
	exit(code);
}

void die_errno(int code, const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(err, fmt, ap);
	va_end(ap);
	exit(code);
}
