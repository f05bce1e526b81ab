/* SHA-256 (nettle, with SHA-NI where the CPU has it: pkgs/nettle says why)
 * and "sha256:<hex>" digests, the only algorithm Berth accepts. */
#include <string.h>
#include <sodium/utils.h>
#include <nettle/sha2.h>
/* nettle's names by macro would rename Berth's below */
#undef sha256_init
#undef sha256_update
#undef sha256_digest

#include "hash.h"

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(((struct sha256 *)0)->st), "struct sha256: too small for nettle's");
#define CTX(h) ((struct sha256_ctx *)(void *)(h)->st.room)

void sha256_init(struct sha256 *h) { nettle_sha256_init(CTX(h)); }

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	nettle_sha256_update(CTX(h), len, data);
}

void sha256_final(struct sha256 *h, char out[DIGEST_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_SIZE];

	nettle_sha256_digest(CTX(h), sizeof md, md);
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
