/* The netlink plumbing under berth's net.c and nft.c and under netcfg:
 * bounded message builders, request/ack with sequence numbers, dumps,
 * nfnetlink batches, and sockets in another network namespace. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>

#include "berth.h"
#include "netlink.h"

#define RECV_SIZE 65536

/* every read of a socket lands here (one process, one request at a time) */
static unsigned char recv_buf[RECV_SIZE] __attribute__((aligned(4)));

/* acks without a copy of the request, with the kernel's own text */
static void socket_ready(struct nl *nl)
{
	int one = 1;

	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	nl->seq = (uint32_t)time(NULL);
}

int nl_open(struct nl *nl, int proto, struct err *e)
{
	int size = 1 << 20;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (nl->fd < 0)
		return fail_errno(e, "netlink socket");
	socket_ready(nl);
	/* a batch of many rules is one message; its acks arrive all at once */
	setsockopt(nl->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* A netlink socket belongs for life to the namespace it was created in.
 * Making it in a short-lived child that setns()es and hands the socket back
 * over SCM_RIGHTS keeps the calling process (the supervisor) in its own
 * namespace at every instant: no window where a failure could leave it
 * inside a container's namespace, and no threads needed. */
int nl_open_netns(struct nl *nl, int proto, int nsfd, struct err *e)
{
	int sv[2], status, err = 0;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &err, sizeof err };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	pid_t pid;
	ssize_t n;

	nl->fd = -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0)
		return fail(e, EXIT_SYSTEM, "socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(sv[0]);
		close(sv[1]);
		return fail(e, EXIT_SYSTEM, "fork: %s", strerror(err));
	}
	if (pid == 0) {
		int fd = -1;

		close(sv[0]);
		if (setns(nsfd, CLONE_NEWNET) != 0)
			err = errno;
		else if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto)) < 0)
			err = errno;
		memset(cbuf, 0, sizeof cbuf);
		if (fd >= 0) {
			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof cbuf;
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &fd, sizeof fd);
		}
		_exit(sendmsg(sv[1], &mh, 0) < 0 ? 1 : 0);
	}
	close(sv[1]);
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof cbuf;
	do
		n = recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err = errno;
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n < (ssize_t)sizeof err)
		return fail(e, EXIT_SYSTEM, "netlink socket in the namespace: %s",
				n < 0 ? strerror(err) : "helper process failed");
	if (err)
		return fail(e, EXIT_SYSTEM, "setns: %s", strerror(err));
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return fail(e, EXIT_SYSTEM, "netlink socket in the namespace: no descriptor passed");
	memcpy(&nl->fd, CMSG_DATA(cm), sizeof nl->fd);
	socket_ready(nl);
	return 0;
}

void nlbuf_init(struct nlbuf *b, void *mem, size_t cap)
{
	b->data = mem;
	b->len = 0;
	b->cap = cap;
	b->full = 0;
	b->msg = 0;
	b->count = 0;
}

int nlbuf_full(const struct nlbuf *b)
{
	return b->full;
}

/* room for n more bytes (padded), zeroed; NULL and full when there is none */
static void *reserve(struct nlbuf *b, size_t n)
{
	size_t padded = NLMSG_ALIGN(n);
	void *p;

	if (b->full || padded < n || b->cap - b->len < padded) {
		b->full = 1;
		return NULL;
	}
	p = b->data + b->len;
	memset(p, 0, padded);
	b->len += padded;
	return p;
}

void *nlmsg_begin(struct nlbuf *b, struct nl *nl, uint16_t type, uint16_t flags,
		  const void *hdr, size_t hdrlen)
{
	size_t off = b->len;
	struct nlmsghdr *h = reserve(b, NLMSG_HDRLEN);
	void *payload;

	if (!h)
		return NULL;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = ++nl->seq;
	b->msg = off;
	b->count++;
	payload = reserve(b, hdrlen);
	if (!payload)
		return NULL;
	memcpy(payload, hdr, hdrlen);
	h->nlmsg_len = (uint32_t)(b->len - off);
	return payload;
}

void nlmsg_end(struct nlbuf *b)
{
	struct nlmsghdr *h;

	if (b->full)
		return;
	h = (struct nlmsghdr *)(b->data + b->msg);
	h->nlmsg_len = (uint32_t)(b->len - b->msg);
}

