/* The ACPI power button (QEMU's system_powerdown) reaches userspace only as
 * an input device named "Power Button"; without acpid, PID 1 reads it. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "init.h"

int power_button_open(void)
{
	DIR *d = opendir("/sys/class/input");
	struct dirent *e;
	int fd = -1;

	if (!d)
		return -1;
	while (fd < 0 && (e = readdir(d))) {
		char path[300], name[128];
		ssize_t n;

		if (strncmp(e->d_name, "event", 5) != 0)
			continue;
		if (snprintf(path, sizeof path, "/sys/class/input/%s/device/name", e->d_name) >= (int)sizeof path)
			continue;
		n = file_read(path, name, sizeof name);
		if (n <= 0)
			continue;
		if (name[n - 1] == '\n')
			name[n - 1] = '\0';
		if (strcmp(name, "Power Button") != 0)
			continue;
		if (snprintf(path, sizeof path, "/dev/input/%s", e->d_name) >= (int)sizeof path)
			continue;
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			warn_errno("open power button %s", path);
	}
	closedir(d);
	return fd;
}

enum action power_button_read(int fd)
{
	struct input_event ev[16];
	enum action act = ACT_NONE;
	ssize_t n;

	while ((n = read(fd, ev, sizeof ev)) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof ev[0]; i++)
			if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1)
				act = ACT_POWEROFF;
	}
	return act;
}
