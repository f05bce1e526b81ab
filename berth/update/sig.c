/* minisign signatures, verified with libsodium. Only the prehashed form
 * ("ED": Ed25519 over the BLAKE2b-512 of the message) is accepted; minisign
 * has written it by default since 0.10. The trusted comment is signed too
 * (the "global signature" over signature || comment). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "update.h"

#define SIG_LINE_MAX 1024

/* copy line number n (0-based) of text into buf without its newline */
static int line_get(const char *text, size_t len, int n, char *buf, size_t size)
{
	const char *p = text, *end = text + len;

	for (; n > 0; n--) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return -1;
		p = nl + 1;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t l = (size_t)((nl ? nl : end) - p);
	if (l > 0 && p[l - 1] == '\r')
		l--;
	if (l >= size)
		return -1;
	memcpy(buf, p, l);
	buf[l] = '\0';
	return 0;
}

static int b64_decode(const char *in, unsigned char *out, size_t want)
{
	size_t got = 0;

	if (sodium_base642bin(out, want, in, strlen(in), NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return got == want ? 0 : -1;
}

static void keyid_hex(const unsigned char *id, char out[17])
{
	/* minisign prints the key id little-endian */
	for (int i = 0; i < MINISIGN_KEYID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02X", id[MINISIGN_KEYID_LEN - 1 - i]);
}

int minisign_key_parse(const char *text, struct minisign_key *key, char *err, size_t errlen)
{
	unsigned char raw[2 + MINISIGN_KEYID_LEN + 32];
	char line[SIG_LINE_MAX];
	size_t len = strlen(text);

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	/* a key file has a comment line first; a bare key is one line */
	if (line_get(text, len, 0, line, sizeof line) != 0) {
		snprintf(err, errlen, "public key: no key line");
		return -1;
	}
	if (strncmp(line, "untrusted comment:", 18) == 0 &&
	    line_get(text, len, 1, line, sizeof line) != 0) {
		snprintf(err, errlen, "public key: no key after the comment line");
		return -1;
	}
	if (b64_decode(line, raw, sizeof raw) != 0 || raw[0] != 'E' || raw[1] != 'd') {
		snprintf(err, errlen, "public key: not a minisign Ed25519 public key");
		return -1;
	}
	memcpy(key->keyid, raw + 2, MINISIGN_KEYID_LEN);
	memcpy(key->pk, raw + 2 + MINISIGN_KEYID_LEN, 32);
	return 0;
}

int minisign_verify(const struct minisign_key *key, const void *msg, size_t msglen,
		    const char *sig, size_t siglen, char *trusted, size_t trustedlen,
		    char *err, size_t errlen)
{
	unsigned char raw[2 + MINISIGN_KEYID_LEN + 64], global[64], hash[64];
	unsigned char signed_comment[64 + SIG_LINE_MAX];
	char line[SIG_LINE_MAX], want[17], got[17];
	const char *comment;
	size_t clen;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if (line_get(sig, siglen, 0, line, sizeof line) != 0 || strncmp(line, "untrusted comment:", 18) != 0) {
		snprintf(err, errlen, "signature: the first line is not an untrusted comment");
		return -1;
	}
	if (line_get(sig, siglen, 1, line, sizeof line) != 0 || b64_decode(line, raw, sizeof raw) != 0) {
		snprintf(err, errlen, "signature: line 2 is not a minisign signature");
		return -1;
	}
	if (raw[0] == 'E' && raw[1] == 'd') {
		snprintf(err, errlen, "signature: legacy (non-prehashed) minisign signature refused");
		return -1;
	}
	if (raw[0] != 'E' || raw[1] != 'D') {
		snprintf(err, errlen, "signature: unknown algorithm");
		return -1;
	}
	if (memcmp(raw + 2, key->keyid, MINISIGN_KEYID_LEN) != 0) {
		keyid_hex(raw + 2, got);
		keyid_hex(key->keyid, want);
		snprintf(err, errlen, "signature: made with key %s, expected key %s", got, want);
		return -1;
	}
	crypto_generichash(hash, sizeof hash, msg, msglen, NULL, 0);
	if (crypto_sign_verify_detached(raw + 2 + MINISIGN_KEYID_LEN, hash, sizeof hash, key->pk) != 0) {
		snprintf(err, errlen, "signature: does not verify: the signed file was changed");
		return -1;
	}
	if (line_get(sig, siglen, 2, line, sizeof line) != 0 || strncmp(line, "trusted comment: ", 17) != 0) {
		snprintf(err, errlen, "signature: line 3 is not a trusted comment");
		return -1;
	}
	comment = line + 17;
	clen = strlen(comment);
	memcpy(signed_comment, raw + 2 + MINISIGN_KEYID_LEN, 64);
	memcpy(signed_comment + 64, comment, clen);
	if (trusted && trustedlen > 0)
		snprintf(trusted, trustedlen, "%s", comment);
	if (line_get(sig, siglen, 3, line, sizeof line) != 0 || b64_decode(line, global, sizeof global) != 0) {
		snprintf(err, errlen, "signature: line 4 is not a global signature");
		return -1;
	}
	if (crypto_sign_verify_detached(global, signed_comment, 64 + clen, key->pk) != 0) {
		snprintf(err, errlen, "signature: the trusted comment was changed");
		return -1;
	}
	return 0;
}
