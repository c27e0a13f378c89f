/**
 * @file update.c
 * @brief builtin_dns: RFC 2136 UPDATE of ACME TXT records (update.h).
 */
#include "update.h"
#include "answer.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most changes one UPDATE may carry (a name and its wildcard: 2). */
#define UPD_MAX_OPS 20
#define ACME_LABEL "\x0f_acme-challenge"

typedef struct upd_op {
	char record[KNOT_DNAME_TXT_MAXLEN + 1];
	ddns_txt_op_t op;
	char value[256];
} upd_op_t;

/* An UPDATE waiting for the host's answers. */
typedef struct upd_req {
	struct upd_req *next;
	dns_upd_t *u;
	dns_upd_reply_cb cb;   /* NULL once forgotten */
	void *arg;
	uint8_t *wire;         /* the query, owned */
	knot_pkt_t *q;         /* parsed over wire */
	dns_tsig_signer_t signer;
	unsigned left;         /* outcomes still to come */
	uint16_t rcode;        /* the worst so far */
	char client[INET6_ADDRSTRLEN];
	char what[160];        /* for the log line */
} upd_req_t;

struct dns_upd {
	const ddns_host_t *host;
	ddns_ctx_t *ctx;
	const dns_upd_grants_t *grants;
	upd_req_t *reqs;
};

#define UPD_LOG(u, level, ...) (u)->host->log((u)->ctx, (level), __VA_ARGS__)

/* ---- grants ---- */

static void lower_strip(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int dns_upd_grants_parse(const char *const *items, size_t n, const dns_tsig_keys_t *keys,
                         dns_upd_grants_t *out, char *err, size_t err_len)
{
	out->n = 0;
	out->v = calloc(n + 1, sizeof(*out->v));
	if (out->v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char *copy = strdup(items[i]), *save = NULL;
		if (copy == NULL) {
			dns_upd_grants_free(out);
			return -ENOMEM;
		}
		dns_upd_grant_t *g = &out->v[out->n++];
		char *tok = strtok_r(copy, " \t", &save);
		knot_dname_storage_t name;
		if (tok != NULL && knot_dname_from_str(name, tok, sizeof(name)) != NULL) {
			knot_dname_to_lower(name);
			g->key = dns_tsig_keys_find(keys, name);
		}
		if (g->key == NULL) {
			snprintf(err, err_len, "\"%s\": no key \"%s\" in tsig_keys (write \"key-name "
			         "record [record ...]\")", items[i], tok != NULL ? tok : "");
			free(copy);
			dns_upd_grants_free(out);
			return -EINVAL;
		}
		while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
			char **v = realloc(g->records, (g->n + 1) * sizeof(*v));
			if (v == NULL || (v[g->n] = strdup(tok)) == NULL) {
				if (v != NULL)
					g->records = v;
				free(copy);
				dns_upd_grants_free(out);
				return -ENOMEM;
			}
			g->records = v;
			lower_strip(v[g->n++]);
		}
		free(copy);
		if (g->n == 0) {
			snprintf(err, err_len, "\"%s\": names no record (write \"key-name record "
			         "[record ...]\")", items[i]);
			dns_upd_grants_free(out);
			return -EINVAL;
		}
	}
	return 0;
}

void dns_upd_grants_free(dns_upd_grants_t *g)
{
	for (size_t i = 0; g->v != NULL && i < g->n; i++) {
		for (size_t k = 0; k < g->v[i].n; k++)
			free(g->v[i].records[k]);
		free(g->v[i].records);
	}
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

static bool granted(const dns_upd_grants_t *g, const knot_tsig_key_t *key, const char *record)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].key == key)
			for (size_t k = 0; k < g->v[i].n; k++)
				if (strcmp(g->v[i].records[k], record) == 0)
					return true;
	return false;
}

/* ---- the receiver ---- */

int dns_upd_new(const ddns_host_t *host, ddns_ctx_t *ctx, const dns_upd_grants_t *grants,
                dns_upd_t **out)
{
	dns_upd_t *u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->host = host;
	u->ctx = ctx;
	u->grants = grants;
	*out = u;
	return 0;
}

