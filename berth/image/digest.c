/* ChainIDs: what the store keys an unpacked layer by. */
#include <string.h>

#include "image.h"

void chain_ids(char (*diffids)[DIGEST_LEN + 1], size_t n, char (*out)[DIGEST_LEN + 1])
{
	for (size_t i = 0; i < n; i++) {
		struct sha256 h;
		if (i == 0) {
			memcpy(out[0], diffids[0], DIGEST_LEN + 1);
			continue;
		}
		sha256_init(&h);
		sha256_update(&h, out[i - 1], DIGEST_LEN);
		sha256_update(&h, " ", 1);
		sha256_update(&h, diffids[i], DIGEST_LEN);
		sha256_final(&h, out[i]);
	}
}
