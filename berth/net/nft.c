/* The nf_tables ruleset of container networking, spoken over
 * NETLINK_NETFILTER without libnftnl. `nft list table ip berth` prints it as
 *
 *   table ip berth {
 *     chain publish {
 *       [ip daddr HOSTIP] tcp dport HOSTPORT dnat to CONTAINER:PORT comment "NAME"
 *     }
 *     chain prerouting {
 *       type nat hook prerouting priority dstnat; policy accept;
 *       fib daddr type local jump publish
 *     }
 *     chain output {
 *       type nat hook output priority -100; policy accept;
 *       ip daddr != 127.0.0.0/8 fib daddr type local jump publish
 *     }
 *     chain postrouting {
 *       type nat hook postrouting priority srcnat; policy accept;
 *       ip saddr SUBNET oifname != "BRIDGE" masquerade
 *       ip saddr SUBNET oifname "BRIDGE" ct status dnat masquerade
 *     }
 *   }
 *
 * Each expression's attributes follow linux/netfilter/nf_tables.h; what nft
 * itself sends for the same rules (nft --debug=netlink) was the reference. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/rtnetlink.h>

#include "berth.h"
#include "netlink.h"
#include "nft.h"

#define CHAIN_PUBLISH "publish"
#define MSG(t) ((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (t)))
/* what nft writes in a rule's user data for `comment "..."` */
#define UDATA_RULE_COMMENT 0
/* NF_IP_PRI_NAT_DST and _SRC of linux/netfilter_ipv4.h (nft: dstnat, srcnat) */
#define PRIO_DSTNAT (-100)
#define PRIO_SRCNAT 100

static void batch_mark(struct nlbuf *b, struct nl *nl, uint16_t type)
{
	struct nfgenmsg g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0,
			      .res_id = htons(NFNL_SUBSYS_NFTABLES) };

	nlmsg_begin(b, nl, type, NLM_F_REQUEST, &g, sizeof g);
	nlmsg_end(b);
}

static void msg_begin(struct nlbuf *b, struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nfgenmsg g = { .nfgen_family = NFPROTO_IPV4, .version = NFNETLINK_V0 };

	nlmsg_begin(b, nl, MSG(type), NLM_F_REQUEST | NLM_F_ACK | flags, &g, sizeof g);
}

static void table_msg(struct nlbuf *b, struct nl *nl, uint16_t type, uint16_t flags)
{
	msg_begin(b, nl, type, flags);
	nla_put_str(b, NFTA_TABLE_NAME, NFT_TABLE);
	nlmsg_end(b);
}