static void req_free(upd_req_t *r)
{
	knot_pkt_free(r->q);
	free(r->wire);
	free(r);
}

void dns_upd_free(dns_upd_t *u)
{
	if (u == NULL)
		return;
	/* Requests still waiting for the host: their repliers hear "no
	 * reply" and the requests go.  The host drops the outcomes that
	 * come after the instance is destroyed (host->txt_update()), so
	 * op_done() never sees a freed request. */
	for (upd_req_t *r = u->reqs, *next; r != NULL; r = next) {
		next = r->next;
		if (r->cb != NULL)
			r->cb(NULL, 0, r->arg);
		req_free(r);
	}
	free(u);
}

void dns_upd_forget(dns_upd_t *u, void *arg)
{
	for (upd_req_t *r = u != NULL ? u->reqs : NULL; r != NULL; r = r->next)
		if (r->arg == arg)
			r->cb = NULL;
}

/* The reply: header and zone section of the query, @p rcode, signed. */
static size_t reply(const knot_pkt_t *q, dns_tsig_signer_t *signer, uint16_t rcode,
                    uint8_t *out, size_t max)
{
	knot_pkt_t *r = knot_pkt_new(out, (uint16_t)max, NULL);
	size_t size = 0;
	if (r != NULL && knot_pkt_init_response(r, q) == KNOT_EOK &&
	    knot_pkt_reserve(r, (uint16_t)dns_tsig_room(signer)) == KNOT_EOK) {
		knot_wire_set_rcode(r->wire, (uint8_t)rcode);
		size = r->size;
		if (dns_tsig_sign(signer, r->wire, &size, max) != 0)
			size = 0;
	}
	knot_pkt_free(r);
	return size;
}

/* Worse outcomes win: anything beats NOERROR. */
static void note_rcode(upd_req_t *r, uint16_t rcode)
{
	if (r->rcode == KNOT_RCODE_NOERROR)
		r->rcode = rcode;
}

static void finish(upd_req_t *r)
{
	dns_upd_t *u = r->u;
	for (upd_req_t **pp = &u->reqs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, r->rcode);
	UPD_LOG(u, r->rcode == KNOT_RCODE_NOERROR ? DDNS_LOG_INFO : DDNS_LOG_WARNING,
	        "update from %s: %s: %s", r->client, r->what, l != NULL ? l->name : "?");
	if (r->cb != NULL) {
		uint8_t out[1024];
		size_t len = reply(r->q, &r->signer, r->rcode, out, sizeof(out));
		r->cb(len > 0 ? out : NULL, len, r->arg);
	}
	req_free(r);
}

static void op_done(int result, const char *message, void *arg)
{
	upd_req_t *r = arg;
	if (result != DDNS_OK) {
		note_rcode(r, KNOT_RCODE_SERVFAIL);
		UPD_LOG(r->u, DDNS_LOG_WARNING, "update from %s: %s: %s", r->client, r->what,
		        message);
	}
	if (--r->left == 0)
		finish(r);
}

/* "_acme-challenge.<record>" in zone @p apex: the record, as text. */
static bool acme_record(const knot_dname_t *owner, const knot_dname_t *apex, char *record,
                        size_t len)
{
	if (knot_dname_in_bailiwick(owner, apex) < 1 ||
	    memcmp(owner, ACME_LABEL, sizeof(ACME_LABEL) - 1) != 0)
		return false;
	const knot_dname_t *rest = owner + sizeof(ACME_LABEL) - 1;
	if (knot_dname_in_bailiwick(rest, apex) < 0 || knot_dname_to_str(record, rest, len) == NULL)
		return false;
	lower_strip(record);
	return true;
}

/* One TXT RDATA that is one character-string: its text. */
static bool txt_value(const knot_rdata_t *rd, char *out)
{
	if (rd->len < 2 || rd->data[0] + 1u != rd->len)
		return false;
	memcpy(out, rd->data + 1, rd->data[0]);
	out[rd->data[0]] = '\0';
	return true;
}

