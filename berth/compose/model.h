/* Inside compose/: what project.c (a whole project: files, merge, extends,
 * include, profiles) uses of compose.c (one service's keys, interpolation,
 * env files). Not an entry point of the part. */
#ifndef COMPOSE_MODEL_H
#define COMPOSE_MODEL_H

#include <stdarg.h>

#include "compose.h"

/* "FILE:LINE: message" (or "FILE: ", or no place when file is NULL) on stderr */
void compose_vdiag(const char *file, int line, const char *fmt, va_list ap);

/* every scalar value under root, in place, by the compose specification's
 * interpolation rules; variables come from the environment, then vars
 * (KEY=VALUE, a later one wins). Returns the number of errors */
int compose_interp(const char *file, struct ynode *root, const struct strv *vars);
/* one service body as a definition: 0 if it is usable (d is then the
 * caller's to def_free), else the errors were printed and d is cleared */
int compose_service_def(const char *file, const char *name, const struct ynode *body, const char *prefix,
			struct container_def *d);
void compose_def_clear(struct container_def *d);
/* KEY=VALUE lines of an env file into env (a later key wins); name is
 * absolute, or relative to file's directory. 0, or -1 after a message at
 * node at (path names it) */
int compose_env_file(const char *file, const struct ynode *at, const char *path, const char *name, int required,
		     struct strv *env);

#endif
