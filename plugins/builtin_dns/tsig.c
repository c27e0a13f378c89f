/**
 * @file tsig.c
 * @brief builtin_dns: TSIG keys, checks and signatures (tsig.h).
 */
#include "tsig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "[alg:]name:secret": a secret has no ':' (base64), a name may end in '.'. */
static int key_parse(const char *item, knot_tsig_key_t *key)
{
	const char *last = strrchr(item, ':');
	if (last == NULL || last == item || last[1] == '\0')
		return -EINVAL;
	const char *first = strchr(item, ':');
	char alg[32] = "hmac-sha256", name[KNOT_DNAME_TXT_MAXLEN + 1];
	const char *name_start = item;
	if (first != last) {
		if ((size_t)(first - item) >= sizeof(alg))
			return -EINVAL;
		memcpy(alg, item, (size_t)(first - item));
		alg[first - item] = '\0';
		name_start = first + 1;
	}
	size_t nlen = (size_t)(last - name_start);
	if (nlen == 0 || nlen >= sizeof(name))
		return -EINVAL;
	memcpy(name, name_start, nlen);
	name[nlen] = '\0';
	if (dnssec_tsig_algorithm_from_name(alg) == DNSSEC_TSIG_UNKNOWN)
		return -EINVAL;
	int ret = knot_tsig_key_init(key, alg, name, last + 1);
	if (ret == KNOT_ENOMEM)
		return -ENOMEM;
	if (ret != KNOT_EOK)
		return -EINVAL;
	knot_dname_to_lower(key->name);
	return 0;
}

int dns_tsig_keys_parse(const char *const *items, size_t n, dns_tsig_keys_t *out,
                        char *err, size_t err_len)
{
	out->n = 0;
	out->keys = calloc(n + 1, sizeof(*out->keys));
	if (out->keys == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *colon = strrchr(items[i], ':');
		int shown = colon != NULL ? (int)(colon - items[i]) : (int)strlen(items[i]);
		int ret = key_parse(items[i], &out->keys[out->n]);
		if (ret == -ENOMEM) {
			dns_tsig_keys_free(out);
			return ret;
		}
		if (ret != 0) {
			snprintf(err, err_len, "\"%.*s:...\": not \"[algorithm:]name:base64-secret\" "
			         "(algorithms: hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, "
			         "hmac-sha1, hmac-md5)", shown, items[i]);
			dns_tsig_keys_free(out);
			return -EINVAL;
		}
		out->n++;
		if (dns_tsig_keys_find(out, out->keys[out->n - 1].name) != &out->keys[out->n - 1]) {
			snprintf(err, err_len, "\"%.*s:...\": a key of that name is listed already",
			         shown, items[i]);
			dns_tsig_keys_free(out);
			return -EINVAL;
		}
	}
	return 0;
}

void dns_tsig_keys_free(dns_tsig_keys_t *k)
{
	for (size_t i = 0; i < k->n; i++) {
		if (k->keys[i].secret.data != NULL)
			memset(k->keys[i].secret.data, 0, k->keys[i].secret.size);
		knot_tsig_key_deinit(&k->keys[i]);
	}
	free(k->keys);
	k->keys = NULL;
	k->n = 0;
}

const knot_tsig_key_t *dns_tsig_keys_find(const dns_tsig_keys_t *k, const knot_dname_t *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (knot_dname_is_case_equal(k->keys[i].name, name))
			return &k->keys[i];
	return NULL;
}

uint16_t dns_tsig_check(const dns_tsig_keys_t *keys, const knot_pkt_t *q,
                        const knot_tsig_key_t **key)
{
	*key = NULL;
	const knot_tsig_key_t *k = keys != NULL ? dns_tsig_keys_find(keys, q->tsig_rr->owner) : NULL;
	if (k == NULL)
		return KNOT_RCODE_BADKEY;
	const knot_dname_t *alg = knot_tsig_rdata_alg_name(q->tsig_rr);
	if (alg == NULL || dnssec_tsig_algorithm_from_dname(alg) != k->algorithm)
		return KNOT_RCODE_BADKEY;
	/* The MAC covers the message without its TSIG RR and with ARCOUNT one
	 * less: what knot_pkt_parse() leaves when it strips the RR.  Queries
	 * are parsed with KNOT_PF_KEEPWIRE (their buffer is not ours to
	 * change), so a copy is parsed again, without it: signed queries are
	 * few (secondaries, ACME clients), a malloc each is nothing. */
	uint8_t *copy = malloc(q->size);
	if (copy == NULL)
		return KNOT_RCODE_BADSIG;
	memcpy(copy, q->wire, q->size);
	knot_pkt_t *p = knot_pkt_new(copy, q->size, NULL);
	int ret = KNOT_EMALF;
	if (p != NULL && knot_pkt_parse(p, 0) == KNOT_EOK)
		/* No TSIG in the copy: @p q was parsed without KEEPWIRE, its wire
		 * is stripped already. */
		ret = p->tsig_rr != NULL ? knot_tsig_server_check(p->tsig_rr, p->wire, p->size, k)
		                         : knot_tsig_server_check(q->tsig_rr, q->wire, q->size, k);
	knot_pkt_free(p);
	free(copy);
	switch (ret) {
	case KNOT_EOK:
		*key = k;
		return KNOT_RCODE_NOERROR;
	case KNOT_TSIG_EBADTIME:
		return KNOT_RCODE_BADTIME;
	case KNOT_TSIG_EBADKEY:
		return KNOT_RCODE_BADKEY;
	default:
		return KNOT_RCODE_BADSIG;
	}
}

void dns_tsig_signer_init(dns_tsig_signer_t *s, const knot_tsig_key_t *key,
                          const knot_pkt_t *q)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
	if (key == NULL || q->tsig_rr == NULL)
		return;
	size_t len = knot_tsig_rdata_mac_length(q->tsig_rr);
	if (len > sizeof(s->digest))
		len = sizeof(s->digest);
	memcpy(s->digest, knot_tsig_rdata_mac(q->tsig_rr), len);
	s->digest_len = len;
	s->time_signed = knot_tsig_rdata_time_signed(q->tsig_rr);
}

size_t dns_tsig_room(const dns_tsig_signer_t *s)
{
	return s->key != NULL ? knot_tsig_wire_size(s->key) : 0;
}

int dns_tsig_sign(dns_tsig_signer_t *s, uint8_t *wire, size_t *size, size_t max)
{
	if (s->key == NULL)
		return 0;
	uint8_t digest[64];
	size_t dlen = sizeof(digest);
	int ret;
	if (s->count == 0)
		ret = knot_tsig_sign(wire, size, max, s->digest, s->digest_len, digest, &dlen,
		                     s->key, 0, s->time_signed);
	else
		ret = knot_tsig_sign_next(wire, size, max, s->digest, s->digest_len, digest,
		                          &dlen, s->key, wire, *size);
	if (ret != KNOT_EOK)
		return ret == KNOT_ESPACE ? -ENOSPC : -EINVAL;
	memcpy(s->digest, digest, dlen);
	s->digest_len = dlen;
	s->count++;
	return 0;
}

int dns_tsig_error_reply(uint8_t *wire, size_t *size, size_t max, uint16_t tsig_error,
                         const knot_pkt_t *q)
{
	knot_wire_set_rcode(wire, KNOT_RCODE_NOTAUTH);
	return knot_tsig_add(wire, size, max, tsig_error, q->tsig_rr) == KNOT_EOK ? 0 : -ENOSPC;
}