void nla_put(struct nlbuf *b, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a;

	if (len > 0xffff - NLA_HDRLEN) {
		b->full = 1;
		return;
	}
	a = reserve(b, NLA_HDRLEN + len);
	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((unsigned char *)a + NLA_HDRLEN, data, len);
}

void nla_put_u8(struct nlbuf *b, uint16_t type, uint8_t v)
{
	nla_put(b, type, &v, sizeof v);
}

void nla_put_u32(struct nlbuf *b, uint16_t type, uint32_t v)
{
	nla_put(b, type, &v, sizeof v);
}

void nla_put_be16(struct nlbuf *b, uint16_t type, uint16_t v)
{
	v = htons(v);
	nla_put(b, type, &v, sizeof v);
}

void nla_put_be32(struct nlbuf *b, uint16_t type, uint32_t v)
{
	v = htonl(v);
	nla_put(b, type, &v, sizeof v);
}

void nla_put_str(struct nlbuf *b, uint16_t type, const char *s)
{
	nla_put(b, type, s, strlen(s) + 1);
}

size_t nla_nest_begin(struct nlbuf *b, uint16_t type)
{
	size_t off = b->len;

	nla_put(b, type | NLA_F_NESTED, NULL, 0);
	return off;
}

void nla_nest_end(struct nlbuf *b, size_t nest)
{
	struct nlattr *a;

	if (b->full)
		return;
	if (b->len - nest > 0xffff) {
		b->full = 1;
		return;
	}
	a = (struct nlattr *)(b->data + nest);
	a->nla_len = (uint16_t)(b->len - nest);
}

void nla_put_raw(struct nlbuf *b, const void *data, size_t len)
{
	void *p = reserve(b, len);

	if (p)
		memcpy(p, data, len);
}

/* fail with errno set to err (callers may go by errno alone) */
static int fail_with(struct err *e, int err, const char *what, const char *why)
{
	fail(e, EXIT_SYSTEM, "%s: %s", what, why);
	errno = err;
	return -1;
}

static int send_buf(struct nl *nl, struct nlbuf *b, const char *what, struct err *e)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n;

	if (b->full)
		return fail_with(e, EMSGSIZE, what, "message too large");
	do
		n = sendto(nl->fd, b->data, b->len, 0, (struct sockaddr *)&sa, sizeof sa);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail_errno(e, "%s: send", what);
	if ((size_t)n != b->len)
		return fail_with(e, EMSGSIZE, what, "short send");
	return 0;
}

/* one read into recv_buf: its length, 0 when nothing is queued (only with
 * MSG_DONTWAIT), or -1 */
static ssize_t recv_some(struct nl *nl, int flags, const char *what, struct err *e)
{
	ssize_t n;

	do
		n = recv(nl->fd, recv_buf, sizeof recv_buf, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (flags & MSG_DONTWAIT) && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0)
		return fail_errno(e, "%s: receive", what);
	return n;
}

/* "what: errno text (kernel's extended ack text)" */
static int ack_error(const struct nlmsghdr *h, const char *what, struct err *e)
{
	const struct nlmsgerr *me = NLMSG_DATA(h);
	int err = -me->error;
	const char *ext = NULL;

	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* with NETLINK_CAP_ACK the request is not echoed, unless capped */
		size_t off = NLMSG_HDRLEN + sizeof *me;
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += me->msg.nlmsg_len - NLMSG_HDRLEN;
		while (off + NLA_HDRLEN <= h->nlmsg_len) {
			const struct nlattr *a = (const void *)((const char *)h + off);
			if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
				break;
			if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a->nla_len > NLA_HDRLEN &&
			    memchr((const char *)a + NLA_HDRLEN, '\0', a->nla_len - NLA_HDRLEN))
				ext = (const char *)a + NLA_HDRLEN;
			off += NLA_ALIGN(a->nla_len);
		}
	}
	errno = err;
	if (ext && *ext)
		fail(e, EXIT_SYSTEM, "%s: %s (%s)", what, strerror(err), ext);
	else
		fail(e, EXIT_SYSTEM, "%s: %s", what, strerror(err));
	errno = err;
	return -1;
}

