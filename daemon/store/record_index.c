/* The in-memory record index (see record_index.h). */
#include "record_index.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define HASH_PREFIX "sha256:"
#define HASH_PREFIX_LEN 7
#define HASH_RAW 32

enum { HAS4 = 1, HAS6 = 2, HASLAN4 = 4, HASLAN6 = 8, FROM_CTL = 16 };

struct rindex_entry {
	rindex_entry_t *next;
	uint64_t hash;
	int64_t last_change;
	uint32_t provider;       /* into rindex_t.providers */
	uint8_t flags;
	uint8_t key[HASH_RAW];
	uint8_t ip4[4], lan4[4];
	uint8_t ip6[16], lan6[16];
	char name[];
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int key_to_raw(const char *text, uint8_t raw[HASH_RAW])
{
	if (strncmp(text, HASH_PREFIX, HASH_PREFIX_LEN) != 0 ||
	    strlen(text) != HASH_PREFIX_LEN + 2 * HASH_RAW)
		return -EINVAL;
	for (size_t i = 0; i < HASH_RAW; i++) {
		int hi = hex_value(text[HASH_PREFIX_LEN + 2 * i]);
		int lo = hex_value(text[HASH_PREFIX_LEN + 2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void key_to_text(const uint8_t raw[HASH_RAW], char *out)
{
	static const char hex[] = "0123456789abcdef";
	memcpy(out, HASH_PREFIX, HASH_PREFIX_LEN);
	for (size_t i = 0; i < HASH_RAW; i++) {
		out[HASH_PREFIX_LEN + 2 * i] = hex[raw[i] >> 4];
		out[HASH_PREFIX_LEN + 2 * i + 1] = hex[raw[i] & 15];
	}
	out[HASH_PREFIX_LEN + 2 * HASH_RAW] = '\0';
}

/* "" -> absent; else the canonical text of @p af, which must come back
 * unchanged (what the store holds is canonical). */
static int addr_to_raw(const char *text, int af, uint8_t *raw, uint8_t bit, uint8_t *flags)
{
	*flags &= (uint8_t)~bit;
	if (text == NULL || text[0] == '\0')
		return 0;
	char back[INET6_ADDRSTRLEN];
	if (inet_pton(af, text, raw) != 1 || inet_ntop(af, raw, back, sizeof(back)) == NULL ||
	    strcmp(back, text) != 0)
		return -EINVAL;
	*flags |= bit;
	return 0;
}

static void addr_to_text(int af, const uint8_t *raw, bool has, char *out, size_t size)
{
	if (!has || inet_ntop(af, raw, out, (socklen_t)size) == NULL)
		out[0] = '\0';
}

static rindex_entry_t **rindex_slot(const rindex_t *x, const char *name, uint64_t h)
{
	rindex_entry_t **pp = &x->buckets[h & (x->n_buckets - 1)];
	while (*pp != NULL && ((*pp)->hash != h || strcmp((*pp)->name, name) != 0))
		pp = &(*pp)->next;
	return pp;
}

static rindex_entry_t *rindex_find(const rindex_t *x, const char *name)
{
	if (x->n == 0)
		return NULL;
	return *rindex_slot(x, name, name_hash(name));
}

int rindex_get(const rindex_t *x, const char *name, store_record_t *out)
{
	const rindex_entry_t *e = rindex_find(x, name);
	if (e == NULL)
		return -ENOENT;
	size_t len = strlen(e->name);
	memcpy(out->name, e->name, len + 1);
	const char *prov = x->providers[e->provider];
	size_t plen = strnlen(prov, sizeof(out->provider) - 1);
	memcpy(out->provider, prov, plen);
	out->provider[plen] = '\0';
	key_to_text(e->key, out->key_hash);
	addr_to_text(AF_INET, e->ip4, e->flags & HAS4, out->ipv4, sizeof(out->ipv4));
	addr_to_text(AF_INET6, e->ip6, e->flags & HAS6, out->ipv6, sizeof(out->ipv6));
	addr_to_text(AF_INET, e->lan4, e->flags & HASLAN4, out->lan_ipv4, sizeof(out->lan_ipv4));
	addr_to_text(AF_INET6, e->lan6, e->flags & HASLAN6, out->lan_ipv6,
	             sizeof(out->lan_ipv6));
	out->last_change = e->last_change;
	out->last_seen = 0;
	out->source = e->flags & FROM_CTL ? STORE_SRC_CTL : STORE_SRC_CONFIG;
	return 0;
}

static int rindex_provider(rindex_t *x, const char *name, uint32_t *out)
{
	for (size_t i = 0; i < x->n_providers; i++) {
		if (strcmp(x->providers[i], name) == 0) {
			*out = (uint32_t)i;
			return 0;
		}
	}
	char **p = realloc(x->providers, (x->n_providers + 1) * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	x->providers = p;
	if ((p[x->n_providers] = strdup(name)) == NULL)
		return -ENOMEM;
	*out = (uint32_t)x->n_providers++;
	return 0;
}

static int rindex_grow(rindex_t *x)
{
	size_t nb = x->n_buckets ? x->n_buckets * 2 : 1024;
	rindex_entry_t **b = calloc(nb, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < x->n_buckets; i++) {
		for (rindex_entry_t *e = x->buckets[i], *next; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(x->buckets);
	x->bytes += (nb - x->n_buckets) * sizeof(*b);
	x->buckets = b;
	x->n_buckets = nb;
	return 0;
}

int rindex_put(rindex_t *x, const store_record_t *rec)
{
	size_t len = strnlen(rec->name, sizeof(rec->name) - 1);
	rindex_entry_t *e = calloc(1, sizeof(*e) + len + 1);
	if (e == NULL)
		return -ENOMEM;
	memcpy(e->name, rec->name, len);
	e->hash = name_hash(e->name);
	e->last_change = rec->last_change;
	e->flags = rec->source == STORE_SRC_CTL ? FROM_CTL : 0;
	int err = key_to_raw(rec->key_hash, e->key);
	if (!err)
		err = addr_to_raw(rec->ipv4, AF_INET, e->ip4, HAS4, &e->flags);
	if (!err)
		err = addr_to_raw(rec->ipv6, AF_INET6, e->ip6, HAS6, &e->flags);
	if (!err)
		err = addr_to_raw(rec->lan_ipv4, AF_INET, e->lan4, HASLAN4, &e->flags);
	if (!err)
		err = addr_to_raw(rec->lan_ipv6, AF_INET6, e->lan6, HASLAN6, &e->flags);
	if (!err)
		err = rindex_provider(x, rec->provider, &e->provider);
	if (!err && x->n + 1 > x->n_buckets)
		err = rindex_grow(x);
	if (err) {
		free(e);
		return err;
	}
	rindex_entry_t **pp = rindex_slot(x, e->name, e->hash);
	if (*pp != NULL) { /* replace */
		rindex_entry_t *old = *pp;
		e->next = old->next;
		x->bytes -= sizeof(*old) + strlen(old->name) + 1;
		free(old);
		x->n--;
	}
	*pp = e;
	x->bytes += sizeof(*e) + len + 1;
	x->n++;
	return 0;
}

int rindex_set_addrs(rindex_t *x, const char *name, const char *ipv4, const char *ipv6,
                     int64_t last_change)
{
	rindex_entry_t *e = rindex_find(x, name);
	if (e == NULL)
		return -ENOENT;
	rindex_entry_t t = *e; /* all or nothing */
	if ((ipv4 != NULL && addr_to_raw(ipv4, AF_INET, t.ip4, HAS4, &t.flags) != 0) ||
	    (ipv6 != NULL && addr_to_raw(ipv6, AF_INET6, t.ip6, HAS6, &t.flags) != 0))
		return -EINVAL;
	memcpy(e->ip4, t.ip4, sizeof(e->ip4));
	memcpy(e->ip6, t.ip6, sizeof(e->ip6));
	e->flags = t.flags;
	e->last_change = last_change;
	return 0;
}

void rindex_remove(rindex_t *x, const char *name)
{
	if (x->n == 0)
		return;
	rindex_entry_t **pp = rindex_slot(x, name, name_hash(name));
	rindex_entry_t *e = *pp;
	if (e == NULL)
		return;
	*pp = e->next;
	x->bytes -= sizeof(*e) + strlen(e->name) + 1;
	free(e);
	x->n--;
}

void rindex_clear(rindex_t *x)
{
	for (size_t i = 0; i < x->n_buckets; i++) {
		for (rindex_entry_t *e = x->buckets[i], *next; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	for (size_t i = 0; i < x->n_providers; i++)
		free(x->providers[i]);
	free(x->providers);
	free(x->buckets);
	*x = (rindex_t){ 0 };
}

static int load_cb(const store_record_t *rec, void *arg)
{
	int err = rindex_put(arg, rec);
	if (err == -EINVAL) {
		/* only another writer (the sqlite3 shell) can put such a row */
		log_err(rec->name, "store: record with a malformed key hash or address; "
		        "not served");
		return 0;
	}
	return err;
}

int rindex_load(rindex_t *x, store_t *st)
{
	rindex_t fresh = { 0 };
	int err = store_record_foreach(st, NULL, load_cb, &fresh);
	if (err) {
		rindex_clear(&fresh);
		return err;
	}
	rindex_clear(x);
	*x = fresh;
	return 0;
}
