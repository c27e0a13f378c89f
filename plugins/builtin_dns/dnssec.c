/**
 * @file dnssec.c
 * @brief builtin_dns: signed zones at run time, rollovers moved on
 * (dnssec.h).
 */
#include "dnssec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How often requests are looked for, and due steps taken. */
#define TICK_MS 1000

typedef struct signed_zone {
	knot_dname_t *apex; /* lower case, owned */
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	dns_zkey_t *step;   /* owned; the zone of the db points at it */
	bool asked;         /* the parent was asked in this step */
	uint64_t next_ask;  /* when to ask it again */
} signed_zone_t;

struct dns_dnssec {
	const ddns_host_t *host;
	ddns_ctx_t *ctx;
	dns_state_t *st;
	dns_dbref_t *ref;
	dns_keystore_t *ks;
	char dir[4200];     /* the keystore's */
	dns_dnssec_conf_t conf;
	dns_rolls_t rolls;  /* a copy of the state's, parsed */
	signed_zone_t *zones;
	size_t n_zones;
	ddns_timer_t *timer;
};

/* The step @p r is at, built from its keys. */
static int build_step(dns_dnssec_t *d, const signed_zone_t *z, const dns_roll_t *r,
                      dns_zkey_t **out, char *err, size_t err_len)
{
	const dns_key_t *k = NULL, *n = NULL;
	int ret = dns_keystore_get(d->ks, z->apex, r->key, r->alg, &k, err, err_len);
	if (ret == 0 && r->phase != DNS_ROLL_NONE)
		ret = dns_keystore_get(d->ks, z->apex, r->next, r->next_alg, &n, err, err_len);
	if (ret != 0)
		return ret;
	const dns_key_t *both[2] = { k, n };
	uint32_t ttl = (uint32_t)d->conf.roll.dnskey_ttl;
	switch (r->phase) {
	case DNS_ROLL_NONE:
		ret = dns_zkey_new(k, both, 1, both, 1, k, ttl, out);
		break;
	case DNS_ROLL_PUBLISH: /* N signs the DNSKEY set too: a DS of N given early is fine */
		ret = dns_zkey_new(k, both, 2, both, 2, k, ttl, out);
		break;
	case DNS_ROLL_SUBMIT:
		ret = dns_zkey_new(n, both, 2, both, 2, n, ttl, out);
		break;
	}
	if (ret != 0)
		snprintf(err, err_len, "%.255s: cannot publish its keys: %s", z->name,
		         strerror(-ret));
	return ret;
}

/* Swap in zone @p z's step @p step: answering threads see the old or the
 * new one whole. */
static void set_step(dns_dnssec_t *d, signed_zone_t *z, dns_zkey_t *step)
{
	dns_zkey_t *old = z->step;
	pthread_rwlock_wrlock(&d->ref->lock);
	z->step = step;
	dns_zone_t *dz = (dns_zone_t *)dns_db_zone_by_apex(d->ref->db, z->apex);
	if (dz != NULL)
		dz->key = step;
	pthread_rwlock_unlock(&d->ref->lock);
	dns_zkey_free(old);
}

/* Have the timelines written; @p remove: a key file no step names now. */
static void save(dns_dnssec_t *d, const char *remove)
{
	char *text = dns_rolls_format(&d->rolls);
	if (text == NULL || dns_state_set_dnssec(d->st, text, remove) != 0)
		d->host->log(d->ctx, DDNS_LOG_ERR, "dnssec: cannot keep the key timelines: out of "
		             "memory (a restart goes back to the last step kept)");
	free(text);
}

static void log_ds(dns_dnssec_t *d, const signed_zone_t *z, const char *what)
{
	char ds[512] = "";
	/* The data's key is the one CDS names, at every step. */
	dns_key_ds_text(z->step->zsk, ds, sizeof(ds));
	d->host->log(d->ctx, DDNS_LOG_INFO, "dnssec: %s: %s, key tag %u; the parent's DS: %s",
	             z->name, what, z->step->zsk->keytag, ds);
}

