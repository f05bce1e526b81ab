#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"

/* One line, one write(2): lines from several programs never interleave. */
void timeline(const char *fmt, ...)
{
	char event[256], line[320];
	va_list ap;
	int n, fd;

	va_start(ap, fmt);
	vsnprintf(event, sizeof event, fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof line, "berth[%.3f]: %s\n", boottime_seconds(), event);
	if (n < 0 || (size_t)n >= sizeof line)
		n = (int)strlen(line);
	if (write(STDOUT_FILENO, line, (size_t)n) < 0) {
		/* the console may be gone; the file below still counts */
	}
	mkdir("/run/berth", 0755);
	fd = open("/run/berth/timeline", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			warn_errno("append to /run/berth/timeline");
		close(fd);
	}
}
