/**
 * @file rrl.c
 * @brief builtin_dns: response rate limiting, a token bucket per source
 * prefix in a fixed per-thread table.
 */
#include "rrl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 4096 buckets of 32 bytes: 128 KiB per UDP thread. */
#define RRL_BUCKETS 4096

typedef struct rrl_bucket {
	uint8_t key[8];     /* IPv4 /24 or IPv6 /56, zero-padded */
	uint8_t family;
	uint32_t limited;   /* responses limited in a row, for the slip */
	uint64_t tokens;    /* thousandths of a response */
	uint64_t last_ms;
} rrl_bucket_t;

struct dns_rrl {
	dns_rrl_conf_t conf;
	/* Written by the one thread that owns the table, read by the loop for
	 * /metrics: relaxed atomics, a plain load and store on the hot path. */
	_Atomic uint64_t dropped, slipped;
	rrl_bucket_t b[RRL_BUCKETS];
};

/* One writer: no read-modify-write instruction needed. */
static void bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
}

int dns_rrl_new(const dns_rrl_conf_t *conf, dns_rrl_t **out)
{
	*out = NULL;
	if (conf->rate == 0)
		return 0;
	dns_rrl_t *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->conf = *conf;
	*out = r;
	return 0;
}

void dns_rrl_free(dns_rrl_t *r)
{
	free(r);
}

static bool cidr_match(const dns_cidr_t *c, int family, const uint8_t *a)
{
	if (c->family != family)
		return false;
	unsigned full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(c->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (a[full] & mask);
}

int dns_rrl_check(dns_rrl_t *r, const struct sockaddr *peer, uint64_t now_ms)
{
	if (r == NULL)
		return DNS_RRL_PASS;
	const uint8_t *a;
	uint8_t key[8] = { 0 };
	if (peer->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
		memcpy(key, a, 3);
	} else if (peer->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
		memcpy(key, a, 7);
	} else {
		return DNS_RRL_PASS;
	}
	for (size_t i = 0; i < r->conf.n_exempt; i++)
		if (cidr_match(&r->conf.exempt[i], peer->sa_family, a))
			return DNS_RRL_PASS;
	/* FNV-1a over the prefix: cheap, and spreads /24s that differ in
	 * their last byte. */
	uint32_t h = 2166136261u ^ (uint32_t)peer->sa_family;
	for (int i = 0; i < 8; i++)
		h = (h ^ key[i]) * 16777619u;
	rrl_bucket_t *b = &r->b[h % RRL_BUCKETS];
	uint64_t full = (uint64_t)r->conf.rate * 1000;
	if (b->family != peer->sa_family || memcmp(b->key, key, sizeof(key)) != 0) {
		memcpy(b->key, key, sizeof(key));
		b->family = (uint8_t)peer->sa_family;
		b->tokens = full;
		b->limited = 0;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		/* rate responses a second: rate thousandths a millisecond. */
		uint64_t add = (now_ms - b->last_ms) * r->conf.rate;
		b->tokens = b->tokens + add > full ? full : b->tokens + add;
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1000) {
		b->tokens -= 1000;
		b->limited = 0;
		return DNS_RRL_PASS;
	}
	b->limited++;
	if (r->conf.slip != 0 && b->limited % r->conf.slip == 0) {
		bump(&r->slipped);
		return DNS_RRL_SLIP;
	}
	bump(&r->dropped);
	return DNS_RRL_DROP;
}

void dns_rrl_counts(const dns_rrl_t *r, uint64_t *dropped, uint64_t *slipped)
{
	*dropped = r ? atomic_load_explicit(&r->dropped, memory_order_relaxed) : 0;
	*slipped = r ? atomic_load_explicit(&r->slipped, memory_order_relaxed) : 0;
}

int dns_cidr_parse(const char *text, dns_cidr_t *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(c, 0, sizeof(*c));
	unsigned max;
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	c->bits = max;
	if (slash) {
		char *end;
		unsigned long bits = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || bits > max)
			return -EINVAL;
		c->bits = (unsigned)bits;
	}
	return 0;
}
