/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The control lcore's side of the engine: the store of policy objects, counter slots, and the
 * published table.
 *
 *   change (add/update/remove/destinations) -> store -> mf_pol_publish():
 *     build a new table (sorted by priority; exact services in an rte_hash, the rest in a
 *     wildcard list) -> atomic store of mf_pol_current -> the old table joins the retired
 *     list with an rte_rcu_qsbr token
 *   mf_pol_reclaim() (every control pass): a retired table whose token every worker has
 *     passed is freed, with the objects and counter slots only it still referenced.
 *
 * Nothing here waits for workers: rte_rcu_qsbr_check is polled without blocking.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include "../counters.h"
#include "pol_internal.h"

struct mf_pol_state mf_pol;
struct mf_pol_table *mf_pol_current;
struct rte_rcu_qsbr *mf_pol_qsv;
uint16_t mf_pol_lcore_idx[RTE_MAX_LCORE];

struct mf_pol *
mf_pol_find(const char *id, uint32_t *index)
{
	uint32_t i;

	for (i = 0; i < mf_pol.n_store; i++) {
		if (strncmp(mf_pol.store[i]->wire.id, id, MF_POLICY_ID_LEN) == 0) {
			if (index != NULL)
				*index = i;
			return mf_pol.store[i];
		}
	}
	return NULL;
}

struct mf_pol *
mf_pol_alloc(uint32_t n_dests)
{
	struct mf_pol *p = calloc(1, sizeof(*p) + (size_t)n_dests * sizeof(p->dests[0]));
	uint32_t i;

	if (p == NULL)
		return NULL;
	p->n_dests = n_dests;
	p->cnt = UINT32_MAX;
	for (i = 0; i < n_dests; i++)
		p->dests[i].cnt = UINT32_MAX;
	return p;
}

/* ---- counter slots ------------------------------------------------------------------------- */

static int
pslot_alloc(uint32_t *slot)
{
	uint32_t i, s;
	unsigned int l;

	for (i = 0; i < MF_POLICY_CAP; i++) {
		s = (mf_pol.pslot_hint + i) % MF_POLICY_CAP;
		if (mf_pol.pslot_refs[s] != 0)
			continue;
		/* No worker writes a free slot: its last object went after a grace period. */
		for (l = 0; l < mf_pol.n_lcores; l++)
			memset(&mf_pol.lcore[l].pcnt[s], 0, sizeof(struct mf_pol_pcnt));
		mf_pol.pslot_refs[s] = 1;
		mf_pol.pslot_hint = s + 1;
		*slot = s;
		return 0;
	}
	return -ENOSPC;
}

static int
dslot_alloc(uint32_t *slot)
{
	uint32_t i, s;
	unsigned int l;

	if (mf_pol.n_dslots_used >= MF_POL_DEST_SLOTS)
		return -ENOSPC;
	for (i = 0; i < MF_POL_DEST_SLOTS; i++) {
		s = (mf_pol.dslot_hint + i) % MF_POL_DEST_SLOTS;
		if (mf_pol.dslot_refs[s] != 0)
			continue;
		for (l = 0; l < mf_pol.n_lcores; l++)
			memset(&mf_pol.lcore[l].dcnt[s], 0, sizeof(struct mf_pol_dcnt));
		mf_pol.dslot_refs[s] = 1;
		mf_pol.n_dslots_used++;
		mf_pol.dslot_hint = s + 1;
		*slot = s;
		return 0;
	}
	return -ENOSPC;
}

static void
slots_release(struct mf_pol *p)
{
	uint32_t i, s;

	if (p->cnt != UINT32_MAX && --mf_pol.pslot_refs[p->cnt] == 0)
		p->cnt = UINT32_MAX;
	for (i = 0; i < p->n_dests; i++) {
		s = p->dests[i].cnt;
		if (s == UINT32_MAX)
			continue;
		if (--mf_pol.dslot_refs[s] == 0)
			mf_pol.n_dslots_used--;
		p->dests[i].cnt = UINT32_MAX;
	}
}

/* Give p counter slots: the ones already set in p (inherited from the object it replaces)
 * gain a reference, the others are fresh and zeroed. 0, or -ENOSPC with nothing taken. */