/* A request file ddnsctl left for zone @p z: taken (removed) if there. */
static bool take_request(const dns_dnssec_t *d, const signed_zone_t *z, const char *what)
{
	char path[5300];
	snprintf(path, sizeof(path), "%s/%s.%s", d->dir, z->name, what);
	return unlink(path) == 0;
}

/* Zone @p z's requests and due step at @p now; true when its timeline
 * changed.  *@p remove gets a key file to remove. */
static bool move_on(dns_dnssec_t *d, signed_zone_t *z, dns_roll_t *r, uint64_t now,
                    char *remove, size_t remove_len)
{
	bool roll = take_request(d, z, "roll"), changed = false;
	if (take_request(d, z, "ds-seen")) {
		if (r->phase == DNS_ROLL_NONE) {
			d->host->log(d->ctx, DDNS_LOG_WARNING, "dnssec: %s: ds-seen ignored: no "
			             "rollover awaits a new DS", z->name);
		} else {
			r->ds_seen = now;
			changed = true;
			d->host->log(d->ctx, DDNS_LOG_INFO, "dnssec: %s: the parent has the new DS; "
			             "the old key leaves once the old DS is out of caches", z->name);
		}
	}
	if (r->phase == DNS_ROLL_SUBMIT && r->ds_seen == 0 && d->conf.parent != NULL) {
		if (z->asked && dns_pds_seen(d->conf.parent, z->apex)) {
			r->ds_seen = now;
			changed = true;
			d->host->log(d->ctx, DDNS_LOG_INFO, "dnssec: %s: the parent's servers "
			             "(dnssec_parent) all publish the new DS; the old key leaves once "
			             "the old DS is out of caches", z->name);
		} else if (now >= z->next_ask) {
			const knot_rdata_t *cds = z->step->cds.rrs.rdata;
			int ret = dns_pds_ask(d->conf.parent, z->apex, cds->data, cds->len);
			if (ret != 0)
				d->host->log(d->ctx, DDNS_LOG_WARNING, "dnssec: %s: cannot ask the "
				             "parent's servers: %s", z->name, strerror(-ret));
			z->asked = ret == 0;
			z->next_ask = now + d->conf.parent_check_s;
		}
	}
	if (roll && r->phase != DNS_ROLL_NONE) {
		d->host->log(d->ctx, DDNS_LOG_WARNING, "dnssec: %s: roll ignored: a rollover is "
		             "under way (%s since %llu)", z->name, dns_roll_phase_name(r->phase),
		             (unsigned long long)r->phase_since);
		roll = false;
	}
	uint64_t next_at;
	dns_roll_action_t act = dns_roll_due(r, &d->conf.roll, now, roll, &next_at);
	dns_roll_t was = *r;
	char err[512];
	switch (act) {
	case DNS_ROLL_WAIT:
		return changed;
	case DNS_ROLL_START: {
		/* The new key has the old one's algorithm: an algorithm
		 * rollover is not done (doc/dnssec.md). */
		const dns_key_t *n = NULL;
		int ret = 0;
		/* A new key with the old one's tag is made again: validators
		 * would have to try both, and the signature caches key on it. */
		for (int tries = 0; ret == 0 && tries < 8; tries++) {
			if ((ret = dns_keystore_make(d->ks, z->apex, r->alg, &n, err, sizeof(err))))
				break;
			if (n->keytag != z->step->zsk->keytag)
				break;
			char path[4400];
			dns_keystore_path(d->ks, n->id, path, sizeof(path));
			unlink(path);
			n = NULL;
		}
		if (ret != 0 || n == NULL) {
			d->host->log(d->ctx, DDNS_LOG_ERR, "dnssec: %s: rollover not started: %s",
			             z->name, ret != 0 ? err : "no key with a new tag");
			return changed;
		}
		snprintf(r->next, sizeof(r->next), "%s", n->id);
		r->next_alg = n->algorithm;
		r->phase = DNS_ROLL_PUBLISH;
		r->ds_seen = 0;
		break;
	}
	case DNS_ROLL_TO_SUBMIT:
		r->phase = DNS_ROLL_SUBMIT;
		break;
	case DNS_ROLL_FINISH:
		dns_keystore_path(d->ks, r->key, remove, remove_len);
		memcpy(r->key, r->next, sizeof(r->key));
		r->alg = r->next_alg;
		r->since = now;
		r->phase = DNS_ROLL_NONE;
		r->next[0] = '\0';
		r->next_alg = 0;
		r->ds_seen = 0;
		break;
	}
	r->phase_since = now;
	dns_zkey_t *step = NULL;
	if (build_step(d, z, r, &step, err, sizeof(err)) != 0) {
		d->host->log(d->ctx, DDNS_LOG_ERR, "dnssec: %s: rollover held at %s: %s", z->name,
		             dns_roll_phase_name(was.phase), err);
		*r = was;
		remove[0] = '\0';
		return changed;
	}
	set_step(d, z, step);
	if (d->conf.on_step != NULL)
		d->conf.on_step(d->conf.on_step_arg, z->apex);
	z->asked = false; /* a round of an earlier step says nothing of this one */
	z->next_ask = 0;
	if (act == DNS_ROLL_START)
		d->host->log(d->ctx, DDNS_LOG_INFO, "dnssec: %s: rollover started (%s): key tag "
		             "%u published beside key tag %u", z->name, roll ? "asked" : "key lifetime",
		             step->ksk[1]->keytag, step->zsk->keytag);
	else if (act == DNS_ROLL_TO_SUBMIT)
		log_ds(d, z, "rollover: the new key signs now; give the parent its DS, then run "
		       "`ddnsctl dnssec ZONE ds-seen`");
	else
		log_ds(d, z, "rollover done: the old key is gone");
	return true;
}

