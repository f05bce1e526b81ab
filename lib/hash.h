/* hash.c: SHA-256 (nettle) and "sha256:<hex>" strings */
#ifndef BERTH_HASH_H
#define BERTH_HASH_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_LEN 71 /* "sha256:" and 64 hex digits */
#define HEX_LEN 64

/* room for nettle's struct sha256_ctx, whose header renames sha256_* by
 * macro and so stays out of Berth's */
struct sha256 {
	union {
		unsigned char room[128];
		uint64_t align;
	} st;
};
void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* the digest as "sha256:<64 hex>" */
void sha256_final(struct sha256 *h, char out[DIGEST_LEN + 1]);
/* 1 if s is "sha256:" and 64 lowercase hex digits */
int digest_valid(const char *s);
/* the hex part of a valid digest */
const char *digest_hex(const char *digest);

#endif