int
mf_pol_slots_take(struct mf_pol *p, const struct mf_pol *prev)
{
	uint32_t i, fresh = 0;
	int rc;

	for (i = 0; i < p->n_dests; i++)
		fresh += p->dests[i].cnt == UINT32_MAX;
	if (mf_pol.n_dslots_used + fresh > MF_POL_DEST_SLOTS)
		return -ENOSPC;
	if (prev != NULL) {
		p->cnt = prev->cnt;
		mf_pol.pslot_refs[p->cnt]++;
	} else {
		rc = pslot_alloc(&p->cnt);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < p->n_dests; i++) {
		if (p->dests[i].cnt != UINT32_MAX) {
			mf_pol.dslot_refs[p->dests[i].cnt]++;
			continue;
		}
		rc = dslot_alloc(&p->dests[i].cnt);
		if (rc < 0) {
			slots_release(p);
			return rc;
		}
	}
	return 0;
}

void
mf_pol_put(struct mf_pol *p)
{
	unsigned int i;

	if (p == NULL || --p->refs != 0)
		return;
	for (i = 0; i < p->n_actions; i++)
		if (p->act[i].ops != NULL && p->act[i].ops->fini != NULL)
			p->act[i].ops->fini(&p->act[i]);
	slots_release(p);
	free(p);
}

void
mf_pol_store_set(uint32_t index, struct mf_pol *p)
{
	struct mf_pol *old = NULL;

	p->refs++;
	if (index < mf_pol.n_store)
		old = mf_pol.store[index];
	else
		index = mf_pol.n_store++;
	mf_pol.store[index] = p;
	mf_pol.dirty = true;
	mf_pol_put(old);
}

void
mf_pol_store_del(uint32_t index)
{
	struct mf_pol *old = mf_pol.store[index];

	mf_pol.store[index] = mf_pol.store[--mf_pol.n_store];
	mf_pol.store[mf_pol.n_store] = NULL;
	mf_pol.dirty = true;
	mf_pol_put(old);
}

/* ---- counters, summed over the lcores -------------------------------------------------------- */

void
mf_pol_sum(const struct mf_pol *p, struct mf_pol_pcnt *out)
{
	unsigned int l, k;

	memset(out, 0, sizeof(*out));
	for (l = 0; l < mf_pol.n_lcores; l++) {
		const struct mf_pol_pcnt *c = &mf_pol.lcore[l].pcnt[p->cnt];

		out->matched += mf_cnt_read(&c->matched);
		out->matched_bytes += mf_cnt_read(&c->matched_bytes);
		out->sent += mf_cnt_read(&c->sent);
		out->sent_bytes += mf_cnt_read(&c->sent_bytes);
		for (k = 0; k < MF_POLICY_DROP_MAX; k++)
			out->drop[k] += mf_cnt_read(&c->drop[k]);
		out->agg.messages += mf_cnt_read(&c->agg.messages);
		out->agg.packed += mf_cnt_read(&c->agg.packed);
		out->agg.datagrams += mf_cnt_read(&c->agg.datagrams);
		out->agg.oversize += mf_cnt_read(&c->agg.oversize);
		for (k = 0; k < MF_AGG_FLUSH_MAX; k++)
			out->agg.flush[k] += mf_cnt_read(&c->agg.flush[k]);
		for (k = 0; k < MF_AGG_HOLD_BUCKETS; k++)
			out->agg.hold_hist[k] += mf_cnt_read(&c->agg.hold_hist[k]);
		out->agg.hold_max_ns = RTE_MAX(out->agg.hold_max_ns,
					       mf_cnt_read(&c->agg.hold_max_ns));
	}
}

void
mf_pol_dsum(uint32_t slot, struct mf_pol_dcnt *out)
{
	unsigned int l;

	memset(out, 0, sizeof(*out));
	for (l = 0; l < mf_pol.n_lcores; l++) {
		const struct mf_pol_dcnt *c = &mf_pol.lcore[l].dcnt[slot];

		out->packets += mf_cnt_read(&c->packets);
		out->bytes += mf_cnt_read(&c->bytes);
		out->drop_nombuf += mf_cnt_read(&c->drop_nombuf);
		out->drop_tx_full += mf_cnt_read(&c->drop_tx_full);
	}
}

/* ---- build, publish, reclaim ------------------------------------------------------------------ */

