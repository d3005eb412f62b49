/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Policy control ops (MF_OP_POLICY_*): one handler each, registered as a family. Every change
 * builds new objects, swaps them into the store and publishes a new table (table.c); nothing
 * a worker reads is ever modified in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../control_ops.h"
#include "pol_internal.h"

static int
id_arg(const struct mf_request *req, char id[MF_POLICY_ID_LEN], uint32_t *first,
       struct mf_completion *cpl)
{
	struct mf_policy_id_arg a;
	char err[MF_REASON_LEN];
	int rc;

	memcpy(&a, req->args, sizeof(a));
	memcpy(id, a.id, MF_POLICY_ID_LEN);
	if (first != NULL)
		*first = a.first;
	rc = mf_pol_id_check(id, err, sizeof(err));
	return rc < 0 ? mf_op_reason(cpl, rc, "%s", err) : 0;
}

static int
no_policy(struct mf_completion *cpl, const char *id)
{
	return mf_op_reason(cpl, -ENOENT, "id: no policy '%s'; list shows the policies there are",
			    id);
}

static int
publish(struct mf_completion *cpl)
{
	int rc = mf_pol_publish();

	if (rc < 0)
		return mf_op_reason(cpl, rc, "accepted, but the table could not be rebuilt (%s); "
				    "the core retries", strerror(-rc));
	return 0;
}

/* Destination counters follow a destination (same action, port, ip, udp port) across an
 * update; sorted keys of the old object make that n log n. */
struct old_key {
	uint64_t key;
	uint32_t action;
	uint32_t cnt;
};

