/* The HTTP client (lib/http.h) on libcurl (pkgs/curl): http:// and
 * https:// (wolfSSL, the root's CA bundle, the host name always checked),
 * proxies from http_proxy, https_proxy and no_proxy. One transfer per
 * http_open, driven by curl's multi interface so that the body is a stream
 * read at the caller's pace: the transfer pauses while what came is unread.
 * No redirects: a 3xx is a failure, as any status but 200 is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "berth.h"
#include "http.h"

#define HEADER_MAX (16 * 1024)
#define WAIT_DEFAULT_MS 30000
#define BUF_HIGH (256 * 1024) /* pause the transfer above this much unread */

struct http {
	struct stream s;     /* the body */
	CURLM *m;
	CURL *c;
	struct curl_slist *hdrs;
	struct err *e;
	const struct http_request *rq; /* the caller's: only until http_open returns */
	struct http_response *rs; /* the caller's: only until http_open returns */
	uint64_t length;     /* the body's Content-Length */
	char errbuf[CURL_ERROR_SIZE];
	char url[2048];
	int wait_ms;
	long long deadline;  /* now_ms() (CLOCK_MONOTONIC); 0: none */
	int headers_done;    /* the final response's header has been checked */
	int refused;         /* the header failed its checks (e is filled) */
	int done, paused;
	CURLcode result;
	size_t header_bytes;
	int chunked;
	int unbounded;       /* no Content-Length: the body ends when the transfer does */
	uint64_t max;        /* the request's cap, for an unbounded body */
	char range[32];
	char *buf;           /* body bytes come and not read: buf[at..have) */
	size_t at, have, cap;
	uint64_t got;        /* body bytes read */
};

static int url_check(const char *s, struct err *e)
{
	const char *h;

	if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else
		return fail(e, 1, "only http:// and https:// URLs");
	if (!*h || *h == '/' || *h == ':')
		return fail(e, 1, "no host or a host name too long");
	/* the path goes into the request line: no spaces, no control characters */
	for (const char *p = h; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return fail(e, 1, "the path has a space or a control character (encode it)");
	return 0;
}

/* the final response's header is whole: is it a 200 with a body we read? */
static int response_check(struct http *h)
{
	curl_off_t len = -1;

	if (h->rs->status == 206 && h->rq->from > 0) {
		if (h->rs->range_start != h->rq->from)
			return fail(h->e, 1, "HTTP 206 from byte %llu, asked for byte %llu",
				    (unsigned long long)h->rs->range_start, (unsigned long long)h->rq->from);
	} else if (h->rs->status != 200 && !h->rq->any_status) {
		return fail(h->e, 1, "HTTP %s", h->rs->line);
	}
	if (curl_easy_getinfo(h->c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) != CURLE_OK || len < 0 || h->chunked) {
		if (!h->rq->chunked_ok && h->rs->status == 200)
			return fail(h->e, 1, h->chunked ? "Transfer-Encoding chunked: only a body with a Content-Length is read"
							: "no Content-Length in the response");
		/* read to its end; libcurl tells a chunked body cut short */
		h->rs->length = UINT64_MAX;
		h->unbounded = 1;
		return 0;
	}
	h->rs->length = (uint64_t)len;
	if (h->rq->max && h->rs->length > h->rq->max)
		return fail(h->e, 1, "a body of %llu bytes, more than %llu", (unsigned long long)h->rs->length,
			    (unsigned long long)h->rq->max);
	return 0;
}

/* a header's value (after NAME:, spaces trimmed, printable only) into out
 * when p is that header */
/* the value of header name, if p is that header, printable; 1 if it was
 * longer than out holds (and so cut) */
static int header_keep(const char *p, size_t len, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name), k = 0;

	if (len < nl || strncasecmp(p, name, nl) != 0)
		return 0;
	p += nl;
	len -= nl;
	while (len > 0 && (*p == ' ' || *p == '\t'))
		p++, len--;
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
		len--;
	for (; k < len && k + 1 < size; k++)
		out[k] = (unsigned char)p[k] < ' ' || (unsigned char)p[k] > '~' ? '?' : p[k];
	out[k] = '\0';
	return k < len;
}