static int
cmp_priority(const void *a, const void *b)
{
	const struct mf_pol *x = *(struct mf_pol *const *)a, *y = *(struct mf_pol *const *)b;

	if (x->wire.priority != y->wire.priority)
		return x->wire.priority > y->wire.priority ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
key_of(const struct mf_pol *p, struct mf_pol_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ip = p->wire.match.dst_ip;
	k->port = p->wire.match.dst_port;
	k->proto = p->wire.match.proto;
}

static int
cmp_key(const void *a, const void *b)
{
	const struct mf_pol *x = *(struct mf_pol *const *)a, *y = *(struct mf_pol *const *)b;
	struct mf_pol_key kx, ky;
	int c;

	key_of(x, &kx);
	key_of(y, &ky);
	c = memcmp(&kx, &ky, sizeof(kx));
	return c != 0 ? c : cmp_priority(a, b);
}

static void hash_put(struct mf_pol_hash *hs);

static void
table_free(struct mf_pol_table *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		mf_pol_put(t->all[i]);
	hash_put(t->hs);
	free(t->svc);
	free(t->buckets);
	free(t->wild);
	free(t->all);
	free(t);
}

static void
hash_put(struct mf_pol_hash *hs)
{
	if (hs == NULL || --hs->refs != 0)
		return;
	if (mf_pol.last_hash == hs)
		mf_pol.last_hash = NULL;
	rte_hash_free(hs->h);
	free(hs);
}

/* The hash for these keys: the last one if it has exactly them, else a new one. */
static struct mf_pol_hash *
hash_get(const struct mf_pol_key *keys, uint32_t n)
{
	struct rte_hash_parameters hp;
	char name[RTE_HASH_NAMESIZE];
	struct mf_pol_hash *hs = mf_pol.last_hash;
	uint32_t i;

	if (hs != NULL && hs->n == n && memcmp(hs->keys, keys, n * sizeof(keys[0])) == 0) {
		hs->refs++;
		return hs;
	}
	hs = calloc(1, sizeof(*hs) + n * sizeof(keys[0]));
	if (hs == NULL)
		return NULL;
	hs->n = n;
	memcpy(hs->keys, keys, n * sizeof(keys[0]));
	snprintf(name, sizeof(name), "mf_pol_%u", mf_pol.hash_seq++);
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = RTE_MAX(n * 2, 64u);
	hp.key_len = sizeof(struct mf_pol_key);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = (int)rte_socket_id();
	hs->h = rte_hash_create(&hp);
	if (hs->h == NULL) {
		free(hs);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (rte_hash_add_key_data(hs->h, &keys[i], (void *)(uintptr_t)i) < 0) {
			rte_hash_free(hs->h);
			free(hs);
			return NULL;
		}
	}
	hs->refs = 1;
	/* the newest becomes the one to reuse; the previous keeps only its tables' refs */
	if (mf_pol.last_hash != NULL)
		hash_put(mf_pol.last_hash);
	hs->refs++;
	mf_pol.last_hash = hs;
	return hs;
}

static int
table_hash(struct mf_pol_table *t, struct mf_pol **exact, uint32_t n_exact)
{
	struct mf_pol_key k, prev, *keys;
	uint32_t i;

	if (n_exact == 0)
		return 0;
	qsort(exact, n_exact, sizeof(exact[0]), cmp_key);
	t->buckets = calloc(n_exact, sizeof(t->buckets[0]));
	keys = calloc(n_exact, sizeof(keys[0]));
	if (t->buckets == NULL || keys == NULL) {
		free(keys);
		return -ENOMEM;
	}
	for (i = 0; i < n_exact; i++) {
		key_of(exact[i], &k);
		if (i == 0 || memcmp(&k, &prev, sizeof(k)) != 0) {
			t->buckets[t->n_buckets].pol = &exact[i];
			keys[t->n_buckets] = k;
			t->n_buckets++;
		}
		t->buckets[t->n_buckets - 1].n++;
		prev = k;
	}
	t->hs = hash_get(keys, t->n_buckets);
	free(keys);
	if (t->hs == NULL)
		return -ENOMEM;
	t->hash = t->hs->h;
	return 0;
}

/* The policy's destination prefix, if it names one, into the table's list: fragments
 * addressed there are reassembled before classification (reasm.c). svc_unique then sorts
 * and drops repeats (many policies share one service address). */
static void
svc_add(struct mf_pol_table *t, const struct mf_pol *p)
{
	if (p->dst_mask == 0)
		return;
	t->svc[t->n_svc].net = p->dst_net;
	t->svc[t->n_svc].mask = p->dst_mask;
	t->n_svc++;
}

static int
cmp_svc(const void *a, const void *b)
{
	const struct mf_pol_svc *x = a, *y = b;

	if (x->mask != y->mask)
		return x->mask < y->mask ? -1 : 1;
	return x->net < y->net ? -1 : x->net > y->net;
}

static void
svc_unique(struct mf_pol_table *t)
{
	uint32_t i, n = 0;

	qsort(t->svc, t->n_svc, sizeof(t->svc[0]), cmp_svc);
	for (i = 0; i < t->n_svc; i++)
		if (n == 0 || cmp_svc(&t->svc[n - 1], &t->svc[i]) != 0)
			t->svc[n++] = t->svc[i];
	t->n_svc = n;
}

/* Build a table from the store's live (not staged) policies. */
static int
table_build(struct mf_pol_table **out)
{
	struct mf_pol_table *t;
	struct mf_pol **exact;
	uint32_t i, j, n = 0, n_exact = 0;
	int rc;

	*out = NULL;
	for (i = 0; i < mf_pol.n_store; i++)
		n += !mf_pol.store[i]->staged;
	if (n == 0)
		return 0;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->all = calloc(n, sizeof(t->all[0]));
	t->wild = calloc(n, sizeof(t->wild[0]));
	t->svc = calloc(n, sizeof(t->svc[0]));
	if (t->all == NULL || t->wild == NULL || t->svc == NULL) {
		table_free(t);
		return -ENOMEM;
	}
	for (i = 0; i < mf_pol.n_store; i++) {
		struct mf_pol *p = mf_pol.store[i];

		if (p->staged)
			continue;
		p->refs++;
		t->all[t->n++] = p;
		for (j = 0; j < p->n_actions; j++)
			t->has_agg |= p->act[j].ops->type == MF_ACTION_AGGREGATE;
		svc_add(t, p);
	}
	qsort(t->all, t->n, sizeof(t->all[0]), cmp_priority);
	svc_unique(t);
	/* exact ones go to the tail of `wild`'s array, which the buckets then point into */
	exact = t->wild + n;
	for (i = 0; i < t->n; i++) {
		if (t->all[i]->exact)
			*--exact = t->all[i];
		else
			t->wild[t->n_wild++] = t->all[i];
	}
	n_exact = n - t->n_wild;
	rc = table_hash(t, exact, n_exact);
	if (rc < 0) {
		table_free(t);
		return rc;
	}
	t->gen = ++mf_pol.table_gen; /* never reused: a worker's flow memo names it by this */
	*out = t;
	return 0;
}

int
mf_pol_publish(void)
{
	struct mf_pol_table *t, *old;
	int rc;

	if (mf_pol_qsv == NULL) { /* no worker: nothing reads a table */
		mf_pol.dirty = false;
		return 0;
	}
	rc = table_build(&t);
	if (rc < 0)
		return rc;
	old = __atomic_exchange_n(&mf_pol_current, t, __ATOMIC_ACQ_REL);
	mf_pol.dirty = false;
	if (old == NULL)
		return 0;
	old->token = rte_rcu_qsbr_start(mf_pol_qsv);
	old->graces = old->has_agg ? 2 : 1;
	old->next = NULL;
	if (mf_pol.retired_tail != NULL)
		mf_pol.retired_tail->next = old;
	else
		mf_pol.retired_head = old;
	mf_pol.retired_tail = old;
	mf_pol.n_retired++;
	return 0;
}

void
mf_pol_reclaim(void)
{
	struct mf_pol_table *t;

	while ((t = mf_pol.retired_head) != NULL &&
	       rte_rcu_qsbr_check(mf_pol_qsv, t->token, false) == 1) {
		mf_pol.retired_head = t->next;
		if (mf_pol.retired_head == NULL)
			mf_pol.retired_tail = NULL;
		if (--t->graces != 0) {
			/* An aggregate bin may hold one of its policies: a worker flushes it in the
			 * first iteration that sees the new table, which the first grace period
			 * guarantees has begun and the second that it has ended. */
			t->token = rte_rcu_qsbr_start(mf_pol_qsv);
			t->next = NULL;
			if (mf_pol.retired_tail != NULL)
				mf_pol.retired_tail->next = t;
			else
				mf_pol.retired_head = t;
			mf_pol.retired_tail = t;
			continue;
		}
		mf_pol.n_retired--;
		table_free(t);
	}
}
