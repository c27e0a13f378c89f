/*
 * Building and checking one RFC 2136 UPDATE with libknot (the calls
 * knsupdate makes: knot_pkt_put_question for the ZONE section, the update
 * RRs in the AUTHORITY section, knot_tsig_sign last).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rfc2136.h"

int r2_name_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (z == 0 || n < z)
		return 0;
	if (strcasecmp(name + n - z, zone) != 0)
		return 0;
	return n == z || name[n - z - 1] == '.';
}

/* One RRset an UPDATE replaces: its type and its new records (none:
 * the RRset is only deleted). */
typedef struct r2_set {
	uint16_t type;
	const uint8_t *rdata[R2_TXT_MAX];
	uint16_t len[R2_TXT_MAX];
	size_t n;
} r2_set_t;

/* Put "delete RRset (class ANY)" and, when it has records, "add RRs
 * (class IN)" for one set. */
static int put_replace(knot_pkt_t *q, const knot_dname_t *owner, const r2_set_t *set,
                       uint32_t ttl, knot_rrset_t **keep)
{
	/* The packet points into the rrsets until it is freed: the caller
	 * frees them (keep[0], keep[1]) after knot_pkt_free. */
	knot_rrset_t *del = keep[0] = knot_rrset_new(owner, set->type, KNOT_CLASS_ANY, 0, NULL);
	knot_rrset_t *add = keep[1] = knot_rrset_new(owner, set->type, KNOT_CLASS_IN, ttl, NULL);
	int rc;

	if (del == NULL || add == NULL)
		return KNOT_ENOMEM;
	/* "Empty RDATA" is an rdata of length 0, as knsupdate writes it. */
	if ((rc = knot_rrset_add_rdata(del, NULL, 0, NULL)) != KNOT_EOK)
		return rc;
	for (size_t i = 0; i < set->n; i++)
		if ((rc = knot_rrset_add_rdata(add, set->rdata[i], set->len[i], NULL)) != KNOT_EOK)
			return rc;
	if ((rc = knot_pkt_put(q, KNOT_COMPR_HINT_NONE, del, 0)) != KNOT_EOK)
		return rc;
	return set->n == 0 ? KNOT_EOK : knot_pkt_put(q, KNOT_COMPR_HINT_NONE, add, 0);
}

/* The UPDATE of @p zone replacing @p n_sets RRsets of @p name, signed. */
static int build_update(r2_msg_t *m, uint16_t id, const char *zone, const char *name,
                        const r2_set_t *sets, size_t n_sets, uint32_t ttl,
                        const knot_tsig_key_t *key, char *err, size_t errlen)
{
	knot_dname_t *zd = NULL, *nd = NULL;
	knot_pkt_t *q = NULL;
	knot_rrset_t *keep[4] = { NULL };
	int rc = DDNS_EPROVIDER, krc = KNOT_EOK;

	if (!r2_name_in_zone(name, zone)) {
		snprintf(err, errlen, "%s is not in zone %s", name, zone);
		return DDNS_ENOTFOUND;
	}
	zd = knot_dname_from_str_alloc(zone);
	nd = knot_dname_from_str_alloc(name);
	q = knot_pkt_new(m->wire, R2_MSG_MAX, NULL);
	if (zd == NULL || nd == NULL || q == NULL) {
		snprintf(err, errlen, "cannot build the UPDATE for %s", name);
		rc = zd == NULL || nd == NULL ? -EINVAL : -ENOMEM;
		goto out;
	}
	knot_dname_to_lower(zd);
	knot_dname_to_lower(nd);
	knot_wire_set_id(q->wire, id);
	knot_wire_set_opcode(q->wire, KNOT_OPCODE_UPDATE);
	if (knot_pkt_put_question(q, zd, KNOT_CLASS_IN, KNOT_RRTYPE_SOA) != KNOT_EOK ||
	    knot_pkt_begin(q, KNOT_ANSWER) != KNOT_EOK ||      /* no prerequisites */
	    knot_pkt_begin(q, KNOT_AUTHORITY) != KNOT_EOK ||   /* the updates */
	    knot_pkt_reserve(q, knot_tsig_wire_size(key)) != KNOT_EOK)
		krc = KNOT_ENOMEM;
	for (size_t i = 0; krc == KNOT_EOK && i < n_sets && i < 2; i++)
		krc = put_replace(q, nd, &sets[i], ttl, keep + 2 * i);
	if (krc != KNOT_EOK) {
		snprintf(err, errlen, krc == KNOT_ESPACE ? "the UPDATE for %s does not fit in %u bytes"
		                                         : "cannot build the UPDATE for %s",
		         name, R2_MSG_MAX);
		rc = krc == KNOT_ESPACE ? -E2BIG : -ENOMEM;
		goto out;
	}
	/* Give back the space reserved for TSIG, then sign into it. */
	q->reserved = 0;
	m->len = q->size;
	m->digest_len = sizeof(m->digest);
	if (knot_tsig_sign(m->wire, &m->len, R2_MSG_MAX, NULL, 0, m->digest,
	                   &m->digest_len, key, 0, 0) != KNOT_EOK) {
		snprintf(err, errlen, "cannot sign the UPDATE for %s with TSIG", name);
		rc = DDNS_ECONFIG;
		goto out;
	}
	rc = 0;
out:
	knot_pkt_free(q);
	for (int i = 0; i < 4; i++)
		knot_rrset_free(keep[i], NULL);
	knot_dname_free(zd, NULL);
	knot_dname_free(nd, NULL);
	return rc;
}