/* Turn the update section into @p ops; an rcode when it cannot be done. */
static uint16_t read_ops(const dns_upd_t *u, const knot_pkt_t *q, const knot_dname_t *apex,
                         const knot_tsig_key_t *key, upd_op_t *ops, size_t *n_ops)
{
	const knot_pktsection_t *up = knot_pkt_section(q, KNOT_AUTHORITY);
	*n_ops = 0;
	for (uint16_t i = 0; i < up->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(up, i);
		char record[KNOT_DNAME_TXT_MAXLEN + 1];
		if (knot_dname_in_bailiwick(rr->owner, apex) < 0)
			return KNOT_RCODE_NOTZONE;
		if (!acme_record(rr->owner, apex, record, sizeof(record)) ||
		    !granted(u->grants, key, record))
			return KNOT_RCODE_REFUSED;
		ddns_txt_op_t op;
		if (rr->rclass == KNOT_CLASS_IN && rr->type == KNOT_RRTYPE_TXT)
			op = DDNS_TXT_ADD;
		else if (rr->rclass == KNOT_CLASS_NONE && rr->type == KNOT_RRTYPE_TXT)
			op = DDNS_TXT_REMOVE;
		else if (rr->rclass == KNOT_CLASS_ANY &&
		         (rr->type == KNOT_RRTYPE_TXT || rr->type == KNOT_RRTYPE_ANY))
			op = DDNS_TXT_CLEAR;
		else
			return KNOT_RCODE_REFUSED; /* only the challenge's TXT */
		if (op == DDNS_TXT_CLEAR) {
			if (*n_ops == UPD_MAX_OPS)
				return KNOT_RCODE_REFUSED;
			upd_op_t *o = &ops[(*n_ops)++];
			snprintf(o->record, sizeof(o->record), "%s", record);
			o->op = op;
			o->value[0] = '\0';
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t k = 0; k < rr->rrs.count; k++, rd = knot_rdataset_next(rd)) {
			if (*n_ops == UPD_MAX_OPS)
				return KNOT_RCODE_REFUSED;
			upd_op_t *o = &ops[(*n_ops)++];
			snprintf(o->record, sizeof(o->record), "%s", record);
			o->op = op;
			if (!txt_value(rd, o->value))
				return KNOT_RCODE_FORMERR;
		}
	}
	return KNOT_RCODE_NOERROR;
}

/* The header of @p msg alone, as a response with @p rcode. */
static size_t header_reply(const uint8_t *msg, uint8_t *out, size_t max, uint8_t rcode)
{
	return max >= KNOT_WIRE_HEADER_SIZE ? dns_answer_header_only(msg, out, rcode) : 0;
}

static void client_text(const struct sockaddr *sa, char *out, size_t len)
{
	const void *a = sa->sa_family == AF_INET6
	              ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
	              : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
	if (inet_ntop(sa->sa_family, a, out, (socklen_t)len) == NULL)
		snprintf(out, len, "?");
}

