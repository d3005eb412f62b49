/* SPDX-License-Identifier: BSD-3-Clause
 *
 * UDP sockets of the apps, on the control lcore: BIND, CLOSE, RECV (drain the socket's ring
 * into the request's arena slot, many datagrams per request) and SEND (many datagrams per
 * request, built, fragmented and handed to the egress port's owner through its tx ring).
 *
 * The table has MF_UDP_MAX_SOCKETS entries. The control lcore writes an entry, then
 * release-stores its state; workers acquire-load the state and read it. A socket's ring is
 * created once and kept for the life of the core (a worker may still hold a pointer to it
 * for an instant after CLOSE); what a worker queues after the close is freed at the next
 * BIND of that entry. A socket belongs to the client that bound it: only that client may use
 * it, and it is closed when the client detaches or dies (mf_stack_client_gone).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_udp.h>

#include "../control_ops.h"
#include "mf_ring.h"
#include "stack_priv.h"

enum { SOCK_FREE = 0, SOCK_BOUND = 1 };

struct mf_udp_sock {
	uint32_t state;          /* release-stored last */
	uint32_t ip;
	uint16_t port;
	uint16_t client;
	struct rte_ring *rx;
	struct rte_mbuf *held;   /* dequeued, did not fit the last reply */
};

static struct mf_udp_sock socks[MF_UDP_MAX_SOCKETS];

struct rte_ring *
mf_udp_sock_lookup(uint32_t ip, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < MF_UDP_MAX_SOCKETS; i++) {
		const struct mf_udp_sock *s = &socks[i];

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SOCK_BOUND)
			continue;
		if (s->port == port && (s->ip == 0 || s->ip == ip))
			return s->rx;
	}
	return NULL;
}

int
mf_stack_udp_deliver(unsigned int client, uint32_t ip, uint16_t port, struct rte_mbuf *m)
{
	unsigned int i;

	for (i = 0; i < MF_UDP_MAX_SOCKETS; i++) {
		const struct mf_udp_sock *s = &socks[i];

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SOCK_BOUND ||
		    s->port != port || s->ip != ip || s->client != client)
			continue;
		/* the same share of mbufs as datagrams the stack queues (mf_udp_input) */
		if (__atomic_fetch_add(&mf_stk.udp_held, 1, __ATOMIC_RELAXED) >=
			    mf_stk.udp_held_max ||
		    rte_ring_mp_enqueue(s->rx, m) != 0) {
			__atomic_fetch_sub(&mf_stk.udp_held, 1, __ATOMIC_RELAXED);
			return -ENOBUFS;
		}
		return 0;
	}
	return -ENOENT;
}

/* A datagram leaves a socket's queue: free it and give its place back. */
static void
held_release(void *m)
{
	rte_pktmbuf_free(m);
	__atomic_fetch_sub(&mf_stk.udp_held, 1, __ATOMIC_RELAXED);
}

static void
sock_drain(struct mf_udp_sock *s)
{
	void *m;

	if (s->held != NULL) {
		held_release(s->held);
		s->held = NULL;
	}
	while (s->rx != NULL && rte_ring_sc_dequeue(s->rx, &m) == 0)
		held_release(m);
}

static void
sock_close(struct mf_udp_sock *s)
{
	__atomic_store_n(&s->state, SOCK_FREE, __ATOMIC_RELEASE);
	sock_drain(s);
}

void
mf_stack_client_gone(unsigned int client)
{
	unsigned int i;

	for (i = 0; i < MF_UDP_MAX_SOCKETS; i++)
		if (socks[i].state == SOCK_BOUND && socks[i].client == client)
			sock_close(&socks[i]);
}

