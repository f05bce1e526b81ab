/* berth login [-u USER] [--password-stdin] HOST and berth logout HOST:
 * credentials in /etc/berth/auth.json, the "auths" map of
 * containers-auth.json and docker's config.json, mode 0600. login checks
 * them against the registry first, as docker login does; the password is
 * read from the terminal without echo, or from stdin, never from argv
 * (where every process could read it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sodium/utils.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "berth.h"
#include "json.h"
#include "registry.h"

#define AUTH_MAX (1u << 20)
#define GSTR(g, s) yajl_gen_string(g, (const unsigned char *)(s), strlen(s))

/* one line from fd, the newline dropped; echo off when it is a terminal */
static int line_read(int fd, const char *prompt, int secret, char *out, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(fd), off = 0;
	size_t n = 0;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		if (secret && tcgetattr(fd, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
		}
	}
	while (n + 1 < size) {
		char c;
		ssize_t k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || c == '\n')
			break;
		out[n++] = c;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	if (off) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	return n + 1 < size ? 0 : -1;
}

/* auth.json as a tree, or NULL for none; *err set on a bad one */
static yajl_val auth_read(const char *file, struct err *e)
{
	size_t len;
	char *buf = file_read_at(AT_FDCWD, file, AUTH_MAX, &len);
	yajl_val v;

	if (!buf) {
		if (errno != ENOENT)
			fail_errno(e, "%s", file);
		return NULL;
	}
	v = json_parse(buf, len, file, e);
	sodium_memzero(buf, len);
	free(buf);
	if (v && !YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		fail(e, 1, "%s: expected an object", file);
		return NULL;
	}
	return v;
}

static void gen_value(yajl_gen g, yajl_val v)
{
	if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (size_t i = 0; i < v->u.object.len; i++) {
			GSTR(g, v->u.object.keys[i]);
			gen_value(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++)
			gen_value(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_STRING(v)) {
		GSTR(g, v->u.string);
	} else if (YAJL_IS_NUMBER(v)) {
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else {
		yajl_gen_null(g);
	}
}

/* auth.json again: every key kept as it was, auths.HOST replaced by
 * b64 (or removed when b64 is NULL) */
static int auth_write(const char *file, yajl_val old, const char *host, const char *b64, struct err *e)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_val auths = json_get(old, "auths", yajl_t_object);
	const unsigned char *buf;
	size_t len;
	int rc = 0;

	char dir[1024];

	snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(file, '/') - file), file);
	if (!g)
		return fail_errno(e, "%s", file);
	if (mkdir_p(dir, 0755) < 0) {
		yajl_gen_free(g);
		return fail_errno(e, "%s", dir);
	}
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "\t");
	yajl_gen_map_open(g);
	for (size_t i = 0; old && i < old->u.object.len; i++)
		if (strcmp(old->u.object.keys[i], "auths") != 0) {
			GSTR(g, old->u.object.keys[i]);
			gen_value(g, old->u.object.values[i]);
		}
	GSTR(g, "auths");
	yajl_gen_map_open(g);
	for (size_t i = 0; auths && i < auths->u.object.len; i++)
		if (strcmp(auths->u.object.keys[i], host) != 0) {
			GSTR(g, auths->u.object.keys[i]);
			gen_value(g, auths->u.object.values[i]);
		}
	if (b64) {
		GSTR(g, host);
		yajl_gen_map_open(g);
		GSTR(g, "auth");
		GSTR(g, b64);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		rc = fail(e, EXIT_SYSTEM, "%s: JSON generation failed", file);
	else if (file_write_atomic(file, buf, len, 0600) < 0)
		rc = fail_errno(e, "%s", file);
	if (rc == 0 && len > 0)
		sodium_memzero((void *)buf, len);
	yajl_gen_free(g);
	return rc;
}

static int has_host(yajl_val root, const char *host)
{
	yajl_val auths = json_get(root, "auths", yajl_t_object);

	for (size_t i = 0; auths && i < auths->u.object.len; i++)
		if (strcmp(auths->u.object.keys[i], host) == 0)
			return 1;
	return 0;
}

