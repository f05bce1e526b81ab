/* berth update: signed A/B updates (docs/UPDATES.md). `verify` checks a
 * bundle without writing anything; `apply` installs one into the slot not
 * booted; `status`, `rollback`, and `check`, the boot assessment PID 1
 * runs after "ready". */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "berth.h"
#include "update.h"
#include "bundle.h"
#include "host.h"

int key_load(struct update_ctx *c, const char *path, struct minisign_key *key)
{
	char text[1024], err[256];

	if (file_read(path, text, sizeof text) < 0)
		return update_err(c, "public key %s: %s", path, strerror(errno));
	if (minisign_key_parse(text, key, err, sizeof err) != 0)
		return update_err(c, "%s: %s", path, err);
	return 0;
}

static int update_verify(int argc, char **argv)
{
	const char *pubkey = PUBKEY_DEFAULT;
	struct minisign_key key;
	struct bundle_reader r = { .fd = -1 };
	int i, rc = 1;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc)
			pubkey = argv[++i];
		else
			usage_error("update", "verify: unknown option %s", argv[i]);
	}
	if (argc - i != 1)
		usage_error("update", "verify takes one bundle file or http:// URL");
	if (key_load(NULL, pubkey, &key) != 0)
		return 1;
	if (bundle_open(&r, argv[i], &key) != 0 ||
	    bundle_stream(&r, &r.m.uki, NULL, NULL) != 0 ||
	    bundle_stream(&r, &r.m.root, NULL, NULL) != 0) {
		update_err(NULL, "%s: %s", argv[i], r.err.msg);
		goto out;
	}
	printf("%s: Berth %s for %s (%s), from %s on; signature good, trusted comment: %s\n",
	       argv[i], r.m.version, r.m.compatible, r.m.arch, r.m.min_version, r.trusted);
	rc = 0;
out:
	bundle_close(&r);
	return rc;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subcommands[] = {
	{ "verify", update_verify },
	{ "apply", update_apply },
	{ "status", update_status },
	{ "rollback", update_rollback },
	{ "check", update_check },
};

int cmd_update(int argc, char **argv)
{
	for (size_t i = 0; argc >= 2 && i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	usage_error("update", "expected a subcommand: verify, apply, status, rollback or check");
}
