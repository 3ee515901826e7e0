// SPDX-License-Identifier: GPL-2.0
/*
 * ofl_fwd: the l7mp-compile kernel offload (docs/offload.md, DESIGN §6). A tc classifier for clsact
 * ingress, direct-action. An IPv4/UDP packet whose 5-tuple is a key of ofl_rules is rewritten to the
 * rule's 5-tuple (addresses and ports; TTL decremented), its IPv4 and UDP checksums are updated
 * incrementally, its rule's counters in ofl_stats are bumped, and it is sent out of the rule's
 * interface with bpf_redirect_neigh (which resolves the next hop and its MAC itself). Everything
 * else goes to the stack untouched (TC_ACT_OK): non-IPv4, non-UDP, fragments, IP options, TTL <= 1
 * and map misses, so a miss reaches the userspace proxy exactly as it would without this program.
 *
 * Key and value layouts come from layout.h, generated from offload/layout.ts.
 *
 * The maps carry no `pinning` attribute: bpftool loads the object and pins the maps in a directory
 * chosen by offload/load.ts (`bpftool prog loadall ... pinmaps DIR`), and tc attaches the pinned
 * program (`object-pinned`).
 *
 * Build: clang -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu -c ofl_fwd.c -o ofl_fwd.o
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "layout.h"

/* Plain (preallocated) hashes: never an LRU, which would evict rules silently; never per-CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OFL_MAX_ENTRIES);
	__type(key, struct ofl_key);
	__type(value, struct ofl_rule);
} ofl_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OFL_MAX_ENTRIES);
	__type(key, struct ofl_key);
	__type(value, struct ofl_stats);
} ofl_stats SEC(".maps");

#define IP_OFF (sizeof(struct ethhdr))
#define IP_CSUM_OFF (IP_OFF + __builtin_offsetof(struct iphdr, check))
#define IP_TTL_OFF (IP_OFF + __builtin_offsetof(struct iphdr, ttl))
#define UDP_OFF (IP_OFF + sizeof(struct iphdr))
#define UDP_CSUM_OFF (UDP_OFF + __builtin_offsetof(struct udphdr, check))
#define HDRS_LEN (UDP_OFF + sizeof(struct udphdr))

/* IP_MF | IP_OFFSET: a fragment (first or later) is never rewritten. */
#define OFL_FRAG_MASK 0x3fff

SEC("tc")
int ofl_fwd(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	/* Headers normally sit in the linear area; pull them there if a driver left them paged. */
	if ((long)skb->data + HDRS_LEN > (long)skb->data_end && bpf_skb_pull_data(skb, HDRS_LEN))
		return TC_ACT_OK;

	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	if (data + HDRS_LEN > data_end)
		return TC_ACT_OK;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + IP_OFF;
	struct udphdr *udp = data + UDP_OFF;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->version != 4 || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || (ip->frag_off & bpf_htons(OFL_FRAG_MASK)) || ip->ttl <= 1)
		return TC_ACT_OK;

	struct ofl_key key = {
		.saddr = ip->saddr,
		.daddr = ip->daddr,
		.sport = udp->source,
		.dport = udp->dest,
		.proto = OFL_IPPROTO_UDP,
	};
	struct ofl_rule *rule = bpf_map_lookup_elem(&ofl_rules, &key);
	if (!rule)
		return TC_ACT_OK;

	/* Checksum deltas (facts §1.4, the csum_diff variant): one diff over both addresses (they are
	 * in the IPv4 header and in the UDP pseudo-header), one over both ports, one for the TTL word. */
	__be32 old_addrs[2] = { ip->saddr, ip->daddr };
	__be32 new_addrs[2] = { rule->saddr, rule->daddr };
	__be32 old_ports = ((__be32)udp->dest << 16) | udp->source;
	__be32 new_ports = ((__be32)rule->dport << 16) | rule->sport;
	__be16 old_ttl_word = *(__be16 *)&ip->ttl; /* ttl and protocol */
	__u32 ip_len = bpf_ntohs(ip->tot_len);

	ip->saddr = rule->saddr;
	ip->daddr = rule->daddr;
	ip->ttl -= 1;
	udp->source = rule->sport;
	udp->dest = rule->dport;
	__be16 new_ttl_word = *(__be16 *)&ip->ttl;
	__u32 ifindex = rule->ifindex;

	__s64 addr_diff = bpf_csum_diff(old_addrs, sizeof(old_addrs), new_addrs, sizeof(new_addrs), 0);
	__s64 port_diff = bpf_csum_diff(&old_ports, sizeof(old_ports), &new_ports, sizeof(new_ports), 0);
	if (addr_diff < 0 || port_diff < 0)
		return TC_ACT_SHOT; /* cannot happen (sizes are fixed); never send a half-rewritten packet */
	/* From here on the packet pointers are invalid (the helpers may move the data). */
	if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_ttl_word, new_ttl_word, sizeof(__be16)) ||
	    bpf_l3_csum_replace(skb, IP_CSUM_OFF, 0, addr_diff, 0) ||
	    /* PSEUDO_HDR: addresses are in the pseudo-header (also fixes skb->csum for COMPLETE);
	     * MARK_MANGLED_0: a zero UDP checksum means "none" and stays zero. */
	    bpf_l4_csum_replace(skb, UDP_CSUM_OFF, 0, addr_diff, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0) ||
	    bpf_l4_csum_replace(skb, UDP_CSUM_OFF, 0, port_diff, BPF_F_MARK_MANGLED_0))
		return TC_ACT_SHOT;

	struct ofl_stats *st = bpf_map_lookup_elem(&ofl_stats, &key);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, ip_len);
		st->last_seen_ns = bpf_ktime_get_ns();
	}
	return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
