/* SHA-256 (libsodium) and "sha256:<hex>" digests, the only algorithm
 * Berth accepts. */
#include <string.h>
#include <sodium/utils.h>

#include "hash.h"

void sha256_init(struct sha256 *h) { crypto_hash_sha256_init(&h->st); }

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	crypto_hash_sha256_update(&h->st, data, len);
}

void sha256_final(struct sha256 *h, char out[DIGEST_LEN + 1])
{
	unsigned char md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_final(&h->st, md);
	memcpy(out, "sha256:", 7);
	sodium_bin2hex(out + 7, HEX_LEN + 1, md, sizeof md);
}

int digest_valid(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != DIGEST_LEN)
		return 0;
	for (s += 7; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

const char *digest_hex(const char *digest) { return digest + 7; }