static void
ip_str(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static int
sock_get(struct mf_core *core, const struct mf_request *req, const void *arena,
	 struct mf_completion *cpl, struct mf_udp_sock **out)
{
	struct mf_udp_sock_arg a;

	memcpy(&a, req->args, sizeof(a));
	if (a.sock >= MF_UDP_MAX_SOCKETS || socks[a.sock].state != SOCK_BOUND)
		return mf_op_reason(cpl, -EBADF, "socket %u is not bound; use the handle UDP_BIND "
				    "returned", a.sock);
	if (socks[a.sock].client != mf_op_client(core, arena))
		return mf_op_reason(cpl, -EPERM, "socket %u belongs to another client; bind "
				    "your own", a.sock);
	*out = &socks[a.sock];
	return 0;
}

static int
op_udp_bind(struct mf_core *core, const struct mf_request *req, void *arena,
	    struct mf_completion *cpl)
{
	struct mf_udp_bind_reply rep;
	struct mf_udp_bind_arg a;
	struct mf_udp_sock *s = NULL;
	char ipb[20], name[RTE_RING_NAMESIZE];
	unsigned int i;

	memcpy(&a, req->args, sizeof(a));
	ip_str(a.ip, ipb, sizeof(ipb));
	if (a.port == 0)
		return mf_op_reason(cpl, -EINVAL, "port 0 cannot be bound; give a UDP port "
				    "1..65535");
	if (a.ip != 0 && !mf_route_is_local_any(a.ip))
		return mf_op_reason(cpl, -EADDRNOTAVAIL, "%s is not one of the core's addresses; "
				    "bind one of them (manifold addresses) or 0.0.0.0", ipb);
	for (i = 0; i < MF_UDP_MAX_SOCKETS; i++) {
		struct mf_udp_sock *o = &socks[i];

		if (o->state == SOCK_BOUND && o->port == a.port &&
		    (o->ip == 0 || a.ip == 0 || o->ip == a.ip))
			return mf_op_reason(cpl, -EADDRINUSE, "%s:%u is already bound; close "
					    "it or choose another port", ipb, a.port);
		if (o->state == SOCK_FREE && s == NULL)
			s = o;
	}
	if (s == NULL)
		return mf_op_reason(cpl, -EMFILE, "all %d sockets are bound; close one",
				    MF_UDP_MAX_SOCKETS);
	i = (unsigned int)(s - socks);
	if (s->rx == NULL) {
		snprintf(name, sizeof(name), "mf_udp%u", i);
		s->rx = rte_ring_create(name, MF_SOCK_RING, (int)rte_socket_id(), RING_F_SC_DEQ);
		if (s->rx == NULL)
			return mf_op_reason(cpl, -ENOMEM, "no memory for the socket's queue; give "
					    "the core more memory (--mem)");
	}
	sock_drain(s);
	s->ip = a.ip;
	s->port = a.port;
	s->client = (uint16_t)mf_op_client(core, arena);
	__atomic_store_n(&s->state, SOCK_BOUND, __ATOMIC_RELEASE);
	memset(&rep, 0, sizeof(rep));
	rep.sock = i;
	memcpy(arena, &rep, sizeof(rep));
	cpl->out_len = sizeof(rep);
	return 0;
}

static int
op_udp_close(struct mf_core *core, const struct mf_request *req, void *arena,
	     struct mf_completion *cpl)
{
	struct mf_udp_sock *s = NULL;
	int rc = sock_get(core, req, arena, cpl, &s);

	if (rc != 0)
		return rc;
	sock_close(s);
	return 0;
}

/* One datagram (mbuf from IP header on) as a record at `out`; 0 if it does not fit. */
static uint32_t
rec_write(struct rte_mbuf *m, uint8_t *out, uint32_t room)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4, len, need;
	struct rte_udp_hdr uh_copy;
	const struct rte_udp_hdr *uh;
	struct mf_udp_rec rec;

	uh = rte_pktmbuf_read(m, ihl, sizeof(uh_copy), &uh_copy);
	len = rte_be_to_cpu_16(uh->dgram_len) - (uint32_t)sizeof(*uh);
	need = (uint32_t)sizeof(rec) + RTE_ALIGN_CEIL(len, 4u);
	if (need > room)
		return 0;
	rec.ip = rte_be_to_cpu_32(ip->src_addr);
	rec.local_ip = rte_be_to_cpu_32(ip->dst_addr);
	rec.port = rte_be_to_cpu_16(uh->src_port);
	rec.local_port = rte_be_to_cpu_16(uh->dst_port);
	rec.len = len;
	memcpy(out, &rec, sizeof(rec));
	if (len != 0) {
		const void *p = rte_pktmbuf_read(m, ihl + (uint32_t)sizeof(*uh), len,
						 out + sizeof(rec));

		if (p != out + sizeof(rec))
			memcpy(out + sizeof(rec), p, len);
	}
	return need;
}

static int
op_udp_recv(struct mf_core *core, const struct mf_request *req, void *arena,
	    struct mf_completion *cpl)
{
	struct mf_udp_batch_hdr hdr = { 0, 0 };
	struct mf_udp_sock_arg a;
	struct mf_udp_sock *s = NULL;
	uint8_t *out = arena;
	uint32_t off = sizeof(hdr), max, k;
	int rc = sock_get(core, req, arena, cpl, &s);

	if (rc != 0)
		return rc;
	memcpy(&a, req->args, sizeof(a));
	max = a.max == 0 ? UINT32_MAX : a.max;
	while (hdr.count < max) {
		struct rte_mbuf *m = s->held;
		void *p;

		if (m == NULL) {
			if (rte_ring_sc_dequeue(s->rx, &p) != 0)
				break;
			m = p;
		}
		k = rec_write(m, out + off, MF_ARENA_SLOT_SIZE - off);
		if (k == 0) {
			s->held = m; /* next time */
			break;
		}
		s->held = NULL;
		held_release(m);
		off += k;
		hdr.count++;
	}
	hdr.pending = rte_ring_count(s->rx) + (s->held != NULL);
	memcpy(out, &hdr, sizeof(hdr));
	cpl->out_len = off;
	return 0;
}