size_t dns_upd_handle(dns_upd_t *u, const dns_db_t *db, const uint8_t *msg, size_t len,
                      const struct sockaddr *client, uint8_t *out, size_t max,
                      dns_upd_reply_cb cb, void *arg)
{
	upd_req_t *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->wire = malloc(len)) == NULL) {
		free(r);
		return header_reply(msg, out, max, KNOT_RCODE_SERVFAIL);
	}
	memcpy(r->wire, msg, len);
	r->u = u;
	r->cb = cb;
	r->arg = arg;
	client_text(client, r->client, sizeof(r->client));
	dns_tsig_signer_init(&r->signer, NULL, NULL);
	size_t ret = 0;
	r->q = knot_pkt_new(r->wire, (uint16_t)len, NULL);
	if (r->q == NULL || knot_pkt_parse(r->q, KNOT_PF_KEEPWIRE) != KNOT_EOK ||
	    knot_wire_get_qdcount(msg) != 1 || knot_pkt_qtype(r->q) != KNOT_RRTYPE_SOA ||
	    knot_pkt_qclass(r->q) != KNOT_CLASS_IN) {
		req_free(r); /* not even a zone to name: the header alone */
		return header_reply(msg, out, max, KNOT_RCODE_FORMERR);
	}
	char zname[KNOT_DNAME_TXT_MAXLEN + 1] = "?";
	knot_dname_to_str(zname, knot_pkt_qname(r->q), sizeof(zname));
	snprintf(r->what, sizeof(r->what), "zone %s", zname);
	const knot_tsig_key_t *key = NULL;
	if (r->q->tsig_rr == NULL) {
		ret = reply(r->q, &r->signer, KNOT_RCODE_REFUSED, out, max);
		UPD_LOG(u, DDNS_LOG_WARNING, "update from %s: %s: unsigned (a key of "
		        "update_keys is needed): REFUSED", r->client, r->what);
		req_free(r);
		return ret;
	}
	uint16_t terr = dns_tsig_check(db->tsig, r->q, &key);
	if (terr != KNOT_RCODE_NOERROR) {
		knot_pkt_t *rp = knot_pkt_new(out, (uint16_t)max, NULL);
		if (rp != NULL && knot_pkt_init_response(rp, r->q) == KNOT_EOK) {
			ret = rp->size;
			if (dns_tsig_error_reply(out, &ret, max, terr, r->q) != 0)
				ret = 0;
		}
		knot_pkt_free(rp);
		const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, terr);
		UPD_LOG(u, DDNS_LOG_WARNING, "update from %s: %s: TSIG %s: NOTAUTH", r->client,
		        r->what, l != NULL ? l->name : "error");
		req_free(r);
		return ret;
	}
	dns_tsig_signer_init(&r->signer, key, r->q);
	const dns_zone_t *z = dns_db_zone_by_apex(db, knot_pkt_qname(r->q));
	upd_op_t ops[UPD_MAX_OPS];
	size_t n_ops = 0;
	uint16_t rcode;
	if (z == NULL)
		rcode = KNOT_RCODE_NOTAUTH;
	else if (knot_wire_get_ancount(msg) != 0)
		rcode = KNOT_RCODE_NOTIMPL; /* prerequisites */
	else
		rcode = read_ops(u, r->q, z->apex, key, ops, &n_ops);
	if (rcode != KNOT_RCODE_NOERROR || n_ops == 0) {
		ret = reply(r->q, &r->signer, rcode, out, max);
		const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
		UPD_LOG(u, rcode ? DDNS_LOG_WARNING : DDNS_LOG_INFO, "update from %s: %s: %s",
		        r->client, r->what, l != NULL ? l->name : "?");
		req_free(r);
		return ret;
	}
	snprintf(r->what, sizeof(r->what), "_acme-challenge.%.100s: %zu change(s)",
	         ops[0].record, n_ops);
	r->left = 1; /* held until every op is sent */
	for (size_t i = 0; i < n_ops; i++) {
		int rc = u->host->txt_update(u->ctx, ops[i].record, ops[i].op,
		                             ops[i].op == DDNS_TXT_CLEAR ? NULL : ops[i].value,
		                             r->client, op_done, r);
		if (rc == 0) {
			r->left++;
			continue;
		}
		note_rcode(r, rc == DDNS_ENOTFOUND || rc == -E2BIG || rc == -EINVAL
		              ? KNOT_RCODE_REFUSED : KNOT_RCODE_SERVFAIL);
		UPD_LOG(u, DDNS_LOG_WARNING, "update from %s: _acme-challenge.%s: %s", r->client,
		        ops[i].record, rc == DDNS_ENOTFOUND ? "no such record" :
		        rc == -E2BIG ? "10 TXT values already" : u->host->strerror(rc));
	}
	if (--r->left > 0) {
		r->next = u->reqs; /* the reply comes with the last outcome */
		u->reqs = r;
		return 0;
	}
	/* Nothing went out: every change was refused at once. */
	ret = reply(r->q, &r->signer, r->rcode, out, max);
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, r->rcode);
	UPD_LOG(u, DDNS_LOG_WARNING, "update from %s: %s: %s", r->client, r->what,
	        l != NULL ? l->name : "?");
	req_free(r);
	return ret;
}
