/* The random seed carried across boots in /var, so the kernel's pool starts
 * seeded on VMs with little entropy of their own. */
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "init.h"

#define SEED_SIZE 512

/* Fresh bytes to the seed file; GRND_NONBLOCK because an uninitialised pool
 * must not stall boot or shutdown, and its output must not become a seed. */
static int seed_write(const char *path)
{
	unsigned char seed[SEED_SIZE];
	char dir[256];
	char *slash;
	ssize_t n = getrandom(seed, sizeof seed, GRND_NONBLOCK);

	if (n != (ssize_t)sizeof seed)
		return -1;
	if (snprintf(dir, sizeof dir, "%s", path) < (int)sizeof dir && (slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		mkdir_p(dir, 0755);
	}
	return file_write_atomic(path, seed, sizeof seed, 0600);
}

/* Mix the saved seed in, and credit it only if it can never be used again:
 * it is removed first, and a fresh one is written once the pool is seeded. */
void entropy_load(struct init *st)
{
	union {
		struct rand_pool_info info;
		unsigned char raw[sizeof(struct rand_pool_info) + SEED_SIZE];
	} u;
	int fd, creditable;
	ssize_t n;

	fd = open(st->seed_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			warn_errno("open %s", st->seed_path);
		seed_write(st->seed_path);
		return;
	}
	n = read(fd, u.info.buf, SEED_SIZE);
	close(fd);
	creditable = unlink(st->seed_path) == 0;
	if (!creditable)
		warn_errno("remove %s (the seed is mixed in, not credited)", st->seed_path);
	if (n > 0 && !st->test) {
		u.info.entropy_count = creditable ? (int)n * 8 : 0;
		u.info.buf_size = (int)n;
		fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			warn_errno("open /dev/urandom");
		else if (ioctl(fd, RNDADDENTROPY, &u.info) != 0 && write(fd, u.info.buf, (size_t)n) != n)
			warn_errno("write random seed to /dev/urandom");
		if (fd >= 0)
			close(fd);
	}
	if (seed_write(st->seed_path) != 0)
		warn_errno("write fresh random seed %s", st->seed_path);
}

void entropy_save(struct init *st)
{
	if (seed_write(st->seed_path) != 0)
		warn_errno("save random seed %s", st->seed_path);
}
