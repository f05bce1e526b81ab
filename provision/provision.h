/* provision: cloud-init compatible first-boot configuration (see README.md). */
#ifndef PROVISION_H
#define PROVISION_H

#include <stddef.h>
#include <sys/types.h>

#include "yaml-tree.h" /* the tree and its YAML 1.1 scalar rules, lib/yaml-tree.h */

/* caps on untrusted input (the YAML tree's own are lib/yaml-tree.h's) */
#define UD_RAW_MAX (1u << 20)      /* user-data as fetched */
#define UD_INFLATED_MAX (4u << 20) /* after gunzip */
#define META_MAX (64u << 10)       /* meta-data, network-config */
#define SCRIPTS_MAX 16
#define KEYS_MAX 32

/* yaml.c: cloud-init's merge of cloud-config parts, and the tree back to YAML */
struct ynode *ymerge(struct ynode *base, struct ynode *over); /* consumes both */
int yaml_emit(const struct ynode *n, char **out, size_t *len);

/* decode.c: user-data in its several wrappings */
struct script {
	char name[64];
	char *data;
	size_t len;
};
struct userdata {
	struct ynode *cfg; /* merged #cloud-config, a map, or NULL */
	struct script scripts[SCRIPTS_MAX];
	int nscripts;
};
struct prov;
void userdata_decode(struct prov *p, const char *src, const char *buf, size_t len, struct userdata *ud);
int gunzip_capped(const char *in, size_t inlen, size_t cap, char **out, size_t *outlen);
int base64_decode(const char *in, size_t inlen, char **out, size_t *outlen);

/* root.c: every write under the target root, never through a symlink */
int root_dir(struct prov *p, const char *path, int create, mode_t mode);
int root_write(struct prov *p, const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid);
int root_read(struct prov *p, const char *path, size_t cap, char **out, size_t *len);
int root_unlink(struct prov *p, const char *path);
int root_mkdir_owned(struct prov *p, const char *path, mode_t mode, uid_t uid, gid_t gid);
int root_exists(struct prov *p, const char *path);

/* label.c: filesystem label from a superblock, no blkid */
int fs_label(const char *dev, char *type, size_t tsize, char *label, size_t lsize);

/* datasource.c */
struct seed {
	char ds[32];
	char iid[256];
	char hostname[256];
	char *keys[KEYS_MAX];
	int nkeys;
	char *ud, *vd, *nc;
	size_t udlen, vdlen, nclen;
	int held;    /* dirfd is the seed's root (a medium or a directory; not HTTP, EC2) */
	int dirfd;
	int mounted; /* the medium is mounted at SEED_MOUNT until seed_release() */
};
int datasource_find(struct prov *p, struct seed *s);

/* ephemeral.c: a temporary network (netcfg --ephemeral) when the kernel has
 * no route to URL's host; 0 when it is reachable (or may be), -1 when no
 * lease came. net_release takes it down again (netcfg --ephemeral-down). */
int net_for(struct prov *p, const char *what, const char *url, int first);
void net_release(struct prov *p);
void seed_release(struct seed *s);
void seed_free(struct seed *s);

/* report.c: module results on the console and in status.json */
enum result { RES_OK, RES_SKIPPED, RES_ERROR };
#define MSGS_MAX 32
struct modres {
	const char *name;
	enum result result;
	char *msgs[MSGS_MAX];
	int nmsgs;
};
#define MODS_MAX 32
void mod_begin(struct prov *p, const char *name);
void mod_error(struct prov *p, const struct ynode *at, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void mod_warn(struct prov *p, const struct ynode *at, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void mod_note(struct prov *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mod_end(struct prov *p, enum result r);
int status_write(struct prov *p);

/* the run, passed explicitly */
struct prov {
	const char *root;
	int rootfd;
	const char *cmdline;
	const char *seed_dir;
	const char *imds;
	int pid1; /* 0: do not signal (test root) */
	int net_up; /* netcfg --ephemeral ran: net_release() undoes it */
	struct seed seed;
	struct userdata ud;
	struct ynode *netcfg;
	char prev_iid[256];
	int new_instance;
	struct modres mods[MODS_MAX];
	int nmods;
	struct modres *cur;
	unsigned tmpseq;
	int power_sig;
	long power_delay; /* seconds */
};

/* users.c */
void mod_groups(struct prov *p, const struct ynode *cfg);
void mod_users(struct prov *p, const struct ynode *cfg);
void mod_ssh(struct prov *p, const struct ynode *cfg);
int user_lookup(struct prov *p, const char *name, uid_t *uid, gid_t *gid, char *home, size_t hsize);
int group_lookup(struct prov *p, const char *name, gid_t *gid);
int valid_name(const char *s, size_t max);

/* doas.c: sudo rules from user-data as doas.conf lines */
int doas_from_sudo(const char *user, const char *rule, char *out, size_t size);
int doas_rule_check(const char *user, const char *rule);

/* modules.c */
void mod_bootcmd(struct prov *p, const struct ynode *cfg);
void mod_write_files(struct prov *p, const struct ynode *cfg, int deferred);
void mod_hostname(struct prov *p, const struct ynode *cfg);
void mod_ca_certs(struct prov *p, const struct ynode *cfg);
void mod_timezone(struct prov *p, const struct ynode *cfg);
void mod_ntp(struct prov *p, const struct ynode *cfg);
void mod_containers(struct prov *p, const struct ynode *cfg);
void mod_compose(struct prov *p, const struct ynode *cfg);
void mod_registries(struct prov *p, const struct ynode *cfg);
void mod_proxy(struct prov *p, const struct ynode *cfg);
/* every per-instance module, in cloud-init's order; live=0 (the fuzzer)
 * leaves out berth.images and runcmd, which run programs */
void mod_per_instance(struct prov *p, int live);
extern const char *const per_instance_names[];

/* images.c: berth.images, loaded from the seed by `berth load` */
#define IMAGES_MAX 32
void mod_images(struct prov *p, const struct ynode *cfg);
void mod_runcmd(struct prov *p, const struct ynode *cfg);
void mod_power_state(struct prov *p, const struct ynode *cfg);
int run_script(struct prov *p, const char *path);

/* network.c */
void mod_network(struct prov *p);

#define STATE_DIR BERTH_ROOT_RELATIVE "/provision"

#endif
