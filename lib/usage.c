/* A subcommand's usage error. The program registers how to find a
 * command's arguments line, so every part can report one without knowing
 * the command table. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "berth.h"

static const char *usage_prog = "berth";
static const char *(*usage_args)(const char *name);

void usage_register(const char *prog, const char *(*args)(const char *name))
{
	usage_prog = prog;
	usage_args = args;
}

void usage_error(const char *name, const char *fmt, ...)
{
	const char *args = usage_args ? usage_args(name) : NULL;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s: %s\n", usage_prog, name, msg);
	if (args)
		fprintf(stderr, "usage: %s %s %s\n", usage_prog, name, args);
	exit(EXIT_USAGE);
}