static size_t on_header(char *p, size_t size, size_t n, void *u)
{
	struct http *h = u;
	size_t len = size * n;

	if (!h->rs)
		return len; /* trailers, after the header was checked */
	h->header_bytes += len;
	if (h->header_bytes > HEADER_MAX) {
		fail(h->e, 1, "response header larger than %d bytes", HEADER_MAX);
		h->refused = 1;
		return 0;
	}
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a status line: a new response (after a 100 Continue, say) */
		const char *sp = memchr(p, ' ', len);
		size_t k = 0;
		h->chunked = 0;
		/* a new response: what the last one said is gone */
		memset(h->rs, 0, sizeof *h->rs);
		h->rs->retry_after = -1;
		h->rs->status = sp ? atoi(sp + 1) : 0;
		if (sp)
			for (sp++; sp < p + len && *sp != '\r' && *sp != '\n' && k < 80; sp++)
				h->rs->line[k++] = (unsigned char)*sp < ' ' || (unsigned char)*sp > '~' ? '?' : *sp;
		h->rs->line[k] = '\0';
		return len;
	}
	if (len >= 18 && strncasecmp(p, "Transfer-Encoding:", 18) == 0 && memmem(p, len, "chunked", 7))
		h->chunked = 1;
	header_keep(p, len, "WWW-Authenticate:", h->rs->www_authenticate, sizeof h->rs->www_authenticate);
	if (header_keep(p, len, "Location:", h->rs->location, sizeof h->rs->location))
		h->rs->location_cut = 1;
	header_keep(p, len, "Content-Type:", h->rs->content_type, sizeof h->rs->content_type);
	header_keep(p, len, "Docker-Content-Digest:", h->rs->content_digest, sizeof h->rs->content_digest);
	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char v[32];
		header_keep(p, len, "Retry-After:", v, sizeof v);
		h->rs->retry_after = v[0] >= '0' && v[0] <= '9' ? atoi(v) : -1;
	}
	if (len > 14 && strncasecmp(p, "Content-Range:", 14) == 0) {
		/* "bytes START-END/TOTAL" */
		const char *b = memmem(p, len, "bytes ", 6);
		h->rs->range_start = b ? strtoull(b + 6, NULL, 10) : 0;
	}
	if ((len == 2 && p[0] == '\r') || (len == 1 && p[0] == '\n')) {
		if (h->rs->status >= 100 && h->rs->status < 200)
			return len;
		h->headers_done = 1;
		if (response_check(h) < 0) {
			h->refused = 1;
			return 0;
		}
	}
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *u)
{
	struct http *h = u;
	size_t len = size * n;

	if (h->have - h->at >= BUF_HIGH) {
		h->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (h->at > 0 && h->at == h->have)
		h->at = h->have = 0;
	if (h->have + len > h->cap) {
		size_t cap = h->cap ? h->cap : 65536;
		char *nb;
		if (h->at > 0) {
			memmove(h->buf, h->buf + h->at, h->have - h->at);
			h->have -= h->at;
			h->at = 0;
		}
		while (cap < h->have + len)
			cap *= 2;
		if (cap != h->cap) {
			if (!(nb = realloc(h->buf, cap)))
				return 0;
			h->buf = nb;
			h->cap = cap;
		}
	}
	memcpy(h->buf + h->have, p, len);
	h->have += len;
	return len;
}

/* the URL's host (without an IPv6 address's brackets) and port */
static void host_port(const struct http *h, char *host, size_t size, char *port, size_t psize)
{
	CURLU *u = curl_url();
	char *v = NULL, *p = NULL;

	snprintf(host, size, "?");
	snprintf(port, psize, "?");
	if (u && curl_url_set(u, CURLUPART_URL, h->url, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_HOST, &v, 0) == CURLUE_OK) {
			size_t n = strlen(v);
			if (n > 2 && v[0] == '[' && v[n - 1] == ']')
				snprintf(host, size, "%.*s", (int)(n - 2), v + 1);
			else
				snprintf(host, size, "%s", v);
		}
		if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK)
			snprintf(port, psize, "%s", p);
	}
	curl_free(v);
	curl_free(p);
	curl_url_cleanup(u);
}

