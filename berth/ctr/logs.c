/* berth logs: svlogd's files of a container, with its timestamps taken off
 * unless asked for, and a follow mode that survives svlogd's rotation. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"

#define LOG_TAIL_MAX_BYTES (16 << 20)

/* svlogd -tt: "2026-11-26_13:40:00.12345 " (the fraction's width varies) */
static const char *strip_stamp(const char *line, size_t len)
{
	if (len < 20 || line[4] != '-' || line[10] != '_' || line[13] != ':')
		return line;
	for (size_t i = 19; i < len && i < 40; i++)
		if (line[i] == ' ')
			return line + i + 1;
	return line;
}

/* berth compose logs: each line after "NAME  | " */
static const char *line_prefix = "";

void ctr_logs_prefix(const char *prefix)
{
	line_prefix = prefix;
}

static void emit(const char *line, size_t len, int timestamps)
{
	const char *s = timestamps ? line : strip_stamp(line, len);

	fputs(line_prefix, stdout);

	fwrite(s, 1, len - (size_t)(s - line), stdout);
	putchar('\n');
}

/* print complete lines of buf, keep a partial one; returns bytes used */
static size_t emit_lines(const char *buf, size_t len, int timestamps)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n') {
			emit(buf + start, i - start, timestamps);
			start = i + 1;
		}
	return start;
}

/* 1 up, 0 not; 2 ending: the container is gone but ctr-exec has not yet
 * written how it ended (it cleans up first) */
static int still_up(const struct ctr_paths *p, const char *name)
{
	struct ctr_state s;

	ctr_state_read(p, name, &s);
	if (s.status == CTR_RUNNING)
		return ctr_state_alive(&s) ? 1 : 2;
	return s.status == CTR_STARTING || s.status == CTR_CREATED || s.status == CTR_RESTARTING;
}

int ctr_logs(const struct ctr_paths *p, const char *name, long tail, int timestamps, int follow, int until_exit)
{
	char path[CTR_PATH_MAX], *buf;
	size_t have = 0, used;
	off_t off = 0;
	struct stat sb, now;
	int fd, idle = 0, last = 0, ending = 0;

	ctr_path(path, sizeof path, "%s/%s/current", p->log, name);
	buf = malloc(LOG_TAIL_MAX_BYTES + 1);
	if (!buf)
		die(EXIT_SYSTEM, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	/* svlogd makes the file when it starts: a moment after the container */
	while (fd < 0 && (follow || until_exit) && errno == ENOENT && (!until_exit || still_up(p, name) || idle < 2000)) {
		ctr_poll_sleep(&idle);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	idle = 0;
	if (fd < 0) {
		free(buf);
		if (errno == ENOENT && !follow)
			return 0; /* nothing logged yet */
		warn_errno("%s", path);
		return EXIT_SYSTEM;
	}
	fstat(fd, &sb);
	if (tail >= 0 && sb.st_size > LOG_TAIL_MAX_BYTES)
		off = sb.st_size - LOG_TAIL_MAX_BYTES;
	if (tail >= 0) {
		ssize_t n = pread(fd, buf, LOG_TAIL_MAX_BYTES, off);
		size_t start, lines = 0;
		if (n < 0)
			n = 0;
		have = (size_t)n;
		off += n;
		/* the start of the last `tail` complete lines */
		start = have;
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		size_t end = start;
		while (start > 0 && lines < (size_t)tail + 1) {
			start--;
			if (buf[start] == '\n' && ++lines == (size_t)tail + 1) {
				start++;
				break;
			}
		}
		if (lines < (size_t)tail + 1)
			start = 0;
		emit_lines(buf + start, end - start, timestamps);
		memmove(buf, buf + end, have - end);
		have -= end;
		if (lseek(fd, off, SEEK_SET) < 0)
			warn_errno("%s", path);
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, LOG_TAIL_MAX_BYTES - have);
		if (n > 0) {
			have += (size_t)n;
			used = emit_lines(buf, have, timestamps);
			memmove(buf, buf + used, have - used);
			have -= used;
			if (have == LOG_TAIL_MAX_BYTES) { /* a line longer than the buffer */
				emit(buf, have, 1);
				have = 0;
			}
			idle = 0;
			continue;
		}
		fflush(stdout);
		if (!follow && !until_exit)
			break;
		if (last)
			break;
		/* ctr-exec says "exited" only once svlogd has read the pipe
		 * dry: one more read to the end finds the last lines. A state
		 * that stays "running" after the container is gone (nobody
		 * left to say otherwise) counts as an end after 2 s */
		if (until_exit) {
			int up = still_up(p, name);

			if (up == 2 && ending < 2000) {
				ending += ctr_poll_sleep(&idle);
				continue;
			}
			if (up != 1) {
				last = 1;
				continue;
			}
		}
		/* svlogd renamed current away: finish the old file, open the new */
		if (stat(path, &now) == 0 && (now.st_ino != sb.st_ino || now.st_dev != sb.st_dev)) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);
			if (nfd >= 0) {
				close(fd);
				fd = nfd;
				fstat(fd, &sb);
				continue;
			}
		}
		ctr_poll_sleep(&idle);
	}
	if (have)
		emit(buf, have, timestamps);
	close(fd);
	free(buf);
	return 0;
}

int cmd_logs(int argc, char **argv)
{
	struct ctr_paths p;
	const char *name = NULL;
	long tail = -1;
	int follow = 0, ts = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0)
			follow = 1;
		else if (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--timestamps") == 0)
			ts = 1;
		else if (strcmp(argv[i], "--tail") == 0 || strcmp(argv[i], "-n") == 0) {
			char *end;
			if (++i >= argc)
				usage_error("logs", "--tail needs a number");
			if (strcmp(argv[i], "all") == 0) {
				tail = -1;
				continue;
			}
			tail = strtol(argv[i], &end, 10);
			if (*end || tail < 0)
				usage_error("logs", "--tail: \"%s\" is not a number", argv[i]);
		} else if (argv[i][0] == '-')
			usage_error("logs", "unknown option \"%s\"", argv[i]);
		else if (name)
			usage_error("logs", "one container at a time");
		else
			name = argv[i];
	}
	if (!name)
		usage_error("logs", "expected NAME");
	ctr_name_check("logs", name);
	ctr_paths_init(&p);
	{
		char def[CTR_PATH_MAX], dir[CTR_PATH_MAX];
		struct stat sb;
		ctr_path(def, sizeof def, "%s/berth/containers/%s.yaml", p.etc, name);
		ctr_path(dir, sizeof dir, "%s/%s", p.log, name);
		if (stat(def, &sb) != 0 && stat(dir, &sb) != 0) {
			warn("Error: No such container: %s", name);
			return 1;
		}
	}
	signal(SIGPIPE, SIG_DFL);
	return ctr_logs(&p, name, tail, ts, follow, 0);
}
