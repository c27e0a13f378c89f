/**
 * @file roll.c
 * @brief builtin_dns: key timelines and rollover steps (roll.h).
 */
#include "roll.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phase_names[] = { "none", "publish", "submit" };

const char *dns_roll_phase_name(dns_roll_phase_t p)
{
	return (unsigned)p < 3 ? phase_names[p] : "?";
}

static int phase_of(const char *s, dns_roll_phase_t *p)
{
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(s, phase_names[i]) == 0) {
			*p = (dns_roll_phase_t)i;
			return 0;
		}
	return -EINVAL;
}

static bool is_id(const char *s)
{
	return strlen(s) == DNS_KEY_ID_LEN && strspn(s, "0123456789abcdef") == DNS_KEY_ID_LEN;
}

static int parse_line(const char *line, dns_roll_t *r)
{
	char phase[16], next[64];
	unsigned alg, next_alg;
	int used = 0;
	memset(r, 0, sizeof(*r));
	if (sscanf(line, "%255s %40s %u %" SCNu64 " %15s %" SCNu64 " %63s %u %" SCNu64 "%n",
	           r->zone, r->key, &alg, &r->since, phase, &r->phase_since, next, &next_alg,
	           &r->ds_seen, &used) != 9 || line[used] != '\0')
		return -EINVAL;
	if (!is_id(r->key) || alg > 255 || next_alg > 255 || phase_of(phase, &r->phase) != 0)
		return -EINVAL;
	r->alg = (uint8_t)alg;
	r->next_alg = (uint8_t)next_alg;
	if (r->phase == DNS_ROLL_NONE) {
		if (strcmp(next, "-") != 0)
			return -EINVAL;
	} else {
		if (!is_id(next))
			return -EINVAL;
		memcpy(r->next, next, sizeof(r->next));
	}
	return 0;
}

int dns_rolls_parse(const char *text, dns_rolls_t *out, size_t *bad_line)
{
	out->v = NULL;
	out->n = 0;
	*bad_line = 0;
	if (text == NULL || *text == '\0')
		return 0;
	if (strncmp(text, DNS_ROLL_MAGIC, strlen(DNS_ROLL_MAGIC)) != 0) {
		*bad_line = 1;
		return -EINVAL;
	}
	const char *p = text + strlen(DNS_ROLL_MAGIC);
	for (size_t no = 2; *p != '\0'; no++) {
		const char *end = strchr(p, '\n');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char line[1024];
		dns_roll_t r;
		if (len >= sizeof(line)) {
			*bad_line = no;
			dns_rolls_free(out);
			return -EINVAL;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (end != NULL);
		if (len == 0)
			continue;
		if (parse_line(line, &r) != 0) {
			*bad_line = no;
			dns_rolls_free(out);
			return -EINVAL;
		}
		dns_roll_t *v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (v == NULL) {
			dns_rolls_free(out);
			return -ENOMEM;
		}
		out->v = v;
		v[out->n++] = r;
	}
	return 0;
}

char *dns_rolls_format(const dns_rolls_t *r)
{
	size_t cap = strlen(DNS_ROLL_MAGIC) + r->n * (KNOT_DNAME_TXT_MAXLEN + 200) + 1;
	char *text = malloc(cap);
	if (text == NULL)
		return NULL;
	size_t len = (size_t)snprintf(text, cap, "%s", DNS_ROLL_MAGIC);
	for (size_t i = 0; i < r->n; i++) {
		const dns_roll_t *z = &r->v[i];
		len += (size_t)snprintf(text + len, cap - len,
		                        "%s %s %u %" PRIu64 " %s %" PRIu64 " %s %u %" PRIu64 "\n",
		                        z->zone, z->key, z->alg, z->since,
		                        dns_roll_phase_name(z->phase), z->phase_since,
		                        z->phase == DNS_ROLL_NONE ? "-" : z->next, z->next_alg,
		                        z->ds_seen);
	}
	return text;
}

dns_roll_t *dns_rolls_find(dns_rolls_t *r, const char *zone)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].zone, zone) == 0)
			return &r->v[i];
	return NULL;
}

dns_roll_t *dns_rolls_add(dns_rolls_t *r, const char *zone, const char *id, uint8_t alg,
                          uint64_t now)
{
	dns_roll_t *v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	r->v = v;
	dns_roll_t *z = &v[r->n++];
	memset(z, 0, sizeof(*z));
	snprintf(z->zone, sizeof(z->zone), "%s", zone);
	snprintf(z->key, sizeof(z->key), "%s", id);
	z->alg = alg;
	z->since = now;
	z->phase_since = now;
	return z;
}

void dns_rolls_free(dns_rolls_t *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

dns_roll_action_t dns_roll_due(const dns_roll_t *r, const dns_roll_conf_t *c, uint64_t now,
                               bool roll_asked, uint64_t *next_at)
{
	*next_at = 0;
	switch (r->phase) {
	case DNS_ROLL_NONE:
		if (roll_asked)
			return DNS_ROLL_START;
		if (c->lifetime == 0)
			return DNS_ROLL_WAIT;
		*next_at = r->since + c->lifetime;
		return now >= *next_at ? DNS_ROLL_START : DNS_ROLL_WAIT;
	case DNS_ROLL_PUBLISH:
		/* Ipub (RFC 7583 §3.3.1): every DNSKEY set cached before N was
		 * published has expired. */
		*next_at = r->phase_since + c->dnskey_ttl + c->propagation;
		return now >= *next_at ? DNS_ROLL_TO_SUBMIT : DNS_ROLL_WAIT;
	case DNS_ROLL_SUBMIT:
		if (r->ds_seen == 0)
			return DNS_ROLL_WAIT; /* only the parent's DS moves it on */
		/* Iret: the old DS and K's RRSIGs have left every cache. */
		*next_at = max_u64(r->ds_seen + c->ds_ttl + c->propagation,
		                   r->phase_since + c->max_ttl + c->propagation);
		return now >= *next_at ? DNS_ROLL_FINISH : DNS_ROLL_WAIT;
	}
	return DNS_ROLL_WAIT;
}
