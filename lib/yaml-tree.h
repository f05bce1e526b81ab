/* yaml-tree.c: a YAML document as a small tree (libyaml's events, with caps for
 * untrusted input), and the one set of YAML 1.1 scalar rules that compose
 * (container definitions) and provision (cloud-config, network-config) read
 * it with.
 *
 * Scalars resolve as in the YAML 1.1 type repository (yaml.org/type/):
 *   null   ~ null Null NULL and the empty scalar
 *   bool   y Y yes Yes YES true True TRUE on On ON, and
 *          n N no No NO false False FALSE off Off OFF
 *   int    [-+] then 0b1010 (binary), 0644 (a leading 0 is octal),
 *          0x1F (hex) or 644 (decimal); '_' may separate digits (1_000)
 *   float  [-+] digits '.' digits [e[-+]digits] (1.5, .5, 1.0e+3),
 *          .inf -.inf .nan
 * Base 60 (1:30, 1:30.5) is refused: such a scalar is neither an int nor a
 * float, and where a string is wanted it is that text ("22:22").
 * Only plain scalars resolve: a quoted one ('0644', "yes") or one tagged
 * (!!str) is always a string. Tags other than !!str and !!binary are not
 * read; such a scalar is a string too.
 *
 * Where cloud-init and Docker Compose disagree, the real files of each
 * decide:
 *   0644   octal (420) in both: PyYAML reads it so, and compose-go's YAML
 *          parser too (strconv base 0), which is what write_files
 *          `permissions: 0644` and a secret's `mode: 0440` mean.
 *   y, n   booleans: the YAML 1.1 type repository has them, and compose
 *          reads `read_only: y` as true. PyYAML alone leaves y and n
 *          strings, which a cloud-config means nowhere as a boolean
 *          (cloud-init's schema calls `append: y` invalid); where a string
 *          is wanted (a name, an environment value) the text "y" is kept.
 * Key-specific readings belong to each format, not to YAML: a mode string
 * is octal (ymode), compose takes "true" and "100" quoted for its boolean
 * and number keys (its schema's boolean|string), cloud-init does not.
 *
 * Merge keys (yaml.org/type/merge.html) are applied as the tree is built:
 * `<<: *base` or `<<: [*a, *b]` adds the pairs the mapping lacks (its own
 * keys win, then the earlier mapping of a list), as PyYAML and compose-go
 * do; compose files use them with x- anchors.
 *
 * Every node knows its file and line; an accessor returns -1 for a value
 * that is not of its type, and the caller's message names FILE:LINE (n->src,
 * n->line), the key path and what was expected. */
#ifndef BERTH_YAML_H
#define BERTH_YAML_H

#include <stddef.h>

/* caps on untrusted input: a bomb is refused after a handful of aliases,
 * and every alias copy counts against the node budget */
#define YAML_DEPTH_MAX 32
#define YAML_ALIAS_MAX 32
#define YAML_ANCHOR_MAX 1024
#define YAML_NODE_MAX 200000

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };
enum { YTAG_NONE, YTAG_RESET, YTAG_OVERRIDE };
struct ynode {
	enum ytype type;
	int line;
	const char *src; /* the file, for messages: yaml_load's src, which must outlive the tree */
	int plain;       /* plain and untagged: the YAML 1.1 rules above apply */
	int binary;      /* tagged !!binary: base64 text */
	int merge_tag;   /* compose's merge tags: YTAG_RESET (!reset), YTAG_OVERRIDE (!override) */
	char *str;       /* Y_SCALAR: the text, NUL-terminated */
	size_t len;
	size_t n, cap;   /* Y_SEQ: n items; Y_MAP: n/2 pairs in kids[2i], kids[2i+1] */
	struct ynode **kids;
};

/* The one document in buf as a tree; aliases are copied, so it is a tree.
 * NULL with err "" for an empty document, NULL with err set (FILE:LINE: ...)
 * on an error, a second document included. */
struct ynode *yaml_load(const char *src, const char *buf, size_t len, char *err, size_t errsize);
void ynode_free(struct ynode *n);
int ynode_add(struct ynode *n, struct ynode *kid); /* 0, or -1: out of memory */

/* building and editing trees (they die on out of memory, as berth does):
 * a new node at the file and line of at; a scalar (plain: read by the
 * YAML 1.1 rules, else always a string); a deep copy */
struct ynode *ynode_new(enum ytype type, const struct ynode *at);
struct ynode *ynode_str(const struct ynode *at, const char *s, int plain);
struct ynode *ynode_copy(const struct ynode *n);
/* map[key] = v (v becomes map's; every pair of key is replaced), or with
 * v NULL every pair of key taken out */
void ymap_set(struct ynode *map, const char *key, struct ynode *v);
/* take map[key] out and return it (the caller's), or NULL */
struct ynode *ymap_take(struct ynode *map, const char *key);

/* map[key] (a later duplicate wins), or NULL */
struct ynode *ymap_get(const struct ynode *map, const char *key);
/* a scalar's text, whatever it resolves to, or NULL */
const char *ystr(const struct ynode *n);
/* absent (NULL) or a null scalar */
int ynull(const struct ynode *n);
/* 0 and *out, or -1: not of that type (or out of range) */
int ybool(const struct ynode *n, int *out);
int yint(const struct ynode *n, long long *out);
int yfloat(const struct ynode *n, double *out); /* a float or an int */
/* a file mode as write_files' permissions and compose's mode take it: an
 * int (0644 octal, 644 decimal, as above) or a string of octal digits
 * ("0644", "644", "0o644"); 0, or -1 */
int ymode(const struct ynode *n, long long *out);

#endif
