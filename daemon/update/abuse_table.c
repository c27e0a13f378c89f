/* The bounded, keyed hash table behind abuse.c: see abuse_table.h.
 *
 * Keys come from the network (source addresses, names in requests), so the
 * bucket index is an HMAC under a random per-table key: nobody can choose
 * addresses that all land in one chain.  The table grows by doubling and
 * never holds more than `cap` entries, so memory stays bounded whatever a
 * flood of sources does. */
#include "abuse_table.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#define ABUSE_TABLE_MIN_BUCKETS 64

int abuse_table_init(abuse_table_t *t, size_t cap)
{
	t->buckets = calloc(ABUSE_TABLE_MIN_BUCKETS, sizeof(*t->buckets));
	if (t->buckets == NULL)
		return -ENOMEM;
	t->n_buckets = ABUSE_TABLE_MIN_BUCKETS;
	t->count = 0;
	t->cap = cap > 0 ? cap : 1;
	t->oldest = t->newest = NULL;
	if (gnutls_rnd(GNUTLS_RND_NONCE, t->hash_key, sizeof(t->hash_key)) < 0) {
		free(t->buckets);
		t->buckets = NULL;
		return -EIO;
	}
	return 0;
}

void abuse_table_clear(abuse_table_t *t)
{
	abuse_entry_t *e = t->oldest;
	while (e != NULL) {
		abuse_entry_t *next = e->newer;
		free(e);
		e = next;
	}
	free(t->buckets);
	t->buckets = NULL;
	t->n_buckets = t->count = 0;
	t->oldest = t->newest = NULL;
}

static uint64_t table_hash(const abuse_table_t *t, const void *key, size_t len)
{
	unsigned char mac[32];
	uint64_t h = 0;
	/* HMAC-SHA256 with a fixed key cannot fail; a zero hash would only
	 * make the chains longer, never wrong. */
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, t->hash_key, sizeof(t->hash_key),
	                     key, len, mac) == 0)
		memcpy(&h, mac, sizeof(h));
	return h;
}

static abuse_entry_t **table_slot(const abuse_table_t *t, uint64_t hash)
{
	return &t->buckets[hash & (t->n_buckets - 1)];
}

abuse_entry_t *abuse_table_find(abuse_table_t *t, const void *key, size_t len)
{
	uint64_t hash = table_hash(t, key, len);
	for (abuse_entry_t *e = *table_slot(t, hash); e != NULL; e = e->chain)
		if (e->hash == hash && e->key_len == len && memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

static void age_unlink(abuse_table_t *t, abuse_entry_t *e)
{
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	e->older = e->newer = NULL;
}

static void age_append(abuse_table_t *t, abuse_entry_t *e)
{
	e->older = t->newest;
	e->newer = NULL;
	if (t->newest != NULL)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
}

void abuse_table_touch(abuse_table_t *t, abuse_entry_t *e)
{
	if (t->newest == e)
		return;
	age_unlink(t, e);
	age_append(t, e);
}

void abuse_table_remove(abuse_table_t *t, abuse_entry_t *e)
{
	abuse_entry_t **pp = table_slot(t, e->hash);
	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	age_unlink(t, e);
	t->count--;
	free(e);
}

/* Double the buckets while the chains average more than one entry.  A
 * failed allocation only keeps the chains longer. */
static void table_grow(abuse_table_t *t)
{
	if (t->count < t->n_buckets)
		return;
	size_t n = t->n_buckets * 2;
	abuse_entry_t **b = calloc(n, sizeof(*b));
	if (b == NULL)
		return;
	for (abuse_entry_t *e = t->oldest; e != NULL; e = e->newer) {
		e->chain = b[e->hash & (n - 1)];
		b[e->hash & (n - 1)] = e;
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
}

abuse_entry_t *abuse_table_get(abuse_table_t *t, const void *key, size_t len)
{
	if (len > ABUSE_KEY_MAX)
		return NULL;
	abuse_entry_t *e = abuse_table_find(t, key, len);
	if (e != NULL)
		return e;
	if (t->count >= t->cap && t->oldest != NULL)
		abuse_table_remove(t, t->oldest);
	e = calloc(1, sizeof(*e) + len);
	if (e == NULL)
		return NULL;
	e->hash = table_hash(t, key, len);
	e->key_len = len;
	memcpy(e->key, key, len);
	abuse_entry_t **slot = table_slot(t, e->hash);
	e->chain = *slot;
	*slot = e;
	age_append(t, e);
	t->count++;
	table_grow(t);
	return e;
}
