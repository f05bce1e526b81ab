/* The one netlink client, for berth's net.c (rtnetlink) and nft.c
 * (nf_tables) and for netcfg (rtnetlink): messages built in a caller's
 * buffer with bounds checks, requests answered by an ack matched on the
 * sequence number, dumps, errors as one line naming the operation and the
 * kernel's errno text (and its extended-ack text), with errno set too. */
#ifndef BERTH_NETLINK_H
#define BERTH_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "err.h"

struct nl {
	int fd;
	uint32_t seq;
};

/* A message buffer. Builders never write past cap; once one would, the
 * buffer is marked full and every later builder does nothing, so a caller
 * checks nlbuf_full() once, before sending. */
struct nlbuf {
	unsigned char *data;
	size_t len, cap;
	int full;
	size_t msg;     /* offset of the message being built */
	unsigned count; /* messages begun */
};

/* a socket of the given NETLINK_* protocol in the caller's network namespace */
int nl_open(struct nl *nl, int proto, struct err *e);
/* a socket in the network namespace nsfd refers to (see lib/netlink.c for why
 * a child process makes it) */
int nl_open_netns(struct nl *nl, int proto, int nsfd, struct err *e);
void nl_close(struct nl *nl);

void nlbuf_init(struct nlbuf *b, void *mem, size_t cap);
int nlbuf_full(const struct nlbuf *b);
/* start a message with a fixed header of hdrlen bytes (copied from hdr);
 * returns the header's place in the buffer, or NULL when full */
void *nlmsg_begin(struct nlbuf *b, struct nl *nl, uint16_t type, uint16_t flags,
		  const void *hdr, size_t hdrlen);
/* set nlmsg_len of the message begun last */
void nlmsg_end(struct nlbuf *b);

void nla_put(struct nlbuf *b, uint16_t type, const void *data, size_t len);
void nla_put_u8(struct nlbuf *b, uint16_t type, uint8_t v);
void nla_put_u32(struct nlbuf *b, uint16_t type, uint32_t v);
void nla_put_be16(struct nlbuf *b, uint16_t type, uint16_t v);
void nla_put_be32(struct nlbuf *b, uint16_t type, uint32_t v);
void nla_put_str(struct nlbuf *b, uint16_t type, const char *s);
/* a nested attribute: begin returns its offset, end fixes its length */
size_t nla_nest_begin(struct nlbuf *b, uint16_t type);
void nla_nest_end(struct nlbuf *b, size_t nest);
/* bytes (padded to 4) with no attribute header: the struct ifinfomsg at
 * the start of VETH_INFO_PEER */
void nla_put_raw(struct nlbuf *b, const void *data, size_t len);

/* Send the one message in b (begun with NLM_F_ACK) and wait for its ack.
 * A reply of type reply_type before the ack is copied to reply (up to
 * reply_size bytes) if reply is not NULL. On error: "<what>: <errno text>"
 * in e, errno set, -1. */
int nl_request(struct nl *nl, struct nlbuf *b, const char *what,
	       void *reply, size_t reply_size, uint16_t reply_type, struct err *e);
/* Send the one message in b (a request with NLM_F_ACK, or NLM_F_DUMP) and
 * give every message of the answer to fn, up to the ack or NLMSG_DONE.
 * Errors as nl_request. */
int nl_dump(struct nl *nl, struct nlbuf *b, const char *what,
	    void (*fn)(const struct nlmsghdr *h, void *arg), void *arg, struct err *e);
/* Send a whole nfnetlink batch (every message in it asks for an ack) and
 * collect the acks; the first error fails it. */
int nl_batch(struct nl *nl, struct nlbuf *b, const char *what, struct err *e);

#endif
