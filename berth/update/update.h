/* Signed update bundles: minisign signatures and the bundle's manifest. */
#ifndef BERTH_UPDATE_H
#define BERTH_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#define MINISIGN_KEYID_LEN 8

struct minisign_key {
	unsigned char keyid[MINISIGN_KEYID_LEN];
	unsigned char pk[32];
};

/* sig.c: minisign's formats. Errors are written to err (one line). */
int minisign_key_parse(const char *text, struct minisign_key *key, char *err, size_t errlen);
int minisign_verify(const struct minisign_key *key, const void *msg, size_t msglen,
		    const char *sig, size_t siglen, char *trusted, size_t trustedlen,
		    char *err, size_t errlen);

/* manifest.c: what a bundle says about itself */
struct bundle_part {
	char name[64];
	uint64_t size;
	char sha256[65];
};

struct bundle_manifest {
	int format;
	char version[64];
	char compatible[64];
	char arch[32];
	char min_version[64];
	struct bundle_part uki;
	struct bundle_part root;
	char roothash[65];
};

int manifest_parse(const char *json, size_t len, struct bundle_manifest *m, char *err, size_t errlen);
/* compare dotted versions numerically: <0, 0, >0 */
int version_cmp(const char *a, const char *b);
/* 1 if s is N[.N]... (what the manifest and the UKI names allow) */
int version_valid(const char *s);

/* uki.c: a UKI's file name on the ESP, systemd-boot's boot counting:
 * berth-<ver>.efi (good), berth-<ver>+LEFT[-DONE].efi (counting; on trial
 * while LEFT > 0, bad at 0) */
#define UKI_TRIES 3
#define UKI_COUNT_MAX 999

struct uki_name {
	char version[64];
	int counted;
	unsigned left, done;
};

/* 0 if name is a Berth UKI name, -1 if not */
int uki_name_parse(const char *name, struct uki_name *u);
/* the file name for u; -1 if it does not fit */
int uki_name_format(const struct uki_name *u, char *buf, size_t size);

/* cmd.c: `berth update` and its subcommands */
int cmd_update(int argc, char **argv);

#endif