/* an NLMSG_ERROR message: 0 for an ack, else -1 as ack_error says */
static int ack_check(const struct nlmsghdr *h, const char *what, struct err *e)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return fail_with(e, EPROTO, what, "short ack");
	if (((const struct nlmsgerr *)NLMSG_DATA(h))->error == 0)
		return 0;
	return ack_error(h, what, e);
}

/* every answer to the message in b up to its ack, or a dump's end, to fn */
int nl_dump(struct nl *nl, struct nlbuf *b, const char *what,
	    void (*fn)(const struct nlmsghdr *h, void *arg), void *arg, struct err *e)
{
	uint32_t seq = ((struct nlmsghdr *)b->data)->nlmsg_seq;

	if (send_buf(nl, b, what, e) != 0)
		return -1;
	for (;;) {
		ssize_t n = recv_some(nl, 0, what, e);
		const struct nlmsghdr *h;
		size_t left;

		if (n < 0)
			return -1;
		left = (size_t)n;
		for (h = (const void *)recv_buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ack_check(h, what, e);
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			fn(h, arg);
		}
	}
}

struct reply {
	void *buf;
	size_t size;
	uint16_t type;
};

/* the first answer of the type asked for, cut to the caller's buffer */
static void reply_keep(const struct nlmsghdr *h, void *arg)
{
	struct reply *r = arg;

	if (r->buf && h->nlmsg_type == r->type) {
		memcpy(r->buf, h, h->nlmsg_len < r->size ? h->nlmsg_len : r->size);
		r->buf = NULL;
	}
}

int nl_request(struct nl *nl, struct nlbuf *b, const char *what,
	       void *reply, size_t reply_size, uint16_t reply_type, struct err *e)
{
	struct reply r = { reply, reply_size, reply_type };

	return nl_dump(nl, b, what, reply_keep, &r, e);
}

/* the place (1 = first after BATCH_BEGIN) and nf_tables type of the
 * message with seq in b */
static unsigned batch_index(const struct nlbuf *b, uint32_t seq, const char **type)
{
	static const char *const names[] = {
		[NFT_MSG_NEWTABLE] = "NFT_MSG_NEWTABLE", [NFT_MSG_DELTABLE] = "NFT_MSG_DELTABLE",
		[NFT_MSG_NEWCHAIN] = "NFT_MSG_NEWCHAIN", [NFT_MSG_NEWRULE] = "NFT_MSG_NEWRULE",
	};
	const struct nlmsghdr *h = (const struct nlmsghdr *)b->data;
	size_t left = b->len;
	unsigned i = 0, t;

	*type = "message";
	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left), i++)
		if (h->nlmsg_seq == seq) {
			t = h->nlmsg_type & 0xff;
			if (t < sizeof names / sizeof names[0] && names[t])
				*type = names[t];
			return i;
		}
	return 0;
}

/* nfnetlink runs the whole batch inside our sendmsg(), so by the time it
 * returns every ack is already queued: read until the queue is empty. */
int nl_batch(struct nl *nl, struct nlbuf *b, const char *what, struct err *e)
{
	unsigned acks = 0, expected = b->count > 2 ? b->count - 2 : 0;
	int failed = 0;

	/* the whole batch must fit in one skb: raise the send buffer for
	 * big rulesets (root may exceed wmem_max) */
	if (b->len > (1u << 17)) {
		int size = (int)b->len + 65536;
		if (setsockopt(nl->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
			setsockopt(nl->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	}
	if (send_buf(nl, b, what, e) != 0)
		return -1;
	while (acks < expected) {
		ssize_t n = recv_some(nl, MSG_DONTWAIT, what, e);
		const struct nlmsghdr *h;
		size_t left;

		if (n <= 0) {
			if (n < 0)
				return -1;
			break;
		}
		left = (size_t)n;
		for (h = (const void *)recv_buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			acks++;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return ack_check(h, what, e);
			if (((const struct nlmsgerr *)NLMSG_DATA(h))->error != 0 && !failed) {
				char which[128];
				const char *type;
				unsigned i = batch_index(b, h->nlmsg_seq, &type);
				snprintf(which, sizeof which, "%s: %s (%u of %u)", what, type, i, expected);
				ack_error(h, which, e);
				failed = 1;
			}
		}
	}
	if (failed)
		return -1;
	if (acks < expected)
		return fail(e, EXIT_SYSTEM, "%s: %u of %u messages acknowledged", what, acks, expected);
	return 0;
}