/* a transfer that ended in an error, as one line */
static int transfer_error(struct http *h)
{
	char host[256], port[16];
	long oserr = 0;

	if (h->refused || h->e->msg[0])
		return -1;
	curl_easy_getinfo(h->c, CURLINFO_OS_ERRNO, &oserr);
	host_port(h, host, sizeof host, port, sizeof port);
	if (h->rs && (h->result == CURLE_SSL_CONNECT_ERROR || h->result == CURLE_PEER_FAILED_VERIFICATION ||
		      h->result == CURLE_SSL_CACERT_BADFILE || h->result == CURLE_SSL_CERTPROBLEM))
		h->rs->tls_failed = 1;
	switch (h->result) {
	case CURLE_COULDNT_CONNECT:
		return fail(h->e, EXIT_SYSTEM, "connect to %s port %s: %s", host, port,
			    oserr ? strerror((int)oserr) : h->errbuf);
	case CURLE_COULDNT_RESOLVE_HOST:
		return fail(h->e, EXIT_SYSTEM, "%s: %s", host, h->errbuf);
	case CURLE_OPERATION_TIMEDOUT:
		return fail(h->e, EXIT_SYSTEM, "%s: timed out", h->headers_done ? "reading the body" :
							   "reading the response header");
	default:
		return fail(h->e, EXIT_SYSTEM, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->result));
	}
}

/* run the transfer until cond() holds or it ends; -1 on a stall longer
 * than one wait or past the deadline */
static int drive(struct http *h, int (*cond)(const struct http *))
{
	while (!h->done && !cond(h)) {
		int running = 0, ms = h->wait_ms;
		CURLMsg *msg;
		int left;

		if (h->deadline) {
			long long rem = h->deadline - now_ms();
			if (rem <= 0) {
				h->result = CURLE_OPERATION_TIMEDOUT;
				return transfer_error(h);
			}
			if (rem < ms)
				ms = (int)rem;
		}
		if (curl_multi_perform(h->m, &running) != CURLM_OK)
			return fail(h->e, EXIT_SYSTEM, "%s: curl_multi_perform failed", h->url);
		while ((msg = curl_multi_info_read(h->m, &left)))
			if (msg->msg == CURLMSG_DONE) {
				h->done = 1;
				h->result = msg->data.result;
			}
		if (h->done || cond(h))
			break;
		if (curl_multi_poll(h->m, NULL, 0, ms, NULL) != CURLM_OK)
			return fail(h->e, EXIT_SYSTEM, "%s: curl_multi_poll failed", h->url);
	}
	/* a body cut short is for the caller to count, unless nothing can */
	if (h->done && h->result != CURLE_OK && (h->result != CURLE_PARTIAL_FILE || h->unbounded))
		return transfer_error(h);
	return 0;
}

static int have_header(const struct http *h) { return h->headers_done; }
static int have_body(const struct http *h) { return h->at < h->have; }

