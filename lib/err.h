/* An error on its way up to the command: the exit code and one line. */
#ifndef BERTH_ERR_H
#define BERTH_ERR_H

struct err {
	int code; /* 1: bad input, EXIT_SYSTEM: the host failed us */
	char msg[1024];
};
/* fill e (if still empty) and return -1; the _errno form appends strerror */
int fail(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int fail_errno(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* put "<prefix>: " before the message, unless it starts with prefix */
void err_prefix(struct err *e, const char *prefix);

#endif
