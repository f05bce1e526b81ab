/* Container networking like Docker's default bridge: the bridge berth0 with
 * the gateway address, a veth pair per container (eth0 inside), masquerade
 * for outbound traffic and DNAT for published ports, all in the nf_tables
 * table "ip berth" that Berth owns and rebuilds atomically.
 *
 * The leases (container, address, host veth, published ports) are a text
 * file, $BERTH_ROOT/net/leases (default /var/lib/berth/net/leases), one
 * container per line: "NAME ADDRESS IFNAME [HOSTIP:HOSTPORT:CPORT/PROTO...]".
 * Every function takes the lock $BERTH_ROOT/net/lock while it works. */
#ifndef BERTH_NET_H
#define BERTH_NET_H

#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#include "err.h"

#define NET_BRIDGE_DEFAULT "berth0"
#define NET_ADDRESS_DEFAULT "172.31.0.1/16"
#define NET_NAME_MAX 64    /* container names */
#define NET_PORTS_MAX 64   /* published ports of one container */
#define NET_LEASES_MAX 1024

struct net_config {
	char bridge[IFNAMSIZ];  /* "berth0" */
	uint32_t gateway;       /* the bridge's address, host byte order: 172.31.0.1 */
	unsigned prefix;        /* 16; 8..30 */
	char root[2048];        /* state directory: $BERTH_ROOT/net */
};

/* Docker's ephemeral range: a port published without a host port gets the
 * first one free of it */
#define NET_EPHEMERAL_FIRST 32768
#define NET_EPHEMERAL_LAST 60999

/* HOSTIP:HOSTPORT:CPORT/PROTO; host_ip 0 means every address of the host.
 * Asked of net_attach, host_port 0 means "any free ephemeral port" and
 * host_port_last > host_port "any free one of host_port..host_port_last";
 * a lease always holds the port it got (host_port_last 0). */
struct port_map {
	uint32_t host_ip;       /* host byte order */
	uint16_t host_port, container_port;
	uint16_t host_port_last;
	uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
};

struct net_lease {
	char name[NET_NAME_MAX + 1];
	uint32_t address;       /* host byte order */
	char ifname[IFNAMSIZ];  /* host end: "veth-<8 hex>" */
	size_t nports;
	struct port_map ports[NET_PORTS_MAX];
};

/* defaults, BERTH_ROOT from the environment */
int net_config_default(struct net_config *cfg, struct err *e);
/* "172.31.0.1/16" into cfg */
int net_config_address(struct net_config *cfg, const char *cidr, struct err *e);
/* "[HOSTIP:]HOSTPORT:CPORT[/tcp|/udp]"; an empty HOSTPORT (":80",
 * "127.0.0.1::80") is an ephemeral port */
int net_port_parse(const char *spec, struct port_map *p, struct err *e);
/* the canonical form "HOSTIP:HOSTPORT:CPORT/PROTO" */
void net_port_format(const struct port_map *p, char *buf, size_t size);

/* The bridge with its address, up; IPv4 forwarding on; the nf_tables table
 * rebuilt from the leases (so after a reboot the published ports are back).
 * Idempotent. */
int net_bridge_up(const struct net_config *cfg, struct err *e);
/* Give the container a veth pair: the host end on the bridge, eth0 inside
 * the network namespace netns_path ("/proc/PID/ns/net" or a bind mount of
 * one) with the next free address, the default route via the bridge, lo up;
 * record the lease and publish its ports. A port without a fixed host port
 * gets the first free one (not published by a lease, not bound on the
 * host); out->ports has the ports as published. On failure nothing stays
 * behind. */
int net_attach(const struct net_config *cfg, const char *name, const char *netns_path,
	       const struct port_map *ports, size_t nports, struct net_lease *out,
	       struct err *e);
/* Remove the container's veth (gone already if its namespace is), release
 * its address, unpublish its ports. A container without a lease is an error. */
int net_detach(const struct net_config *cfg, const char *name, struct err *e);
/* Rebuild the table "ip berth" from the leases in one atomic batch. */
int net_publish(const struct net_config *cfg, struct err *e);
/* Delete the table, every leased veth, the bridge and the leases. */
int net_teardown_all(const struct net_config *cfg, struct err *e);

/* state.c: the leases file under the lock */
struct net_state {
	int lock;
	size_t n;
	struct net_lease *leases; /* NET_LEASES_MAX of them, heap */
};
int net_state_open(const struct net_config *cfg, struct net_state *st, struct err *e);
int net_state_save(const struct net_config *cfg, const struct net_state *st, struct err *e);
void net_state_close(struct net_state *st);
/* the lowest free address of the subnet, or 0 when it is full */
uint32_t net_state_free_address(const struct net_config *cfg, const struct net_state *st);
/* the lease of name, or NULL */
struct net_lease *net_state_find(struct net_state *st, const char *name);
/* 1 if name is a valid container name */
int net_name_valid(const char *name);

#endif