static ssize_t body_read(struct stream *s, void *buf, size_t n)
{
	struct http *h = (struct http *)s;
	size_t k;

	if (h->got >= h->length)
		return 0;
	if (h->at == h->have) {
		if (h->paused) {
			h->paused = 0;
			curl_easy_pause(h->c, CURLPAUSE_CONT);
		}
		if (drive(h, have_body) < 0) {
			char at[48];
			snprintf(at, sizeof at, "read at byte %llu", (unsigned long long)h->got);
			err_prefix(h->e, at);
			return -1;
		}
		if (h->at == h->have)
			return 0; /* the connection closed early: the caller counts */
	}
	k = h->have - h->at;
	if (k > n)
		k = n;
	if (h->unbounded && h->max && h->got + k > h->max) {
		fail(h->e, 1, "a body of more than %llu bytes", (unsigned long long)h->max);
		return -1;
	}
	if (k > h->length - h->got)
		k = (size_t)(h->length - h->got);
	memcpy(buf, h->buf + h->at, k);
	h->at += k;
	h->got += k;
	return (ssize_t)k;
}

static size_t no_body(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)size;
	(void)n;
	(void)u;
	return 0;
}

/* /etc/berth/proxy.env (user-data's berth: proxy:) gives http_proxy,
 * https_proxy and no_proxy to every download, unless the environment
 * already has them; libcurl reads them from there */
static void proxy_env_load(void)
{
	static int loaded;
	char path[1024], buf[4096], *line, *save = NULL;

	if (loaded++)
		return;
	snprintf(path, sizeof path, "%s/berth/proxy.env", env_or("BERTH_ETC", "/etc"));
	if (file_read(path, buf, sizeof buf) <= 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(line, "http_proxy") == 0 || strcmp(line, "https_proxy") == 0 || strcmp(line, "no_proxy") == 0)
			setenv(line, eq + 1, 0);
	}
}

/* link-local metadata services (EC2's IMDS and its IPv6 address) are never
 * reached through a proxy */
static int link_local(const char *url)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	return strncmp(h, "169.254.", 8) == 0 || strncmp(h, "[fe80:", 6) == 0 || strncmp(h, "[fd00:ec2::254]", 15) == 0;
}

struct http *http_open(const struct http_request *rq, struct http_response *rs, struct err *e)
{
	struct http *h;
	int put = rq->method && strcmp(rq->method, "PUT") == 0;