int r2_msg_build(r2_msg_t *m, uint16_t id, const char *zone, const char *name,
                 const char *ipv4, const char *ipv6, uint32_t ttl,
                 const knot_tsig_key_t *key, char *err, size_t errlen)
{
	uint8_t a[4], aaaa[16];
	r2_set_t sets[2];
	size_t n = 0;

	memset(m, 0, sizeof(*m));
	m->id = id;
	m->opcode = KNOT_OPCODE_UPDATE;
	if (ipv4 != NULL && inet_pton(AF_INET, ipv4, a) != 1) {
		snprintf(err, errlen, "not an IPv4 address: %s", ipv4);
		return -EINVAL;
	}
	if (ipv6 != NULL && inet_pton(AF_INET6, ipv6, aaaa) != 1) {
		snprintf(err, errlen, "not an IPv6 address: %s", ipv6);
		return -EINVAL;
	}
	if (ipv4 != NULL)
		sets[n++] = (r2_set_t){ .type = KNOT_RRTYPE_A, .rdata = { a }, .len = { 4 }, .n = 1 };
	if (ipv6 != NULL)
		sets[n++] = (r2_set_t){ .type = KNOT_RRTYPE_AAAA, .rdata = { aaaa }, .len = { 16 },
		                        .n = 1 };
	return build_update(m, id, zone, name, sets, n, ttl, key, err, errlen);
}

int r2_msg_build_txt(r2_msg_t *m, uint16_t id, const char *zone, const char *name,
                     const char *const *values, size_t n, uint32_t ttl,
                     const knot_tsig_key_t *key, char *err, size_t errlen)
{
	/* Each value is one <character-string>: a length byte, then the text. */
	uint8_t rd[R2_TXT_MAX][256];
	r2_set_t set = { .type = KNOT_RRTYPE_TXT, .n = n };

	memset(m, 0, sizeof(*m));
	m->id = id;
	m->opcode = KNOT_OPCODE_UPDATE;
	if (n > R2_TXT_MAX) {
		snprintf(err, errlen, "%zu TXT values for %s: at most %d", n, name, R2_TXT_MAX);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(values[i]);
		if (l > 255) {
			snprintf(err, errlen, "a TXT value for %s is longer than 255 bytes", name);
			return -EINVAL;
		}
		rd[i][0] = (uint8_t)l;
		memcpy(rd[i] + 1, values[i], l);
		set.rdata[i] = rd[i];
		set.len[i] = (uint16_t)(l + 1);
	}
	return build_update(m, id, zone, name, &set, 1, ttl, key, err, errlen);
}

