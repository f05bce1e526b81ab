/* User-data in the wrappings cloud-init accepts: gzip, MIME multipart,
 * #cloud-config, #! scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium/utils.h>
#include <zlib.h>

#include "berth.h"
#include "provision.h"

int gunzip_capped(const char *in, size_t inlen, size_t cap, char **out, size_t *outlen)
{
	z_stream z;
	char *buf;
	size_t size = inlen * 4 + 4096;
	int rc;

	if (size > cap + 1)
		size = cap + 1;
	if (!(buf = malloc(size + 1)))
		return -1;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(buf);
		return -1;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)inlen;
	for (;;) {
		z.next_out = (Bytef *)buf + z.total_out;
		z.avail_out = (uInt)(size - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			goto fail;
		if (z.avail_out == 0) {
			char *b;
			if (size > cap)
				goto fail; /* over the cap */
			size = size * 2 > cap + 1 ? cap + 1 : size * 2;
			if (!(b = realloc(buf, size + 1)))
				goto fail;
			buf = b;
		} else if (rc == Z_BUF_ERROR) {
			goto fail; /* truncated input */
		}
	}
	if (z.total_out > cap)
		goto fail;
	*outlen = z.total_out;
	buf[*outlen] = '\0';
	*out = buf;
	inflateEnd(&z);
	return 0;
fail:
	inflateEnd(&z);
	free(buf);
	return -1;
}

/* standard base64 (RFC 4648 section 4), read as cloud-init reads it: white
 * space anywhere is skipped; the '=' padding may be left out (cloud-init's
 * MIME parts take that, and so did Berth). The URL-safe '-' and '_' are
 * refused: cloud-init would drop them and write something else than meant. */
int base64_decode(const char *in, size_t inlen, char **out, size_t *outlen)
{
	static const char space[] = " \t\n\v\f\r";
	size_t max = inlen / 4 * 3 + 3;
	unsigned char *buf;

	/* libsodium's strchr(space, c) would take a NUL byte for white space */
	if (memchr(in, '\0', inlen) || !(buf = malloc(max + 1)))
		return -1;
	if (sodium_base642bin(buf, max, in, inlen, space, outlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 &&
	    sodium_base642bin(buf, max, in, inlen, space, outlen, NULL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0) {
		free(buf);
		return -1;
	}
	buf[*outlen] = '\0';
	*out = (char *)buf;
	return 0;
}

static int starts_with(const char *buf, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && strncasecmp(buf, prefix, n) == 0;
}

static void add_script(struct prov *p, struct userdata *ud, const char *src, const char *buf, size_t len)
{
	struct script *s;

	if (ud->nscripts == SCRIPTS_MAX) {
		mod_warn(p, NULL, NULL, "%s: more than %d scripts, the rest ignored", src, SCRIPTS_MAX);
		return;
	}
	s = &ud->scripts[ud->nscripts];
	if (!(s->data = malloc(len + 1)))
		return;
	memcpy(s->data, buf, len);
	s->data[len] = '\0';
	s->len = len;
	snprintf(s->name, sizeof s->name, "part-%03d", ud->nscripts);
	ud->nscripts++;
}

static void add_config(struct prov *p, struct userdata *ud, const char *src, const char *buf, size_t len)
{
	char err[256];
	struct ynode *n = yaml_load(src, buf, len, err, sizeof err);

	if (!n) {
		if (err[0])
			mod_error(p, NULL, NULL, "%s", err);
		return;
	}
	if (ynull(n)) {
		ynode_free(n);
		return;
	}
	if (n->type != Y_MAP) {
		mod_error(p, n, NULL, "cloud-config is not a map, ignored");
		ynode_free(n);
		return;
	}
	ud->cfg = ymerge(ud->cfg, n);
}

/* a header's value, unfolded, from a block of RFC 822 headers */
static int header_get(const char *hdrs, size_t hlen, const char *name, char *val, size_t vsize)
{
	size_t nlen = strlen(name), i = 0;

	while (i < hlen) {
		size_t eol = i;
		while (eol < hlen && hdrs[eol] != '\n')
			eol++;
		if (eol - i > nlen && strncasecmp(hdrs + i, name, nlen) == 0 && hdrs[i + nlen] == ':') {
			size_t k = 0, j = i + nlen + 1;
			for (;;) {
				for (; j < eol; j++)
					if (k + 1 < vsize && hdrs[j] != '\r')
						val[k++] = hdrs[j];
				/* folded continuation lines start with white space */
				if (eol + 1 < hlen && (hdrs[eol + 1] == ' ' || hdrs[eol + 1] == '\t')) {
					j = eol + 1;
					eol = j;
					while (eol < hlen && hdrs[eol] != '\n')
						eol++;
					continue;
				}
				break;
			}
			val[k] = '\0';
			while (*val == ' ' || *val == '\t')
				memmove(val, val + 1, strlen(val));
			return 1;
		}
		i = eol + 1;
	}
	return 0;
}

/* the end of the header block: the first empty line */
static size_t headers_end(const char *buf, size_t len, size_t *body)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n') {
			*body = i + 2;
			return i + 1;
		}
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			*body = i + 3;
			return i + 1;
		}
	}
	*body = len;
	return len;
}

static void decode_one(struct prov *p, const char *src, const char *buf, size_t len, struct userdata *ud,
		       int depth);

