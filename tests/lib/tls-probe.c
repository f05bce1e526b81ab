/* tls-probe: one HTTPS GET with the image's libcurl and wolfSSL (static,
 * musl), for tests/host-slow/tls.bats. Prints "http=CODE tls=VERSION", or
 * curl's error as one line and exits 1.
 * tls-probe URL [--cacert FILE] [--resolve HOST:PORT:ADDR] [--cert FILE --key FILE] */
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

static const char *version = "none";

/* the protocol version, asked while the connection is open (a server that
 * closes after its response leaves no session to ask afterwards); the
 * number, since wolfSSL_get_version names 1.2 "unknown" in a build
 * without TLS 1.0 and 1.1 */
static size_t sink(char *p, size_t sz, size_t n, void *u)
{
	const struct curl_tlssessioninfo *ti = NULL;

	(void)p;
	if (strcmp(version, "none") == 0 && curl_easy_getinfo(u, CURLINFO_TLS_SSL_PTR, &ti) == CURLE_OK && ti &&
	    ti->backend == CURLSSLBACKEND_WOLFSSL && ti->internals)
		switch (wolfSSL_version(ti->internals)) {
		case 0x0303: version = "TLSv1.2"; break;
		case 0x0304: version = "TLSv1.3"; break;
		default: version = "other";
		}
	return sz * n;
}

int main(int argc, char **argv)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *resolve = NULL;
	long code = 0;
	CURLcode rc;
	CURL *c;

	if (argc < 2)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, argv[1]);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--cacert") == 0)
			curl_easy_setopt(c, CURLOPT_CAINFO, argv[i + 1]);
		else if (strcmp(argv[i], "--resolve") == 0)
			curl_easy_setopt(c, CURLOPT_RESOLVE, resolve = curl_slist_append(resolve, argv[i + 1]));
		else if (strcmp(argv[i], "--cert") == 0)
			curl_easy_setopt(c, CURLOPT_SSLCERT, argv[i + 1]);
		else if (strcmp(argv[i], "--key") == 0)
			curl_easy_setopt(c, CURLOPT_SSLKEY, argv[i + 1]);
		else
			return 2;
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		printf("curl: (%d) %s\n", (int)rc, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	printf("http=%ld tls=%s\n", code, version);
	curl_easy_cleanup(c);
	curl_slist_free_all(resolve);
	return 0;
}