static void tick(void *arg)
{
	dns_dnssec_t *d = arg;
	d->timer = NULL;
	char err[512];
	dns_state_take_error(d->st, err, sizeof(err));
	if (err[0] != '\0')
		d->host->log(d->ctx, DDNS_LOG_ERR, "dnssec: %s", err);
	/* A reload's other instance shares the timelines: the newer one moves
	 * them on once the older is gone. */
	if (!dns_state_shared(d->st)) {
		uint64_t now = (uint64_t)time(NULL);
		for (size_t i = 0; i < d->n_zones; i++) {
			dns_roll_t *r = dns_rolls_find(&d->rolls, d->zones[i].name);
			char rm[4400] = "";
			/* Saves in one tick coalesce; their removals add up. */
			if (r != NULL && move_on(d, &d->zones[i], r, now, rm, sizeof(rm)))
				save(d, rm[0] != '\0' ? rm : NULL);
		}
	}
	if (d->host->timer_start(d->ctx, TICK_MS, tick, d, &d->timer) != 0)
		d->host->log(d->ctx, DDNS_LOG_ERR, "dnssec: cannot start a timer: rollovers "
		             "stop until a reload");
}

/* A zone signed before timelines existed: its key is named by
 * "<zone>.csk" ("<id> <algorithm>"). */
static int legacy_key(const dns_dnssec_t *d, const char *zone, char *id, uint8_t *alg)
{
	char path[5300], buf[128] = "";
	snprintf(path, sizeof(path), "%s/%s.csk", d->dir, zone);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	unsigned a = 0;
	int ret = fgets(buf, sizeof(buf), f) != NULL &&
	          sscanf(buf, "%40s %u", id, &a) == 2 && a < 256 ? 0 : -EINVAL;
	fclose(f);
	*alg = (uint8_t)a;
	return ret;
}

/* Zone @p z's timeline: the stored one, else one for its first key. */
static int zone_timeline(dns_dnssec_t *d, signed_zone_t *z, bool *added, char *err,
                         size_t err_len)
{
	if (dns_rolls_find(&d->rolls, z->name) != NULL)
		return 0;
	char id[DNS_KEY_ID_LEN + 1] = "";
	uint8_t alg = 0;
	int ret = legacy_key(d, z->name, id, &alg);
	if (ret == -ENOENT) {
		const dns_key_t *k = NULL;
		if ((ret = dns_keystore_make(d->ks, z->apex, d->conf.algorithm, &k, err, err_len)))
			return ret;
		snprintf(id, sizeof(id), "%s", k->id);
		alg = k->algorithm;
	} else if (ret != 0) {
		snprintf(err, err_len, "%.200s/%.255s.csk: not \"<key id> <algorithm>\"", d->dir,
		         z->name);
		return ret;
	}
	if (dns_rolls_add(&d->rolls, z->name, id, alg, (uint64_t)time(NULL)) == NULL)
		return -ENOMEM;
	*added = true;
	return 0;
}

