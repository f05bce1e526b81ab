/* The nf_tables table "ip berth", built over NETLINK_NETFILTER: Berth owns
 * it entirely and replaces it whole in one batch, so the kernel holds either
 * the old ruleset or the new one, never half of either. */
#ifndef BERTH_NFT_H
#define BERTH_NFT_H

#include <stddef.h>

#include "net.h"

#define NFT_TABLE "berth"

/* the table for the bridge's subnet and every lease's published ports */
int nft_rebuild(const struct net_config *cfg, const struct net_lease *leases, size_t n,
		struct err *e);
/* the table gone (no error if it was not there) */
int nft_delete(struct err *e);

#endif