int r2_msg_build_soa(r2_msg_t *m, uint16_t id, const char *name, const knot_tsig_key_t *key,
                     char *err, size_t errlen)
{
	knot_dname_t *nd;
	knot_pkt_t *q = NULL;
	int rc = -ENOMEM;

	memset(m, 0, sizeof(*m));
	m->id = id;
	m->opcode = KNOT_OPCODE_QUERY;
	if ((nd = knot_dname_from_str_alloc(name)) == NULL) {
		snprintf(err, errlen, "%s is not a domain name", name);
		return -EINVAL;
	}
	knot_dname_to_lower(nd);
	if ((q = knot_pkt_new(m->wire, R2_MSG_MAX, NULL)) == NULL)
		goto out;
	knot_wire_set_id(q->wire, id);
	knot_wire_clear_rd(q->wire); /* ask the server itself, not through it */
	if (knot_pkt_put_question(q, nd, KNOT_CLASS_IN, KNOT_RRTYPE_SOA) != KNOT_EOK)
		goto out;
	m->len = q->size;
	m->digest_len = sizeof(m->digest);
	/* Signed like the UPDATE: a server may answer only keyed clients, and
	 * the answer's TSIG then vouches for the zone it names. */
	if (knot_tsig_sign(m->wire, &m->len, R2_MSG_MAX, NULL, 0, m->digest, &m->digest_len, key,
	                   0, 0) != KNOT_EOK) {
		rc = DDNS_ECONFIG;
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		snprintf(err, errlen, "cannot build the SOA query for %s", name);
	knot_pkt_free(q);
	knot_dname_free(nd, NULL);
	return rc;
}

/* The owner of the first SOA in section @p sec of @p r, as text without
 * the trailing dot, into @p out.  Returns 0, or -ENOENT. */
static int soa_owner(const knot_pkt_t *r, knot_section_t sec, char *out, size_t len)
{
	const knot_pktsection_t *s = knot_pkt_section(r, sec);

	for (uint16_t i = 0; i < s->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(s, i);
		if (rr->type != KNOT_RRTYPE_SOA)
			continue;
		if (knot_dname_to_str(out, rr->owner, len) == NULL)
			return -ENOENT;
		size_t n = strlen(out);
		if (n > 1 && out[n - 1] == '.')
			out[n - 1] = '\0';
		for (char *c = out; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		return 0;
	}
	return -ENOENT;
}

/* What a zone lookup's verified answer says. */
static int soa_result(r2_msg_t *m, const knot_pkt_t *r, uint16_t rcode, char *err, size_t errlen)
{
	if (rcode != KNOT_RCODE_NOERROR && rcode != KNOT_RCODE_NXDOMAIN) {
		snprintf(err, errlen, "server answered the SOA query with %s: it serves no zone holding "
		         "the name (set zone = \"...\" if it should)",
		         rcode == KNOT_RCODE_REFUSED ? "REFUSED" : "an error");
		return DDNS_ENOTFOUND;
	}
	if (soa_owner(r, KNOT_ANSWER, m->zone, sizeof(m->zone)) == 0 ||
	    soa_owner(r, KNOT_AUTHORITY, m->zone, sizeof(m->zone)) == 0)
		return 0;
	snprintf(err, errlen, "the server's answer to the SOA query names no zone (is it an "
	         "authoritative server?)");
	return DDNS_ENOTFOUND;
}

static const char *tsig_err_name(uint16_t e)
{
	switch (e) {
	case KNOT_RCODE_BADSIG: return "BADSIG (the server computed another MAC: wrong tsig_secret or tsig_algorithm?)";
	case KNOT_RCODE_BADKEY: return "BADKEY";
	case KNOT_RCODE_BADTIME: return "BADTIME (the clocks differ by more than the 300 s fudge)";
	default: return NULL;
	}
}

int r2_msg_check(r2_msg_t *m, uint8_t *wire, size_t len,
                 const knot_tsig_key_t *key, char *err, size_t errlen)
{
	knot_pkt_t *r;
	uint16_t rcode, terr = 0;
	int rc, trc;

	if (len < KNOT_WIRE_HEADER_SIZE || knot_wire_get_id(wire) != m->id ||
	    !knot_wire_get_qr(wire) || knot_wire_get_opcode(wire) != m->opcode) {
		snprintf(err, errlen, "the server's answer does not match the %s (id, QR or opcode)",
		         m->opcode == KNOT_OPCODE_UPDATE ? "UPDATE" : "SOA query");
		return DDNS_EBADREPLY;
	}
	if (knot_wire_get_tc(wire))
		return 1;
	r = knot_pkt_new(wire, len, NULL);
	if (r == NULL)
		return -ENOMEM;
	if (knot_pkt_parse(r, 0) != KNOT_EOK) {
		snprintf(err, errlen, "the server's answer is malformed");
		rc = DDNS_EBADREPLY;
		goto out;
	}
	rcode = knot_wire_get_rcode(r->wire);
	if (r->tsig_rr != NULL)
		terr = knot_tsig_rdata_error(r->tsig_rr);
	if (tsig_err_name(terr) != NULL) {
		/* Knot answers BADKEY both for an unknown key and for an update
		 * its ACL does not allow (update-type, update-owner). */
		if (terr == KNOT_RCODE_BADKEY)
			snprintf(err, errlen, "server answered NOTAUTH/BADKEY: tsig_key_name unknown to the server, "
			         "or (Knot) the update is not permitted by its ACL");
		else
			snprintf(err, errlen, "server answered NOTAUTH/%s", tsig_err_name(terr));
		rc = DDNS_EAUTH;
		goto out;
	}
	if (r->tsig_rr == NULL) {
		if (rcode == KNOT_RCODE_NOTAUTH) {
			snprintf(err, errlen, "server answered NOTAUTH: it is not authoritative for the zone, "
			         "or the TSIG key was refused");
			rc = DDNS_EAUTH;
		} else {
			snprintf(err, errlen, "server answered %s without a TSIG signature",
			         rcode == KNOT_RCODE_NOERROR ? "NOERROR" : "an error");
			rc = rcode == KNOT_RCODE_NOERROR ? DDNS_EBADREPLY : DDNS_EPROVIDER;
			if (rcode != KNOT_RCODE_NOERROR)
				goto rcode;
		}
		goto out;
	}
	trc = knot_tsig_client_check(r->tsig_rr, r->wire, r->size, m->digest, m->digest_len, key, 0);
	if (trc != KNOT_EOK) {
		snprintf(err, errlen, "the answer's TSIG does not verify (%s)", knot_strerror(trc));
		rc = DDNS_EBADREPLY;
		goto out;
	}
rcode:
	rcode = knot_pkt_ext_rcode(r);
	if (m->opcode == KNOT_OPCODE_QUERY) {
		rc = soa_result(m, r, rcode, err, errlen);
		goto out;
	}
	switch (rcode) {
	case KNOT_RCODE_NOERROR: rc = 0; break;
	case KNOT_RCODE_REFUSED:
		snprintf(err, errlen, "server answered REFUSED: its update policy does not allow this change");
		rc = DDNS_EAUTH; break;
	case KNOT_RCODE_NOTAUTH:
		snprintf(err, errlen, "server answered NOTAUTH: not authoritative for the zone, or (Knot) "
		         "the key is unknown or not permitted");
		rc = DDNS_EAUTH; break;
	case KNOT_RCODE_NOTZONE:
		snprintf(err, errlen, "server answered NOTZONE: the name is not in the zone");
		rc = DDNS_ENOTFOUND; break;
	case KNOT_RCODE_SERVFAIL:
		snprintf(err, errlen, "server answered SERVFAIL");
		rc = DDNS_EPROVIDER; break;
	case KNOT_RCODE_FORMERR:
		snprintf(err, errlen, "server answered FORMERR");
		rc = DDNS_EPROVIDER; break;
	case KNOT_RCODE_NOTIMPL:
		snprintf(err, errlen, "server answered NOTIMP: it does not accept DNS UPDATE");
		rc = DDNS_EPROVIDER; break;
	default:
		snprintf(err, errlen, "server answered RCODE %u", rcode);
		rc = DDNS_EPROVIDER; break;
	}
out:
	knot_pkt_free(r);
	return rc;
}
