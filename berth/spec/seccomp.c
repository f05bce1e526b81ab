/* The default seccomp profile. Docker's is an allow-list (defaultAction
 * ERRNO, ~350 names, arch- and kernel-version-specific); Berth writes a deny
 * list instead (defaultAction ALLOW): it is short enough to audit here, it
 * never breaks a program for using a syscall newer than the list, and
 * the dangerous syscalls it denies are the ones Docker's profile leaves
 * out: those that reach state the kernel does not namespace (keyrings,
 * modules, clock, kexec, swap, accounting) and the mount and namespace
 * family, which, as in Docker, only CAP_SYS_ADMIN unlocks. The price: a
 * dangerous syscall added to a future kernel is allowed until it is listed. */
#include <stdint.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "spec.h"

#define EPERM_RET 1
#define ENOSYS_RET 38

static const struct rule {
	const char *cap; /* NULL: always denied; else denied unless the container has it */
	int errno_ret;
	const char *const names[16];
} rules[] = {
	/* not namespaced, or long a source of kernel bugs, whatever the caps */
	{ NULL, EPERM_RET, { "add_key", "keyctl", "request_key", "userfaultfd", "uselib",
			     "nfsservctl", "_sysctl", "sysfs", "vm86", "vm86old", "create_module",
			     "get_kernel_syms", "query_module", "io_uring_setup",
			     "io_uring_enter", "io_uring_register" } },
	{ "CAP_SYS_ADMIN", EPERM_RET, { "mount", "umount", "umount2", "pivot_root", "fsopen",
					"fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
					"mount_setattr", "unshare", "setns", "swapon", "swapoff",
					"quotactl" } },
	{ "CAP_SYS_ADMIN", EPERM_RET, { "quotactl_fd", "lookup_dcookie", "fanotify_init",
					"name_to_handle_at", "bpf", "perf_event_open" } },
	/* libcs fall back to clone(2), whose flags a filter can see */
	{ "CAP_SYS_ADMIN", ENOSYS_RET, { "clone3" } },
	{ "CAP_SYS_BOOT", EPERM_RET, { "reboot", "kexec_load", "kexec_file_load" } },
	{ "CAP_SYS_MODULE", EPERM_RET, { "init_module", "finit_module", "delete_module" } },
	{ "CAP_SYS_PACCT", EPERM_RET, { "acct" } },
	{ "CAP_SYS_RAWIO", EPERM_RET, { "iopl", "ioperm" } },
	{ "CAP_SYS_TIME", EPERM_RET, { "settimeofday", "stime", "clock_settime", "clock_settime64",
				       "adjtimex", "clock_adjtime", "clock_adjtime64" } },
	{ "CAP_SYS_TTY_CONFIG", EPERM_RET, { "vhangup" } },
	{ "CAP_SYS_NICE", EPERM_RET, { "get_mempolicy", "mbind", "set_mempolicy",
				       "set_mempolicy_home_node" } },
	{ "CAP_DAC_READ_SEARCH", EPERM_RET, { "open_by_handle_at" } },
};

/* clone(2) flags that make a namespace: denied without CAP_SYS_ADMIN */
static const uint64_t clone_ns_flags[] = {
	0x00020000, /* CLONE_NEWNS */
	0x02000000, /* CLONE_NEWCGROUP */
	0x04000000, /* CLONE_NEWUTS */
	0x08000000, /* CLONE_NEWIPC */
	0x10000000, /* CLONE_NEWUSER */
	0x20000000, /* CLONE_NEWPID */
	0x40000000, /* CLONE_NEWNET */
	0x00000080, /* CLONE_NEWTIME */
};

static void str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static int has_cap(const char *const *caps, size_t n, const char *cap)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(caps[i], cap) == 0)
			return 1;
	return 0;
}

static void deny(yajl_gen g, const char *const *names, size_t n, int errno_ret)
{
	yajl_gen_map_open(g);
	str(g, "names");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n && names[i]; i++)
		str(g, names[i]);
	yajl_gen_array_close(g);
	str(g, "action");
	str(g, "SCMP_ACT_ERRNO");
	str(g, "errnoRet");
	yajl_gen_integer(g, errno_ret);
}

void spec_seccomp(yajl_gen g, const char *const *caps, size_t ncaps)
{
	str(g, "seccomp");
	yajl_gen_map_open(g);
	str(g, "defaultAction");
	str(g, "SCMP_ACT_ALLOW");
	str(g, "architectures");
	yajl_gen_array_open(g);
#if defined(__x86_64__)
	str(g, "SCMP_ARCH_X86_64");
	str(g, "SCMP_ARCH_X86");
	str(g, "SCMP_ARCH_X32");
#elif defined(__aarch64__)
	str(g, "SCMP_ARCH_AARCH64");
	str(g, "SCMP_ARCH_ARM");
#endif
	yajl_gen_array_close(g);
	str(g, "syscalls");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		if (rules[i].cap && has_cap(caps, ncaps, rules[i].cap))
			continue;
		deny(g, rules[i].names, 16, rules[i].errno_ret);
		yajl_gen_map_close(g);
	}
	/* one rule per flag: the conditions of one rule are ANDed */
	if (!has_cap(caps, ncaps, "CAP_SYS_ADMIN")) {
		static const char *const clone[] = { "clone" };

		for (size_t i = 0; i < sizeof clone_ns_flags / sizeof clone_ns_flags[0]; i++) {
			deny(g, clone, 1, EPERM_RET);
			str(g, "args");
			yajl_gen_array_open(g);
			yajl_gen_map_open(g);
			str(g, "index");
			yajl_gen_integer(g, 0);
			str(g, "value");
			yajl_gen_integer(g, (long long)clone_ns_flags[i]);
			str(g, "valueTwo");
			yajl_gen_integer(g, (long long)clone_ns_flags[i]);
			str(g, "op");
			str(g, "SCMP_CMP_MASKED_EQ");
			yajl_gen_map_close(g);
			yajl_gen_array_close(g);
			yajl_gen_map_close(g);
		}
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}
