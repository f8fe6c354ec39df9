// SPDX-License-Identifier: Apache-2.0
/* Frame parsing and in-place replies for the AF_XDP path: see frame.h. */
#include "frame.h"

#include "fastpath_csum.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#define REPLY_HOP_LIMIT 64 /* as the XDP program's pongs */
#define IP_FRAGMENT_BITS 0x3fff /* MF flag and fragment offset */
#define VLAN_HLEN 4

/* The UDP pseudo header's sum (addresses, protocol, UDP length), in memory word order. */
static uint32_t pseudo_sum(const struct fp_frame *f)
{
	const uint8_t *l3 = f->data + f->l3_off;
	uint32_t sum = htons(IPPROTO_UDP) + htons((uint16_t)f->udp_len);

	if (f->is_v6)
		return fp_csum_add(l3 + offsetof(struct ipv6hdr, saddr), 32, sum);
	return fp_csum_add(l3 + offsetof(struct iphdr, saddr), 8, sum);
}

/*
 * A full checksum sums (with the pseudo header) to 0xffff. Local senders over veth leave the
 * offload unfinished: the field holds only the folded pseudo header sum (see complete_partial_csum
 * in the XDP program), which the stack would accept too, so it is accepted here. IPv4's 0 means
 * "none"; IPv6 forbids it.
 */
static bool udp_csum_ok(const struct fp_frame *f)
{
	const struct udphdr *udp = (const void *)(f->data + f->udp_off);
	uint32_t pseudo = pseudo_sum(f);

	if (udp->check == 0)
		return !f->is_v6;
	if (udp->check == fp_csum_fold(pseudo))
		return true;
	return fp_csum_fold(fp_csum_add(f->data + f->udp_off, f->udp_len, pseudo)) == 0xffff;
}

/* IPv4: version 4, no options, not a fragment, UDP, lengths that fit the frame, a good checksum. */
static enum fp_drop_reason parse_v4(struct fp_frame *f, uint32_t *ip_payload)
{
	const struct iphdr *ip = (const void *)(f->data + f->l3_off);
	uint32_t tot;

	if (f->len < f->l3_off + sizeof(*ip) || ip->version != 4 || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || (ip->frag_off & htons(IP_FRAGMENT_BITS)))
		return FP_DROP_SHORT;
	tot = ntohs(ip->tot_len);
	if (tot < sizeof(*ip) || f->l3_off + tot > f->len)
		return FP_DROP_SHORT;
	if (fp_csum_fold(fp_csum_add((const uint8_t *)ip, sizeof(*ip), 0)) != 0xffff)
		return FP_DROP_CHECKSUM;
	*ip_payload = tot - sizeof(*ip);
	f->udp_off = f->l3_off + sizeof(*ip);
	return FP_DROP_NONE;
}

/* IPv6: version 6, UDP right after the fixed header, a payload length that fits the frame. */
static enum fp_drop_reason parse_v6(struct fp_frame *f, uint32_t *ip_payload)
{
	const struct ipv6hdr *ip = (const void *)(f->data + f->l3_off);

	if (f->len < f->l3_off + sizeof(*ip) || ip->version != 6 || ip->nexthdr != IPPROTO_UDP)
		return FP_DROP_SHORT;
	*ip_payload = ntohs(ip->payload_len);
	if (f->l3_off + sizeof(*ip) + *ip_payload > f->len)
		return FP_DROP_SHORT;
	f->is_v6 = true;
	f->udp_off = f->l3_off + sizeof(*ip);
	return FP_DROP_NONE;
}

enum fp_drop_reason fp_frame_parse(uint8_t *data, uint32_t len, uint16_t port, struct fp_frame *f)
{
	const struct udphdr *udp;
	enum fp_drop_reason why;
	uint32_t ip_payload = 0;
	uint16_t proto;

	memset(f, 0, sizeof(*f));
	f->data = data;
	f->len = len;
	if (len < ETH_HLEN)
		return FP_DROP_SHORT;
	memcpy(&proto, data + 12, 2);
	f->l3_off = ETH_HLEN;
	if (proto == htons(ETH_P_8021Q) || proto == htons(ETH_P_8021AD)) {
		if (len < ETH_HLEN + VLAN_HLEN)
			return FP_DROP_SHORT;
		memcpy(&proto, data + ETH_HLEN + 2, 2);
		f->l3_off += VLAN_HLEN;
	}
	if (proto == htons(ETH_P_IP))
		why = parse_v4(f, &ip_payload);
	else if (proto == htons(ETH_P_IPV6))
		why = parse_v6(f, &ip_payload);
	else
		why = FP_DROP_SHORT;
	if (why != FP_DROP_NONE)
		return why;
	if (ip_payload < sizeof(*udp))
		return FP_DROP_SHORT;
	udp = (const void *)(data + f->udp_off);
	if (port && ntohs(udp->dest) != port)
		return FP_DROP_SHORT;
	f->udp_len = ntohs(udp->len);
	/* Longer than the IP payload: claims bytes that are not there. Shorter: the stack trims. */
	if (f->udp_len < sizeof(*udp) || f->udp_len > ip_payload)
		return FP_DROP_SHORT;
	if (!udp_csum_ok(f))
		return FP_DROP_CHECKSUM;
	f->fp = (struct fp_hdr *)(data + f->udp_off + sizeof(*udp));
	return fp_hdr_check(f->fp, f->udp_len - (uint32_t)sizeof(*udp));
}

static void swap(void *a, void *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

void fp_frame_make_reply(struct fp_frame *f)
{
	uint8_t *l3 = f->data + f->l3_off;
	struct udphdr *udp = (void *)(f->data + f->udp_off);
	uint16_t check;

	swap(f->data, f->data + ETH_ALEN, ETH_ALEN);
	swap(&udp->source, &udp->dest, 2);
	if (f->is_v6) {
		struct ipv6hdr *ip = (void *)l3;

		swap(&ip->saddr, &ip->daddr, 16);
		ip->hop_limit = REPLY_HOP_LIMIT;
	} else {
		struct iphdr *ip = (void *)l3;

		swap(&ip->saddr, &ip->daddr, 4);
		ip->ttl = REPLY_HOP_LIMIT;
		ip->check = 0;
		ip->check = (uint16_t)~fp_csum_fold(fp_csum_add(l3, sizeof(*ip), 0));
	}
	/* Anything past the UDP length (Ethernet padding) goes out as it came: never more bytes. */
	udp->check = 0;
	check = (uint16_t)~fp_csum_fold(fp_csum_add(f->data + f->udp_off, f->udp_len, pseudo_sum(f)));
	udp->check = check ? check : 0xffff; /* 0 would mean "no checksum" */
}