static int
cmp_old_key(const void *a, const void *b)
{
	const struct old_key *x = a, *y = b;

	if (x->action != y->action)
		return x->action < y->action ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static uint64_t
key_of(const struct mf_policy_dest *d)
{
	return (uint64_t)d->ip << 32 | (uint64_t)d->port << 16 | d->udp_port;
}

static void
inherit_dest_slots(struct mf_pol *p, const struct mf_pol *old)
{
	struct old_key *k, q, *hit;
	uint32_t i;

	if (old->n_dests == 0 || p->n_dests == 0)
		return;
	k = malloc(old->n_dests * sizeof(*k));
	if (k == NULL)
		return; /* fresh counters: correct, only not continuous */
	for (i = 0; i < old->n_dests; i++) {
		k[i].key = key_of(&old->dests[i].wire);
		k[i].action = old->dests[i].action;
		k[i].cnt = old->dests[i].cnt;
	}
	qsort(k, old->n_dests, sizeof(*k), cmp_old_key);
	for (i = 0; i < p->n_dests; i++) {
		if (p->dests[i].cnt != UINT32_MAX)
			continue; /* already has its slot */
		q.key = key_of(&p->dests[i].wire);
		q.action = p->dests[i].action;
		hit = bsearch(&q, k, old->n_dests, sizeof(*k), cmp_old_key);
		if (hit != NULL)
			p->dests[i].cnt = hit->cnt;
	}
	free(k);
}

/* Put p (validated, with slots) live: as a new policy or in place of `index`. */
static int
install(struct mf_pol *p, uint32_t index, bool update, struct mf_completion *cpl)
{
	p->staged = false;
	p->wire.staged = 0;
	mf_pol_store_set(update ? index : mf_pol.n_store, p);
	return publish(cpl);
}

static int
add_or_update(struct mf_core *core, const struct mf_request *req, void *arena,
	      struct mf_completion *cpl, bool update)
{
	const struct mf_policy_wire *wire = arena;
	uint32_t client = mf_op_client(core, arena), index = 0, n_in;
	struct mf_pol *p, *old;
	char err[MF_REASON_LEN];
	int rc;

	if (req->in_len < sizeof(*wire) ||
	    (req->in_len - sizeof(*wire)) % sizeof(struct mf_policy_dest) != 0)
		return mf_op_reason(cpl, -EINVAL, "input is %u bytes; a policy is a %zu-byte "
				    "struct mf_policy_wire and n x %zu-byte destinations",
				    req->in_len, sizeof(*wire), sizeof(struct mf_policy_dest));
	n_in = (uint32_t)((req->in_len - sizeof(*wire)) / sizeof(struct mf_policy_dest));
	rc = mf_pol_build(core, wire, (const struct mf_policy_dest *)(wire + 1), n_in,
			  req->in_len, &p, err, sizeof(err));
	if (rc < 0)
		return mf_op_reason(cpl, rc, "%s", err);
	old = mf_pol_find(p->wire.id, &index);
	if (!update && old != NULL) {
		free(p);
		return mf_op_reason(cpl, -EEXIST, "id: policy '%s' exists; update replaces it",
				    wire->id);
	}
	if (update && old == NULL) {
		free(p);
		return no_policy(cpl, wire->id);
	}
	if (!update && mf_pol.n_store >= mf_pol.max_policies) {
		free(p);
		return mf_op_reason(cpl, -ENOSPC, "%u policies is the limit; remove one or raise "
				    "the limit (up to %u)", mf_pol.max_policies, MF_POLICY_CAP);
	}
	p->owner = p->wire.lifetime == MF_POLICY_CLIENT ? client : MF_POLICY_NO_OWNER;
	p->seq = old != NULL ? old->seq : mf_pol.next_seq++;
	if (old != NULL)
		inherit_dest_slots(p, old);
	rc = mf_pol_slots_take(p, old);
	if (rc < 0) {
		free(p);
		return mf_op_reason(cpl, rc, "destinations: the core holds at most %u over all "
				    "policies; remove some first", MF_POL_DEST_SLOTS);
	}
	if (p->staged) {
		/* Held per client until the DEST_ADD that commits it. */
		p->refs = 1;
		p->wire.reserved = update; /* remembered: commit replaces rather than adds */
		mf_pol_put(mf_pol_staging[client]);
		mf_pol_staging[client] = p;
		return 0;
	}
	return install(p, index, update, cpl);
}

static int
op_add(struct mf_core *core, const struct mf_request *req, void *arena, struct mf_completion *cpl)
{
	return add_or_update(core, req, arena, cpl, false);
}

static int
op_update(struct mf_core *core, const struct mf_request *req, void *arena,
	  struct mf_completion *cpl)
{
	return add_or_update(core, req, arena, cpl, true);
}

static int
op_remove(struct mf_core *core __rte_unused, const struct mf_request *req, void *arena __rte_unused,
	  struct mf_completion *cpl)
{
	char id[MF_POLICY_ID_LEN];
	uint32_t index;
	int rc = id_arg(req, id, NULL, cpl);

	if (rc < 0)
		return rc;
	if (mf_pol_find(id, &index) == NULL)
		return no_policy(cpl, id);
	mf_pol_store_del(index);
	return publish(cpl);
}

static int
op_list(struct mf_core *core __rte_unused, const struct mf_request *req, void *arena,
	struct mf_completion *cpl)
{
	struct mf_policy_id_arg a;
	struct mf_policy_list_hdr h;
	struct mf_policy_info *out = (struct mf_policy_info *)((uint8_t *)arena + sizeof(h));
	const uint32_t room = (uint32_t)((MF_ARENA_SLOT_SIZE - sizeof(h)) / sizeof(*out));
	struct mf_pol_pcnt c;
	uint32_t i;

	memcpy(&a, req->args, sizeof(a));
	h.total = mf_pol.n_store;
	h.count = 0;
	for (i = a.first; i < mf_pol.n_store && h.count < room; i++, h.count++) {
		const struct mf_pol *p = mf_pol.store[i];
		struct mf_policy_info *pi = &out[h.count];

		memset(pi, 0, sizeof(*pi));
		memcpy(pi->id, p->wire.id, MF_POLICY_ID_LEN);
		pi->priority = p->wire.priority;
		pi->lifetime = p->wire.lifetime;
		pi->n_actions = p->wire.n_actions;
		pi->n_dests = p->n_dests;
		pi->owner = p->owner;
		mf_pol_sum(p, &c);
		pi->matched_packets = c.matched;
		pi->matched_bytes = c.matched_bytes;
	}
	memcpy(arena, &h, sizeof(h));
	cpl->out_len = (uint32_t)(sizeof(h) + h.count * sizeof(*out));
	return 0;
}

static int
op_get(struct mf_core *core __rte_unused, const struct mf_request *req, void *arena,
       struct mf_completion *cpl)
{
	const uint32_t room = (uint32_t)((MF_ARENA_SLOT_SIZE - sizeof(struct mf_policy_wire)) /
					 sizeof(struct mf_policy_dest));
	struct mf_policy_wire *w = arena;
	struct mf_policy_dest *d = (struct mf_policy_dest *)(w + 1);
	char id[MF_POLICY_ID_LEN];
	const struct mf_pol *p;
	uint32_t first, i, n = 0;
	int rc = id_arg(req, id, &first, cpl);

	if (rc < 0)
		return rc;
	p = mf_pol_find(id, NULL);
	if (p == NULL)
		return no_policy(cpl, id);
	*w = p->wire;
	w->n_dests = p->n_dests; /* all of them; the reply carries [first, first + n) */
	for (i = first; i < p->n_dests && n < room; i++)
		d[n++] = p->dests[i].wire;
	cpl->out_len = (uint32_t)(sizeof(*w) + n * sizeof(*d));
	return 0;
}

static int
op_stats(struct mf_core *core __rte_unused, const struct mf_request *req, void *arena,
	 struct mf_completion *cpl)
{
	struct mf_policy_stats *s = arena;
	struct mf_policy_dest_stats *ds = (struct mf_policy_dest_stats *)(s + 1);
	const uint32_t room = (uint32_t)((MF_ARENA_SLOT_SIZE - sizeof(*s)) / sizeof(*ds));
	char id[MF_POLICY_ID_LEN];
	const struct mf_pol *p;
	struct mf_pol_pcnt c;
	struct mf_pol_dcnt dc;
	uint32_t first, i, k;
	int rc = id_arg(req, id, &first, cpl);

	if (rc < 0)
		return rc;
	p = mf_pol_find(id, NULL);
	if (p == NULL)
		return no_policy(cpl, id);
	memset(s, 0, sizeof(*s));
	if (mf_pol.n_lcores != 0) {
		mf_pol_sum(p, &c);
		s->matched_packets = c.matched;
		s->matched_bytes = c.matched_bytes;
		s->sent_packets = c.sent;
		s->sent_bytes = c.sent_bytes;
		for (k = 0; k < MF_POLICY_DROP_MAX; k++)
			s->drop[k] = c.drop[k];
		s->agg.messages = c.agg.messages;
		s->agg.packed = c.agg.packed;
		s->agg.datagrams = c.agg.datagrams;
		s->agg.oversize = c.agg.oversize;
		s->agg.hold_max_ns = c.agg.hold_max_ns;
		for (k = 0; k < MF_AGG_FLUSH_MAX; k++)
			s->agg.flush[k] = c.agg.flush[k];
		for (k = 0; k < MF_AGG_HOLD_BUCKETS; k++)
			s->agg.hold_hist[k] = c.agg.hold_hist[k];
	}
	s->n_dests = p->n_dests;
	s->first = first;
	for (i = first; i < p->n_dests && s->count < room; i++) {
		struct mf_policy_dest_stats *o = &ds[s->count++];
		const struct mf_pol_dest *d = &p->dests[i];

		memset(o, 0, sizeof(*o));
		o->ip = d->wire.ip;
		o->port = d->wire.port;
		o->udp_port = d->wire.udp_port;
		o->action = d->action;
		if (mf_pol.n_lcores == 0)
			continue;
		mf_pol_dsum(d->cnt, &dc);
		o->packets = dc.packets;
		o->bytes = dc.bytes;
		o->drop_nombuf = dc.drop_nombuf;
		o->drop_tx_full = dc.drop_tx_full;
	}
	cpl->out_len = (uint32_t)(sizeof(*s) + s->count * sizeof(*ds));
	return 0;
}

/* A copy of `old` with action `ai`'s destinations changed: those marked in `del` left out,
 * `add` appended. Kept destinations keep their counter slots. */
static struct mf_pol *
rebuild(const struct mf_pol *old, unsigned int ai, const struct mf_policy_dest *add,
	uint32_t n_add, const uint8_t *del, uint32_t n_del)
{
	struct mf_pol *p = mf_pol_alloc(old->n_dests - n_del + n_add);
	uint32_t i, j, d = 0;

	if (p == NULL)
		return NULL;
	memcpy(&p->wire, &old->wire, sizeof(p->wire));
	p->seq = old->seq;
	p->owner = old->owner;
	p->staged = old->staged;
	p->src_net = old->src_net;
	p->src_mask = old->src_mask;
	p->dst_net = old->dst_net;
	p->dst_mask = old->dst_mask;
	p->exact = old->exact;
	p->n_actions = old->n_actions;
	for (i = 0; i < old->n_actions; i++) {
		const struct mf_pol_action *oa = &old->act[i];
		struct mf_pol_action *a = &p->act[i];

		a->ops = oa->ops;
		a->dests = &p->dests[d];
		for (j = 0; j < oa->n_dests; j++) {
			uint32_t k = (uint32_t)(oa->dests - old->dests) + j;

			if (i == ai && del != NULL && del[j])
				continue;
			p->dests[d] = old->dests[k];
			d++;
		}
		if (i == ai) {
			for (j = 0; j < n_add; j++, d++) {
				p->dests[d].cnt = UINT32_MAX;
				mf_pol_dest_prepare(&p->dests[d], &add[j], (uint8_t)i);
			}
		}
		a->n_dests = (uint32_t)(&p->dests[d] - a->dests);
		p->wire.action[i].n_dests = a->n_dests;
	}
	p->wire.n_dests = d;
	return p;
}

/* The policy a DEST_ADD/DEL names: the client's staged one first, then the live ones. */
static struct mf_pol *
dest_target(struct mf_core *core, const struct mf_request *req, void *arena,
	    struct mf_policy_dest_arg *a, bool *staged, uint32_t *index,
	    struct mf_completion *cpl, int *rc)
{
	uint32_t client = mf_op_client(core, arena);
	char err[MF_REASON_LEN];
	struct mf_pol *p;

	memcpy(a, req->args, sizeof(*a));
	*rc = mf_pol_id_check(a->id, err, sizeof(err));
	if (*rc < 0) {
		*rc = mf_op_reason(cpl, *rc, "%s", err);
		return NULL;
	}
	p = mf_pol_staging[client];
	*staged = p != NULL && strncmp(p->wire.id, a->id, MF_POLICY_ID_LEN) == 0;
	if (!*staged)
		p = mf_pol_find(a->id, index);
	if (p == NULL) {
		*rc = no_policy(cpl, a->id);
		return NULL;
	}
	if (a->action >= p->n_actions || p->act[a->action].ops->type != MF_ACTION_REPLICATE) {
		*rc = mf_op_reason(cpl, -EINVAL, "actions[%u]: destinations are added to and "
				   "removed from a replicate action; policy '%s' has %u actions",
				   a->action, a->id, p->n_actions);
		return NULL;
	}
	if ((uint64_t)a->count * sizeof(struct mf_policy_dest) != req->in_len) {
		*rc = mf_op_reason(cpl, -EINVAL, "count is %u but the input is %u bytes (%zu per "
				   "destination)", a->count, req->in_len,
				   sizeof(struct mf_policy_dest));
		return NULL;
	}
	if (a->flags & ~(uint8_t)MF_POLICY_DEST_COMMIT) {
		*rc = mf_op_reason(cpl, -EINVAL, "flags 0x%x: only 0x1 (commit) is defined",
				   a->flags);
		return NULL;
	}
	*rc = 0;
	return p;
}

/* The new object replaces the old: staged (held for the client) or live (published). */
static int
dest_swap(struct mf_core *core, void *arena, struct mf_pol *old, struct mf_pol *p, bool staged,
	  uint32_t index, bool commit, struct mf_completion *cpl)
{
	uint32_t client = mf_op_client(core, arena), live = 0;
	int rc = mf_pol_slots_take(p, old);
	bool upd;

	if (rc < 0) {
		free(p);
		return mf_op_reason(cpl, rc, "destinations: the core holds at most %u over all "
				    "policies; remove some first", MF_POL_DEST_SLOTS);
	}
	if (!staged) {
		mf_pol_store_set(index, p);
		return publish(cpl);
	}
	p->refs = 1;
	mf_pol_put(old);
	mf_pol_staging[client] = p;
	if (!commit)
		return 0;
	mf_pol_staging[client] = NULL;
	if (mf_pol_find(p->wire.id, &live) != NULL) {
		if (!p->wire.reserved) {
			mf_pol_put(p);
			return mf_op_reason(cpl, -EEXIST, "id: policy '%s' was added by someone "
					    "else meanwhile; update replaces it", p->wire.id);
		}
	} else if (p->wire.reserved) {
		mf_pol_put(p);
		return no_policy(cpl, p->wire.id);
	} else if (mf_pol.n_store >= mf_pol.max_policies) {
		mf_pol_put(p);
		return mf_op_reason(cpl, -ENOSPC, "%u policies is the limit; remove one first",
				    mf_pol.max_policies);
	}
	upd = p->wire.reserved != 0;
	p->wire.reserved = 0;
	rc = install(p, live, upd, cpl);
	mf_pol_put(p); /* the staging reference; the store holds its own */
	return rc;
}

static int
op_dest_add(struct mf_core *core, const struct mf_request *req, void *arena,
	    struct mf_completion *cpl)
{
	const struct mf_policy_dest *add = arena;
	struct mf_policy_dest_arg a;
	struct mf_pol *old, *p, *live;
	char where[64], err[MF_REASON_LEN];
	uint32_t index = 0, i, j;
	bool staged;
	int rc;

	old = dest_target(core, req, arena, &a, &staged, &index, cpl, &rc);
	if (old == NULL)
		return rc;
	if (old->n_dests + a.count > mf_pol.max_dests)
		return mf_op_reason(cpl, -E2BIG, "destinations: %u + %u is more than the limit of "
				    "%u per policy", old->n_dests, a.count, mf_pol.max_dests);
	for (i = 0; i < a.count; i++) {
		snprintf(where, sizeof(where), "destinations[%u]", i);
		rc = mf_pol_dest_check(core, &add[i], where, err, sizeof(err));
		if (rc < 0)
			return mf_op_reason(cpl, rc, "%s", err);
		for (j = 0; j < old->act[a.action].n_dests; j++) {
			if (key_of(&old->act[a.action].dests[j].wire) == key_of(&add[i]))
				return mf_op_reason(cpl, -EEXIST, "destinations[%u]: actions[%u] "
						    "already sends to it", i, a.action);
		}
		for (j = 0; j < i; j++) {
			if (key_of(&add[j]) == key_of(&add[i]))
				return mf_op_reason(cpl, -EEXIST, "destinations[%u]: the same as "
						    "destinations[%u]", i, j);
		}
	}
	p = rebuild(old, a.action, add, a.count, NULL, 0);
	if (p == NULL)
		return mf_op_reason(cpl, -ENOMEM, "out of memory for %u destinations",
				    old->n_dests + a.count);
	/* The later parts of a staged update: destinations the live policy already has keep
	 * their counters, as those of the first part did. */
	if (staged && old->wire.reserved && (live = mf_pol_find(a.id, NULL)) != NULL)
		inherit_dest_slots(p, live);
	return dest_swap(core, arena, old, p, staged, index, a.flags & MF_POLICY_DEST_COMMIT, cpl);
}

static int
op_dest_del(struct mf_core *core, const struct mf_request *req, void *arena,
	    struct mf_completion *cpl)
{
	const struct mf_policy_dest *del = arena;
	const struct mf_pol_action *act;
	struct mf_policy_dest_arg a;
	struct mf_pol *old, *p;
	uint32_t index = 0, i, j, n_del = 0;
	uint8_t *mark;
	bool staged;
	int rc;

	old = dest_target(core, req, arena, &a, &staged, &index, cpl, &rc);
	if (old == NULL)
		return rc;
	act = &old->act[a.action];
	mark = calloc(act->n_dests + 1, 1);
	if (mark == NULL)
		return mf_op_reason(cpl, -ENOMEM, "out of memory");
	for (i = 0; i < a.count; i++) {
		for (j = 0; j < act->n_dests; j++)
			if (!mark[j] && key_of(&act->dests[j].wire) == key_of(&del[i]))
				break;
		if (j == act->n_dests) {
			free(mark);
			return mf_op_reason(cpl, -ENOENT, "destinations[%u]: actions[%u] of '%s' "
					    "does not send to port %u, udp port %u of that ip; "
					    "nothing was removed", i, a.action, a.id, del[i].port,
					    del[i].udp_port);
		}
		mark[j] = 1;
		n_del++;
	}
	p = rebuild(old, a.action, NULL, 0, mark, n_del);
	free(mark);
	if (p == NULL)
		return mf_op_reason(cpl, -ENOMEM, "out of memory");
	return dest_swap(core, arena, old, p, staged, index, a.flags & MF_POLICY_DEST_COMMIT, cpl);
}

static int
op_limits(struct mf_core *core __rte_unused, const struct mf_request *req, void *arena,
	  struct mf_completion *cpl)
{
	struct mf_policy_limits l;

	memcpy(&l, req->args, sizeof(l));
	if (l.max_policies > MF_POLICY_CAP)
		return mf_op_reason(cpl, -EINVAL, "max_policies %u: at most %u", l.max_policies,
				    MF_POLICY_CAP);
	if (l.max_dests > MF_POLICY_DESTS_CAP)
		return mf_op_reason(cpl, -EINVAL, "max_dests %u: at most %u", l.max_dests,
				    MF_POLICY_DESTS_CAP);
	if (l.max_policies != 0 && l.max_policies < mf_pol.n_store)
		return mf_op_reason(cpl, -EBUSY, "max_policies %u: %u policies are installed; "
				    "remove some first", l.max_policies, mf_pol.n_store);
	if (l.max_policies != 0)
		mf_pol.max_policies = l.max_policies;
	if (l.max_dests != 0)
		mf_pol.max_dests = l.max_dests;
	l.max_policies = mf_pol.max_policies;
	l.max_dests = mf_pol.max_dests;
	l.n_policies = mf_pol.n_store;
	l.reserved = 0;
	memcpy(arena, &l, sizeof(l));
	cpl->out_len = sizeof(l);
	return 0;
}

static const struct mf_op_desc policy_ops[] = {
	{ MF_OP_POLICY_ADD, "POLICY_ADD", op_add, true },
	{ MF_OP_POLICY_UPDATE, "POLICY_UPDATE", op_update, true },
	{ MF_OP_POLICY_REMOVE, "POLICY_REMOVE", op_remove, false },
	{ MF_OP_POLICY_LIST, "POLICY_LIST", op_list, false },
	{ MF_OP_POLICY_GET, "POLICY_GET", op_get, false },
	{ MF_OP_POLICY_STATS, "POLICY_STATS", op_stats, false },
	{ MF_OP_POLICY_DEST_ADD, "POLICY_DEST_ADD", op_dest_add, true },
	{ MF_OP_POLICY_DEST_DEL, "POLICY_DEST_DEL", op_dest_del, true },
	{ MF_OP_POLICY_LIMITS, "POLICY_LIMITS", op_limits, false },
};
MF_OPS_REGISTER(policy_ops)
