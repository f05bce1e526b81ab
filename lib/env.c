/* The environment: what the host tests point elsewhere, with the system's
 * own place as the default. */
#include <stdio.h>
#include <stdlib.h>

#include "berth.h"

const char *env_or(const char *var, const char *def)
{
	const char *v = getenv(var);

	return v && *v ? v : def;
}

void env_path(char *dst, size_t size, const char *var, const char *def)
{
	if (snprintf(dst, size, "%s", env_or(var, def)) >= (int)size)
		die(EXIT_USAGE, "%s: too long", var);
}