static void decode_mime(struct prov *p, const char *src, const char *buf, size_t len, struct userdata *ud,
			int depth)
{
	char ctype[512], boundary[200], delim[210];
	size_t body, hend = headers_end(buf, len, &body), dlen;
	const char *b, *pos, *end = buf + len;
	int part = 0;

	if (!header_get(buf, hend, "Content-Type", ctype, sizeof ctype) || !(b = strcasestr(ctype, "boundary="))) {
		mod_error(p, NULL, NULL, "%s: multipart without a boundary, ignored", src);
		return;
	}
	b += 9;
	if (*b == '"') {
		const char *q = strchr(++b, '"');
		snprintf(boundary, sizeof boundary, "%.*s", q ? (int)(q - b) : (int)strlen(b), b);
	} else {
		snprintf(boundary, sizeof boundary, "%.*s", (int)strcspn(b, "; \t"), b);
	}
	dlen = (size_t)snprintf(delim, sizeof delim, "--%s", boundary);
	pos = memmem(buf + body, len - body, delim, dlen);
	while (pos) {
		const char *start = pos + dlen, *next;
		char pname[48], ptype[256], penc[64];
		size_t pbody, phend, plen;
		char *decoded = NULL;
		size_t dl;

		if (start + 2 <= end && start[0] == '-' && start[1] == '-')
			break; /* closing delimiter */
		while (start < end && *start != '\n')
			start++;
		if (start < end)
			start++;
		next = memmem(start, (size_t)(end - start), delim, dlen);
		plen = (size_t)((next ? next : end) - start);
		/* the line break before the delimiter belongs to it */
		if (next && plen > 0 && start[plen - 1] == '\n')
			plen--;
		if (next && plen > 0 && start[plen - 1] == '\r')
			plen--;
		phend = headers_end(start, plen, &pbody);
		snprintf(pname, sizeof pname, "%s part %d", src, ++part);
		/* names outlive this call: keep a static copy per part */
		{
			static char names[64][48];
			static int nnames;
			const char *keep = src;
			if (nnames < 64) {
				memcpy(names[nnames], pname, sizeof pname);
				keep = names[nnames++];
			}
			if (!header_get(start, phend, "Content-Type", ptype, sizeof ptype))
				ptype[0] = '\0';
			if (!header_get(start, phend, "Content-Transfer-Encoding", penc, sizeof penc))
				penc[0] = '\0';
			const char *pb = start + pbody;
			size_t pl = plen > pbody ? plen - pbody : 0;
			if (!strncasecmp(penc, "base64", 6)) {
				if (base64_decode(pb, pl, &decoded, &dl) != 0) {
					mod_error(p, NULL, NULL, "%s: bad base64, ignored", keep);
					pos = next;
					continue;
				}
				pb = decoded;
				pl = dl;
			}
			if (!strncasecmp(ptype, "text/cloud-config", 17) && strncasecmp(ptype, "text/cloud-config-", 18))
				add_config(p, ud, keep, pb, pl);
			else if (!strncasecmp(ptype, "text/x-shellscript", 18))
				add_script(p, ud, keep, pb, pl);
			else if (!strncasecmp(ptype, "multipart/", 10) || !strncasecmp(ptype, "application/", 12) ||
				 !ptype[0] || !strncasecmp(ptype, "text/plain", 10) || !strncasecmp(ptype, "text/x-not", 10))
				decode_one(p, keep, pb, pl, ud, depth + 1);
			else
				mod_warn(p, NULL, NULL, "%s: content type %s not supported, ignored", keep, ptype);
		}
		free(decoded);
		pos = next;
	}
}

static void decode_one(struct prov *p, const char *src, const char *buf, size_t len, struct userdata *ud,
		       int depth)
{
	if (depth > 4) {
		mod_error(p, NULL, NULL, "%s: nested too deeply, ignored", src);
		return;
	}
	if (len >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
		char *out;
		size_t olen;
		if (gunzip_capped(buf, len, UD_INFLATED_MAX, &out, &olen) != 0) {
			mod_error(p, NULL, NULL, "%s: gzip data is corrupt or inflates past %u bytes, ignored", src,
				  UD_INFLATED_MAX);
			return;
		}
		decode_one(p, src, out, olen, ud, depth + 1);
		free(out);
		return;
	}
	if (starts_with(buf, len, "#cloud-config"))
		add_config(p, ud, src, buf, len);
	else if (starts_with(buf, len, "#!"))
		add_script(p, ud, src, buf, len);
	else if (starts_with(buf, len, "Content-Type: multipart/") || starts_with(buf, len, "MIME-Version:") ||
		 starts_with(buf, len, "From "))
		decode_mime(p, src, buf, len, ud, depth);
	else if (len == 0 || strspn(buf, " \t\r\n") == len)
		return;
	else
		mod_warn(p, NULL, NULL, "%s: not #cloud-config, a #! script, gzip or MIME multipart: ignored", src);
}

void userdata_decode(struct prov *p, const char *src, const char *buf, size_t len, struct userdata *ud)
{
	if (len > UD_RAW_MAX) {
		mod_error(p, NULL, NULL, "%s: %zu bytes, more than %u: ignored", src, len, UD_RAW_MAX);
		return;
	}
	decode_one(p, src, buf, len, ud, 0);
}
