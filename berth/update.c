/* berth update: signed A/B updates. Now: `verify` — check a bundle's
 * signature, manifest and payload digests without writing anything. */
#include <stdio.h>
#include <string.h>

#include "berth.h"
#include "berth-cli.h"
#include "update.h"
#include "update-bundle.h"

#define PUBKEY_DEFAULT "/etc/berth/update.pub"

static int key_load(const char *path, struct minisign_key *key)
{
	char text[1024], err[256];

	if (file_read(path, text, sizeof text) < 0) {
		warn_errno("update: public key %s", path);
		return -1;
	}
	if (minisign_key_parse(text, key, err, sizeof err) != 0) {
		warn("update: %s: %s", path, err);
		return -1;
	}
	return 0;
}

static int update_verify(const char *pubkey, const char *path)
{
	struct minisign_key key;
	struct bundle_reader r;
	int rc = 1;

	if (key_load(pubkey, &key) != 0)
		return 1;
	if (bundle_open(&r, path, &key) != 0 ||
	    bundle_stream(&r, &r.m.uki, NULL, NULL) != 0 ||
	    bundle_stream(&r, &r.m.root, NULL, NULL) != 0) {
		fprintf(stderr, "berth update: %s: %s\n", path, r.err);
		goto out;
	}
	printf("%s: Berth %s for %s (%s), from %s on; signature good, trusted comment: %s\n",
	       path, r.m.version, r.m.compatible, r.m.arch, r.m.min_version, r.trusted);
	rc = 0;
out:
	bundle_close(&r);
	return rc;
}

int cmd_update(int argc, char **argv)
{
	const char *pubkey = PUBKEY_DEFAULT;
	int i = 1;

	if (i < argc && strcmp(argv[i], "verify") == 0) {
		for (i++; i < argc && argv[i][0] == '-'; i++) {
			if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc)
				pubkey = argv[++i];
			else
				usage_error("update", "unknown option %s", argv[i]);
		}
		if (argc - i != 1)
			usage_error("update", "verify takes one bundle file");
		return update_verify(pubkey, argv[i]);
	}
	usage_error("update", "expected a subcommand: verify");
}