static int
op_udp_send(struct mf_core *core, const struct mf_request *req, void *arena,
	    struct mf_completion *cpl)
{
	struct rte_mbuf *frags[MF_REASM_MAX / 512 + 2];
	struct mf_udp_send_reply rep;
	struct mf_udp_batch_hdr hdr;
	const uint8_t *in = arena;
	struct mf_udp_sock *s = NULL;
	uint32_t off = sizeof(hdr), i;
	int rc = sock_get(core, req, arena, cpl, &s);

	if (rc != 0)
		return rc;
	if (req->in_len < sizeof(hdr))
		return mf_op_reason(cpl, -EINVAL, "UDP_SEND input is %u bytes; it starts with an "
				    "8-byte batch header", req->in_len);
	memcpy(&hdr, in, sizeof(hdr));
	/* check the whole batch first: a bad one sends nothing */
	for (i = 0; i < hdr.count; i++) {
		struct mf_udp_rec rec;

		if (off + sizeof(rec) > req->in_len)
			return mf_op_reason(cpl, -EINVAL, "record %u of %u runs past the input "
					    "(%u bytes); fix count or lengths", i, hdr.count,
					    req->in_len);
		memcpy(&rec, in + off, sizeof(rec));
		if (rec.len > MF_UDP_MAX_PAYLOAD || rec.port == 0 || rec.ip == 0)
			return mf_op_reason(cpl, -EINVAL, "record %u: %u bytes to port %u; "
					    "give 0..%u bytes to a non-zero address and port", i,
					    rec.len, rec.port, MF_UDP_MAX_PAYLOAD);
		off += (uint32_t)sizeof(rec);
		if (rec.len > req->in_len - off)
			return mf_op_reason(cpl, -EINVAL, "record %u's payload (%u bytes) runs past "
					    "the input; fix its len", i, rec.len);
		off += RTE_ALIGN_CEIL(rec.len, 4u);
	}
	memset(&rep, 0, sizeof(rep));
	off = sizeof(hdr);
	for (i = 0; i < hdr.count; i++) {
		struct mf_stack_port *sp;
		struct rte_udp_hdr uh;
		struct mf_udp_rec rec;
		uint32_t nh, src, sum;
		uint16_t port;
		int n, j;

		memcpy(&rec, in + off, sizeof(rec));
		off += (uint32_t)sizeof(rec);
		if (mf_stack_route(rec.ip, &port, &nh) != 0) {
			rep.no_route++;
			goto next;
		}
		sp = mf_stk.port[port];
		src = s->ip != 0 ? s->ip : mf_route_src_for(port, rec.ip);
		uh.src_port = rte_cpu_to_be_16(s->port);
		uh.dst_port = rte_cpu_to_be_16(rec.port);
		uh.dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(uh) + rec.len));
		uh.dgram_cksum = 0;
		sum = mf_l4_pseudo(src, rec.ip, IPPROTO_UDP, sizeof(uh) + rec.len) +
		      rte_raw_cksum(&uh, sizeof(uh)) + rte_raw_cksum(in + off, rec.len);
		uh.dgram_cksum = (uint16_t)~mf_cksum_fold(sum);
		if (uh.dgram_cksum == 0)
			uh.dgram_cksum = 0xffff;
		n = mf_ipv4_build(sp->pool, sp->mtu, mf_stk.ctl_ip_id++, src, rec.ip, IPPROTO_UDP,
				  &uh, sizeof(uh), in + off, rec.len, frags, RTE_DIM(frags));
		if (n < 0) {
			rep.no_mbuf++;
			goto next;
		}
		for (j = 0; j < n; j++)
			frags[j]->hash.usr = nh;
		if (rte_ring_mp_enqueue_bulk(sp->txr, (void **)frags, (unsigned int)n, NULL) == 0) {
			rte_pktmbuf_free_bulk(frags, (unsigned int)n);
			rep.queue_full++;
			goto next;
		}
		rep.accepted++;
next:
		off += RTE_ALIGN_CEIL(rec.len, 4u);
	}
	memcpy(arena, &rep, sizeof(rep));
	cpl->out_len = sizeof(rep);
	return 0;
}

static const struct mf_op_desc udp_ops[] = {
	{ MF_OP_UDP_BIND, "UDP_BIND", op_udp_bind, false },
	{ MF_OP_UDP_CLOSE, "UDP_CLOSE", op_udp_close, false },
	{ MF_OP_UDP_RECV, "UDP_RECV", op_udp_recv, false },
	{ MF_OP_UDP_SEND, "UDP_SEND", op_udp_send, true },
};
MF_OPS_REGISTER(udp_ops)