int dns_dnssec_start(const ddns_host_t *host, ddns_ctx_t *ctx, dns_state_t *st,
                     const char *state_dir, const dns_dnssec_conf_t *conf, dns_dbref_t *ref,
                     dns_dnssec_t **out)
{
	dns_dnssec_t *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		dns_pds_free(conf->parent);
		return -ENOMEM;
	}
	d->host = host;
	d->ctx = ctx;
	d->st = st;
	d->ref = ref;
	d->conf = *conf;
	snprintf(d->dir, sizeof(d->dir), "%s/keys", state_dir);
	char err[512] = "";
	size_t bad_line = 0;
	dns_db_t *db = ref->db;
	int ret = dns_keystore_open(d->dir, &d->ks, err, sizeof(err));
	if (ret == 0 && (ret = dns_rolls_parse(dns_state_dnssec(st), &d->rolls, &bad_line)) != 0)
		snprintf(err, sizeof(err), "%s/dnssec: line %zu is not a key timeline of this "
		         "version (restore it from a backup; doc/dnssec.md)", state_dir, bad_line);
	if (ret == 0 && (d->zones = calloc(db->n_zones + 1, sizeof(*d->zones))) == NULL)
		ret = -ENOMEM;
	bool added = false;
	for (size_t i = 0; ret == 0 && i < db->n_zones; i++) {
		signed_zone_t *z = &d->zones[i];
		if ((z->apex = knot_dname_copy(db->zones[i].apex, NULL)) == NULL) {
			ret = -ENOMEM;
			break;
		}
		d->n_zones = i + 1;
		dns_name_text(z->apex, z->name, sizeof(z->name));
		if ((ret = zone_timeline(d, z, &added, err, sizeof(err))) == 0)
			ret = build_step(d, z, dns_rolls_find(&d->rolls, z->name), &z->step, err,
			                 sizeof(err));
		if (ret == 0) {
			db->zones[i].key = z->step;
			const dns_roll_t *r = dns_rolls_find(&d->rolls, z->name);
			log_ds(d, z, r->phase == DNS_ROLL_NONE ? "signing" : r->phase == DNS_ROLL_PUBLISH
			       ? "signing, rollover publishing a new key"
			       : "signing, rollover awaiting the parent's new DS");
		}
	}
	if (ret == 0 && added)
		save(d, NULL);
	if (ret == 0 && (ret = host->timer_start(ctx, TICK_MS, tick, d, &d->timer)) != 0)
		snprintf(err, sizeof(err), "cannot start a timer");
	if (ret != 0) {
		host->log(ctx, DDNS_LOG_ERR, "dnssec: %s", err[0] ? err : strerror(-ret));
		for (size_t i = 0; i < db->n_zones; i++)
			db->zones[i].key = NULL;
		dns_dnssec_free(d);
		return ret;
	}
	*out = d;
	return 0;
}

const dns_zkey_t *dns_dnssec_zone(const dns_dnssec_t *d, const knot_dname_t *apex)
{
	for (size_t i = 0; d != NULL && i < d->n_zones; i++)
		if (knot_dname_is_equal(d->zones[i].apex, apex))
			return d->zones[i].step;
	return NULL;
}

void dns_dnssec_free(dns_dnssec_t *d)
{
	if (d == NULL)
		return;
	if (d->timer != NULL)
		d->host->timer_stop(d->timer);
	for (size_t i = 0; i < d->n_zones; i++) {
		dns_zkey_free(d->zones[i].step);
		free(d->zones[i].apex);
	}
	free(d->zones);
	dns_rolls_free(&d->rolls);
	dns_keystore_close(d->ks);
	dns_pds_free(d->conf.parent);
	free(d);
}
