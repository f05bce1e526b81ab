/* A path made with snprintf: it fits, or the program stops. */
#include <stdarg.h>
#include <stdio.h>

#include "berth.h"

void path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		die(EXIT_SYSTEM, "path too long: %s", buf);
}