/* the credentials against the registry: its /v2/ answers 200 with them */
static int login_check(const char *host, const char *user, const char *pass, struct err *e)
{
	struct reg_ref ref = { 0 };
	struct reg_host *h = calloc(1, sizeof *h);
	struct reg_client *c = calloc(1, sizeof *c);
	int rc = -1;

	if (!h || !c) {
		free(h);
		free(c);
		return fail_errno(e, "login");
	}
	snprintf(ref.host, sizeof ref.host, "%s", host);
	if (reg_host_config(host, NULL, h, e) == 0) {
		for (size_t i = 0; i < h->n; i++)
			if (h->ep[i].upstream) {
				snprintf(h->ep[i].username, sizeof h->ep[i].username, "%s", user);
				snprintf(h->ep[i].password, sizeof h->ep[i].password, "%s", pass);
			}
		/* the registry itself, not a mirror: drop the mirrors */
		while (h->n > 0 && !h->ep[0].upstream) {
			memmove(&h->ep[0], &h->ep[1], (h->n - 1) * sizeof h->ep[0]);
			h->n--;
		}
		c->ref = &ref;
		c->host = h;
		c->quiet = 1;
		rc = reg_probe(c, 0, e);
		/* a registry that lets anyone in has not checked the password */
		if (rc == 0 && !c->token[0] && !c->basic)
			warn("%s: the registry asked for no credentials; they are kept for when it does", host);
	}
	sodium_memzero(h, sizeof *h);
	sodium_memzero(c, sizeof *c);
	free(h);
	free(c);
	return rc;
}

int cmd_login(int argc, char **argv)
{
	char user[256] = "", pass[512] = "", host[REG_HOST_MAX] = "", file[1024], plain[800], b64[1100];
	int from_stdin = 0;
	struct err e = { 0 };
	yajl_val old;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-u") == 0 || strcmp(argv[i], "--username") == 0) && i + 1 < argc)
			snprintf(user, sizeof user, "%s", argv[++i]);
		else if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = 1;
		else if (strcmp(argv[i], "-p") == 0 || strcmp(argv[i], "--password") == 0)
			usage_error("login", "%s: a password in the arguments is seen by every process; use --password-stdin",
				    argv[i]);
		else if (argv[i][0] == '-')
			usage_error("login", "unknown option %s", argv[i]);
		else if (host[0])
			usage_error("login", "one registry at a time");
		else
			reg_url_host(argv[i], host, sizeof host);
	}
	if (!host[0])
		usage_error("login", "no registry (HOST[:PORT]; docker.io for Docker Hub)");
	if (!user[0] && (from_stdin || line_read(0, "Username: ", 0, user, sizeof user) < 0 || !user[0]))
		usage_error("login", "no username (-u USER)");
	if (line_read(0, from_stdin ? "" : "Password: ", 1, pass, sizeof pass) < 0 || !pass[0])
		die(1, "login %s: no password", host);
	if (login_check(host, user, pass, &e) < 0) {
		sodium_memzero(pass, sizeof pass);
		die(e.code ? e.code : 1, "login %s: %s", host, e.msg);
	}
	snprintf(plain, sizeof plain, "%s:%s", user, pass);
	sodium_bin2base64(b64, sizeof b64, (unsigned char *)plain, strlen(plain), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(plain, sizeof plain);
	sodium_memzero(pass, sizeof pass);
	reg_etc_path(file, sizeof file, "auth.json");
	old = auth_read(file, &e);
	if (e.msg[0] || auth_write(file, old, host, b64, &e) < 0) {
		sodium_memzero(b64, sizeof b64);
		die(e.code ? e.code : 1, "login %s: %s", host, e.msg);
	}
	sodium_memzero(b64, sizeof b64);
	if (old)
		yajl_tree_free(old);
	printf("Login Succeeded\n");
	return 0;
}

int cmd_logout(int argc, char **argv)
{
	char host[REG_HOST_MAX] = "", file[1024];
	struct err e = { 0 };
	yajl_val old;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			usage_error("logout", "unknown option %s", argv[i]);
		else if (host[0])
			usage_error("logout", "one registry at a time");
		else
			reg_url_host(argv[i], host, sizeof host);
	}
	if (!host[0])
		usage_error("logout", "no registry");
	reg_etc_path(file, sizeof file, "auth.json");
	old = auth_read(file, &e);
	if (e.msg[0])
		die(e.code ? e.code : 1, "logout %s: %s", host, e.msg);
	if (!has_host(old, host)) {
		printf("Not logged in to %s\n", host);
	} else {
		if (auth_write(file, old, host, NULL, &e) < 0)
			die(e.code ? e.code : 1, "logout %s: %s", host, e.msg);
		printf("Removing login credentials for %s\n", host);
	}
	if (old)
		yajl_tree_free(old);
	return 0;
}