	memset(rs, 0, sizeof *rs);
	rs->retry_after = -1;
	if (url_check(rq->url, e) != 0)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fail(e, EXIT_SYSTEM, "%s: libcurl did not start", rq->url);
		return NULL;
	}
	h = calloc(1, sizeof *h);
	if (!h) {
		fail_errno(e, "%s", rq->url);
		return NULL;
	}
	h->s.read = body_read;
	h->s.err = e;
	h->e = e;
	h->rq = rq;
	h->rs = rs;
	snprintf(h->url, sizeof h->url, "%s", rq->url);
	h->wait_ms = rq->wait_ms > 0 ? rq->wait_ms : WAIT_DEFAULT_MS;
	h->deadline = rq->total_ms > 0 ? now_ms() + rq->total_ms : 0;
	h->m = curl_multi_init();
	h->c = curl_easy_init();
	if (!h->m || !h->c) {
		fail(e, EXIT_SYSTEM, "%s: out of memory", rq->url);
		http_close(h);
		return NULL;
	}
	for (int i = 0; i < HTTP_HEADERS_MAX && rq->headers[i]; i++)
		h->hdrs = curl_slist_append(h->hdrs, rq->headers[i]);
	proxy_env_load();
	curl_easy_setopt(h->c, CURLOPT_URL, rq->url);
	if (link_local(rq->url))
		curl_easy_setopt(h->c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h->c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->c, CURLOPT_USERAGENT, rq->agent ? rq->agent : "berth");
	curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(h->c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->c, CURLOPT_NOSIGNAL, 1L);
	/* a proxy's answer to CONNECT is not the response */
	curl_easy_setopt(h->c, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	curl_easy_setopt(h->c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(h->c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->wait_ms);
	/* a stall of one wait, not counting while the reader is away */
	curl_easy_setopt(h->c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h->c, CURLOPT_LOW_SPEED_TIME, (long)((h->wait_ms + 999) / 1000));
	if (rq->total_ms > 0)
		curl_easy_setopt(h->c, CURLOPT_TIMEOUT_MS, (long)rq->total_ms);
	curl_easy_setopt(h->c, CURLOPT_SSL_VERIFYPEER, rq->insecure ? 0L : 1L);
	curl_easy_setopt(h->c, CURLOPT_SSL_VERIFYHOST, rq->insecure ? 0L : 2L);
	if (rq->ca_file)
		curl_easy_setopt(h->c, CURLOPT_CAINFO, rq->ca_file);
	if (rq->cert_file)
		curl_easy_setopt(h->c, CURLOPT_SSLCERT, rq->cert_file);
	if (rq->key_file)
		curl_easy_setopt(h->c, CURLOPT_SSLKEY, rq->key_file);
	/* a Range header, not curl's resume: a server that sends it all (200)
	 * is the caller's to handle, not an error */
	if (rq->from > 0) {
		snprintf(h->range, sizeof h->range, "%llu-", (unsigned long long)rq->from);
		curl_easy_setopt(h->c, CURLOPT_RANGE, h->range);
	}
	if (put) {
		/* an empty body: EC2's IMDSv2 token */
		curl_easy_setopt(h->c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h->c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(h->c, CURLOPT_READFUNCTION, no_body);
	}
	curl_multi_add_handle(h->m, h->c);
	if (drive(h, have_header) < 0 || !h->headers_done) {
		if (!e->msg[0])
			fail(e, EXIT_SYSTEM, "reading the response header: the connection closed");
		http_close(h);
		return NULL;
	}
	h->length = rs->length;
	h->max = rq->max;
	h->rs = NULL;
	h->rq = NULL;
	return h;
}

struct stream *http_body(struct http *h)
{
	return &h->s;
}

void http_close(struct http *h)
{
	if (!h)
		return;
	if (h->m && h->c)
		curl_multi_remove_handle(h->m, h->c);
	if (h->c)
		curl_easy_cleanup(h->c);
	if (h->m)
		curl_multi_cleanup(h->m);
	curl_slist_free_all(h->hdrs);
	free(h->buf);
	free(h);
}

int http_read_all(struct http *h, struct http_response *rs, char **body, size_t *len)
{
	struct err *e = h->e;
	size_t n = 0, cap;
	char *buf;

	*body = NULL;
	*len = 0;
	/* an unbounded body (rq->chunked_ok) grows the buffer as it comes */
	cap = h->unbounded ? 65536 : rs->length < SIZE_MAX ? (size_t)rs->length + 1 : 0;
	buf = cap ? malloc(cap) : NULL;
	if (!buf) {
		http_close(h);
		return fail(e, EXIT_SYSTEM, "a body of %llu bytes: out of memory", (unsigned long long)rs->length);
	}
	for (;;) {
		ssize_t k;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				fail(e, EXIT_SYSTEM, "a body of over %zu bytes: out of memory", n);
				k = -1;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		k = body_read(&h->s, buf + n, cap - 1 - n);
		if (k <= 0) {
			if (k == 0 && !h->unbounded && n < rs->length)
				fail(e, 1, "body ended after %zu of %llu bytes (Content-Length): truncated, refused", n,
				     (unsigned long long)rs->length);
			if (k == 0 && h->unbounded)
				rs->length = n;
			break;
		}
		n += (size_t)k;
	}
	http_close(h);
	/* a dropped connection must not pass for the whole body: a truncated
	 * #! script would run */
	if (n < rs->length) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*body = buf;
	*len = n;
	return 0;
}

int http_fetch(const struct http_request *rq, struct http_response *rs, char **body, size_t *len,
	       struct err *e)
{
	struct http *h = http_open(rq, rs, e);

	*body = NULL;
	*len = 0;
	if (!h)
		return -1;
	return http_read_all(h, rs, body, len);
}

int http_escape(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			    c == '_' || c == '~' || c == '-';
		if (n + (plain ? 1 : 3) >= size)
			return -1;
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return 0;
}