/* A base chain of type nat when hook >= 0, else a regular one */
static void chain_msg(struct nlbuf *b, struct nl *nl, const char *name, int hook, int prio)
{
	size_t h;

	msg_begin(b, nl, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nla_put_str(b, NFTA_CHAIN_TABLE, NFT_TABLE);
	nla_put_str(b, NFTA_CHAIN_NAME, name);
	if (hook >= 0) {
		h = nla_nest_begin(b, NFTA_CHAIN_HOOK);
		nla_put_be32(b, NFTA_HOOK_HOOKNUM, (uint32_t)hook);
		nla_put_be32(b, NFTA_HOOK_PRIORITY, (uint32_t)prio);
		nla_nest_end(b, h);
		nla_put_be32(b, NFTA_CHAIN_POLICY, NF_ACCEPT);
		nla_put_str(b, NFTA_CHAIN_TYPE, "nat");
	}
	nlmsg_end(b);
}

/* A rule is begun, gets expressions, and is ended */
struct rule {
	struct nlbuf *b;
	size_t exprs;
};

static void rule_begin(struct rule *r, struct nlbuf *b, struct nl *nl, const char *chain)
{
	r->b = b;
	msg_begin(b, nl, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nla_put_str(b, NFTA_RULE_TABLE, NFT_TABLE);
	nla_put_str(b, NFTA_RULE_CHAIN, chain);
	r->exprs = nla_nest_begin(b, NFTA_RULE_EXPRESSIONS);
}

static void rule_end(struct rule *r, const char *comment)
{
	unsigned char ud[2 + 128];
	size_t len;

	nla_nest_end(r->b, r->exprs);
	if (comment) {
		len = strlen(comment) + 1;
		if (len > sizeof ud - 2)
			len = sizeof ud - 2;
		ud[0] = UDATA_RULE_COMMENT;
		ud[1] = (unsigned char)len;
		memcpy(ud + 2, comment, len);
		ud[1 + len] = '\0';
		nla_put(r->b, NFTA_RULE_USERDATA, ud, 2 + len);
	}
	nlmsg_end(r->b);
}

/* one expression: NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } } */
static size_t expr_begin(struct rule *r, const char *name, size_t *data)
{
	size_t elem = nla_nest_begin(r->b, NFTA_LIST_ELEM);

	nla_put_str(r->b, NFTA_EXPR_NAME, name);
	*data = nla_nest_begin(r->b, NFTA_EXPR_DATA);
	return elem;
}

static void expr_end(struct rule *r, size_t elem, size_t data)
{
	nla_nest_end(r->b, data);
	nla_nest_end(r->b, elem);
}

static void data_value(struct nlbuf *b, uint16_t type, const void *v, size_t len)
{
	size_t d = nla_nest_begin(b, type);

	nla_put(b, NFTA_DATA_VALUE, v, len);
	nla_nest_end(b, d);
}

/* an expression whose attributes are all 32-bit numbers, as {type, value} pairs */
struct u32attr {
	uint16_t type;
	uint32_t value;
};

static void e_u32(struct rule *r, const char *name, const struct u32attr *a, size_t n)
{
	size_t d, x = expr_begin(r, name, &d);

	for (size_t i = 0; i < n; i++)
		nla_put_be32(r->b, a[i].type, a[i].value);
	expr_end(r, x, d);
}

#define E_U32(r, name, ...) \
	e_u32(r, name, (const struct u32attr[]){__VA_ARGS__}, \
	      sizeof (const struct u32attr[]){__VA_ARGS__} / sizeof (struct u32attr))

/* reg1 = len bytes of the packet at base + offset */
static void e_payload(struct rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
	E_U32(r, "payload", {NFTA_PAYLOAD_DREG, NFT_REG_1}, {NFTA_PAYLOAD_BASE, base},
	      {NFTA_PAYLOAD_OFFSET, offset}, {NFTA_PAYLOAD_LEN, len});
}

static void e_meta(struct rule *r, uint32_t key)
{
	E_U32(r, "meta", {NFTA_META_KEY, key}, {NFTA_META_DREG, NFT_REG_1});
}

static void e_ct(struct rule *r, uint32_t key)
{
	E_U32(r, "ct", {NFTA_CT_KEY, key}, {NFTA_CT_DREG, NFT_REG_1});
}

/* reg1 = the route type of the packet's destination (RTN_LOCAL, ...) */
static void e_fib_daddr_type(struct rule *r)
{
	E_U32(r, "fib", {NFTA_FIB_DREG, NFT_REG_1}, {NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE},
	      {NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR});
}

/* reg1 = (reg1 & mask) ^ 0 */
static void e_mask(struct rule *r, const void *mask, size_t len)
{
	static const unsigned char zero[16];
	size_t d, x = expr_begin(r, "bitwise", &d);

	nla_put_be32(r->b, NFTA_BITWISE_SREG, NFT_REG_1);
	nla_put_be32(r->b, NFTA_BITWISE_DREG, NFT_REG_1);
	nla_put_be32(r->b, NFTA_BITWISE_LEN, (uint32_t)len);
	data_value(r->b, NFTA_BITWISE_MASK, mask, len);
	data_value(r->b, NFTA_BITWISE_XOR, zero, len);
	expr_end(r, x, d);
}

/* continue only if reg1 compares op to the value */
static void e_cmp(struct rule *r, uint32_t op, const void *v, size_t len)
{
	size_t d, x = expr_begin(r, "cmp", &d);

	nla_put_be32(r->b, NFTA_CMP_SREG, NFT_REG_1);
	nla_put_be32(r->b, NFTA_CMP_OP, op);
	data_value(r->b, NFTA_CMP_DATA, v, len);
	expr_end(r, x, d);
}

static void e_immediate(struct rule *r, uint32_t reg, const void *v, size_t len)
{
	size_t d, x = expr_begin(r, "immediate", &d);

	nla_put_be32(r->b, NFTA_IMMEDIATE_DREG, reg);
	data_value(r->b, NFTA_IMMEDIATE_DATA, v, len);
	expr_end(r, x, d);
}

static void e_jump(struct rule *r, const char *chain)
{
	size_t d, x = expr_begin(r, "immediate", &d), data, verdict;

	nla_put_be32(r->b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	data = nla_nest_begin(r->b, NFTA_IMMEDIATE_DATA);
	verdict = nla_nest_begin(r->b, NFTA_DATA_VERDICT);
	nla_put_be32(r->b, NFTA_VERDICT_CODE, (uint32_t)NFT_JUMP);
	nla_put_str(r->b, NFTA_VERDICT_CHAIN, chain);
	nla_nest_end(r->b, verdict);
	nla_nest_end(r->b, data);
	expr_end(r, x, d);
}

/* dnat to the address in reg1 and the port in reg2 */
static void e_dnat(struct rule *r)
{
	E_U32(r, "nat", {NFTA_NAT_TYPE, NFT_NAT_DNAT}, {NFTA_NAT_FAMILY, NFPROTO_IPV4},
	      {NFTA_NAT_REG_ADDR_MIN, NFT_REG_1}, {NFTA_NAT_REG_PROTO_MIN, NFT_REG_2},
	      {NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED});
}

static void e_masq(struct rule *r)
{
	size_t d, x = expr_begin(r, "masq", &d);

	expr_end(r, x, d);
}

/* ip saddr NET/PREFIX (offset 12) or ip daddr (offset 16) */
static void match_ip_prefix(struct rule *r, uint32_t offset, uint32_t addr, unsigned prefix)
{
	uint32_t mask = htonl(prefix ? ~0u << (32 - prefix) : 0);
	uint32_t net = htonl(addr) & mask;

	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
	if (prefix < 32)
		e_mask(r, &mask, 4);
	e_cmp(r, NFT_CMP_EQ, &net, 4);
}

static void match_oifname(struct rule *r, uint32_t op, const char *ifname)
{
	char name[IFNAMSIZ] = { 0 };

	strncpy(name, ifname, sizeof name - 1);
	e_meta(r, NFT_META_OIFNAME);
	e_cmp(r, op, name, sizeof name);
}

static void rule_port(struct nlbuf *b, struct nl *nl, const struct net_lease *l,
		      const struct port_map *p)
{
	struct rule r;
	uint8_t proto = p->proto;
	uint16_t dport = htons(p->host_port), cport = htons(p->container_port);
	uint32_t caddr = htonl(l->address);

	rule_begin(&r, b, nl, CHAIN_PUBLISH);
	if (p->host_ip)
		match_ip_prefix(&r, 16, p->host_ip, 32);
	e_meta(&r, NFT_META_L4PROTO);
	e_cmp(&r, NFT_CMP_EQ, &proto, 1);
	/* the destination port is at offset 2 in both TCP and UDP headers */
	e_payload(&r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(&r, NFT_CMP_EQ, &dport, 2);
	e_immediate(&r, NFT_REG_1, &caddr, 4);
	e_immediate(&r, NFT_REG_2, &cport, 2);
	e_dnat(&r);
	rule_end(&r, l->name);
}

static void build(struct nlbuf *b, struct nl *nl, const struct net_config *cfg,
		  const struct net_lease *leases, size_t n)
{
	struct rule r;
	uint32_t local = RTN_LOCAL, dnat = IPS_DST_NAT, zero = 0;
	uint8_t loopback = 127;

	batch_mark(b, nl, NFNL_MSG_BATCH_BEGIN);
	/* create-then-delete makes the delete succeed whether or not the table
	 * existed (kernels before 6.3 have no NFT_MSG_DESTROYTABLE) */
	table_msg(b, nl, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	table_msg(b, nl, NFT_MSG_DELTABLE, 0);
	if (cfg) {
		table_msg(b, nl, NFT_MSG_NEWTABLE, NLM_F_CREATE);
		chain_msg(b, nl, CHAIN_PUBLISH, -1, 0);
		chain_msg(b, nl, "prerouting", NF_INET_PRE_ROUTING, PRIO_DSTNAT);
		chain_msg(b, nl, "output", NF_INET_LOCAL_OUT, PRIO_DSTNAT);
		chain_msg(b, nl, "postrouting", NF_INET_POST_ROUTING, PRIO_SRCNAT);

		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < leases[i].nports; j++)
				rule_port(b, nl, &leases[i], &leases[i].ports[j]);

		/* published ports answer on every local address of the host */
		rule_begin(&r, b, nl, "prerouting");
		e_fib_daddr_type(&r);
		e_cmp(&r, NFT_CMP_EQ, &local, 4);
		e_jump(&r, CHAIN_PUBLISH);
		rule_end(&r, NULL);

		/* and to the host itself, but not on 127/8: a DNAT from there
		 * would need route_localnet */
		rule_begin(&r, b, nl, "output");
		e_payload(&r, NFT_PAYLOAD_NETWORK_HEADER, 16, 1);
		e_cmp(&r, NFT_CMP_NEQ, &loopback, 1);
		e_fib_daddr_type(&r);
		e_cmp(&r, NFT_CMP_EQ, &local, 4);
		e_jump(&r, CHAIN_PUBLISH);
		rule_end(&r, NULL);

		/* containers reach the world with the host's address */
		rule_begin(&r, b, nl, "postrouting");
		match_ip_prefix(&r, 12, cfg->gateway, cfg->prefix);
		match_oifname(&r, NFT_CMP_NEQ, cfg->bridge);
		e_masq(&r);
		rule_end(&r, NULL);

		/* hairpin: a container reaching a published port through the
		 * host's address gets its answer back through the host */
		rule_begin(&r, b, nl, "postrouting");
		match_ip_prefix(&r, 12, cfg->gateway, cfg->prefix);
		match_oifname(&r, NFT_CMP_EQ, cfg->bridge);
		e_ct(&r, NFT_CT_STATUS);
		e_mask(&r, &dnat, 4);
		e_cmp(&r, NFT_CMP_NEQ, &zero, 4);
		e_masq(&r);
		rule_end(&r, NULL);
	}
	batch_mark(b, nl, NFNL_MSG_BATCH_END);
}

static int run(const struct net_config *cfg, const struct net_lease *leases, size_t n,
	       const char *what, struct err *e)
{
	struct nl nl;
	struct nlbuf b;
	size_t rules = 0, cap;
	void *mem;
	int r;

	for (size_t i = 0; i < n; i++)
		rules += leases[i].nports;
	cap = 8192 + rules * 512;
	mem = malloc(cap);
	if (!mem)
		return fail(e, EXIT_SYSTEM, "%s: %s", what, strerror(errno));
	if (nl_open(&nl, NETLINK_NETFILTER, e) != 0) {
		free(mem);
		return -1;
	}
	nlbuf_init(&b, mem, cap);
	build(&b, &nl, cfg, leases, n);
	r = nl_batch(&nl, &b, what, e);
	nl_close(&nl);
	free(mem);
	return r;
}

int nft_rebuild(const struct net_config *cfg, const struct net_lease *leases, size_t n,
		struct err *e)
{
	return run(cfg, leases, n, "nf_tables table ip " NFT_TABLE, e);
}

int nft_delete(struct err *e)
{
	return run(NULL, NULL, 0, "nf_tables delete table ip " NFT_TABLE, e);
}
