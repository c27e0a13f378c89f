/**
 * @file plugin.c
 * @brief builtin_dns.so: the descriptor, its options, and the hooks that
 * keep the in-memory zones current (create, update, records_changed,
 * destroy).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ddns/plugin.h>
#include "diff.h"
#include "dnssec.h"
#include "keys.h"
#include "notify.h"
#include "server.h"
#include "state.h"
#include "tsig.h"
#include "txt.h"
#include "update.h"
#include "xfr.h"
#include "xsign.h"
#include "zone.h"

/* Serials and the journal reach the disk at most this often. */
#define STATE_SAVE_MS 1000

typedef struct builtin_dns {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	dns_db_conf_t conf;
	const char **zones, **ns, **listen;
	size_t n_zones, n_ns, n_listen;
	dns_dbref_t ref;
	dns_server_t *server;
	dns_cidr_t *exempt;     /* rrl_exempt, parsed */
	size_t n_exempt;
	dns_tsig_keys_t keys;   /* tsig_keys */
	dns_secondary_t *sec;   /* secondaries */
	size_t n_sec;
	dns_state_t *state;     /* serials and journal on disk, or NULL */
	dns_journal_t *journal; /* the state's, or own without a state dir */
	dns_journal_t *own_journal;
	dns_xfr_t *xfr;
	dns_notify_t *notify;   /* NULL without secondaries */
	dns_upd_grants_t grants; /* update_keys */
	dns_upd_t *upd;         /* NULL without update_keys */
	dns_dnssec_t *dnssec;   /* dnssec = true: keys and rollovers, else NULL */
	dns_xsign_t *xsign;     /* dnssec with secondaries: the zones they get, signed */
	ddns_timer_t *resign_timer; /* the next look at their signatures */
	ddns_timer_t *warm_timer;   /* a look at signing threads */
	ddns_timer_t *save_timer; /* a save is due */
} builtin_dns_t;

static const ddns_option_t options[] = {
	{ .name = "listen", .type = DDNS_OPT_LIST, .flags = DDNS_OPT_REQUIRED,
	  .help = "addresses to answer on, UDP and TCP: \"0.0.0.0:53\", \"[::]:53\" (port 53 by default)" },
	{ .name = "zone", .type = DDNS_OPT_LIST, .flags = DDNS_OPT_REQUIRED,
	  .help = "zones served with authority, e.g. \"dyn.example.com\"" },
	{ .name = "ttl", .type = DDNS_OPT_INT, .help = "TTL of A/AAAA answers in seconds",
	  .min = 0, .max = INT32_MAX, .def = "1" },
	{ .name = "ns", .type = DDNS_OPT_LIST,
	  .help = "apex NS names; one inside a zone carries its glue: \"ns1.dyn.example.com=192.0.2.53,2001:db8::53\"" },
	{ .name = "soa_contact", .type = DDNS_OPT_STRING,
	  .help = "SOA mailbox, \"hostmaster@example.com\" (default hostmaster.<zone>)" },
	{ .name = "soa_refresh", .type = DDNS_OPT_INT, .help = "SOA refresh in seconds",
	  .min = 1, .max = INT32_MAX, .def = "3600" },
	{ .name = "soa_retry", .type = DDNS_OPT_INT, .help = "SOA retry in seconds",
	  .min = 1, .max = INT32_MAX, .def = "600" },
	{ .name = "soa_expire", .type = DDNS_OPT_INT, .help = "SOA expire in seconds",
	  .min = 1, .max = INT32_MAX, .def = "604800" },
	{ .name = "soa_minimum", .type = DDNS_OPT_INT,
	  .help = "negative-answer TTL in seconds (default: ttl)", .min = 0, .max = INT32_MAX },
	{ .name = "ns_ttl", .type = DDNS_OPT_INT, .help = "TTL of SOA, NS and glue in seconds",
	  .min = 0, .max = INT32_MAX, .def = "3600" },
	{ .name = "tcp_clients", .type = DDNS_OPT_INT, .help = "most TCP connections at once",
	  .min = 1, .max = 100000, .def = "128" },
	{ .name = "tcp_idle_timeout_ms", .type = DDNS_OPT_INT, .help = "close a silent TCP connection after this",
	  .min = 100, .max = 3600000, .def = "10000" },
	{ .name = "tcp_max_per_source", .type = DDNS_OPT_INT,
	  .help = "most TCP connections from one IPv4 address or IPv6 /64",
	  .min = 1, .max = 100000, .def = "16" },
	{ .name = "tcp_query_timeout_ms", .type = DDNS_OPT_INT,
	  .help = "close a TCP connection whose query does not arrive whole (or whose answer is not read) within this",
	  .min = 100, .max = 3600000, .def = "5000" },
	{ .name = "rrl_rate", .type = DDNS_OPT_INT,
	  .help = "UDP responses per second to one IPv4 /24 or IPv6 /56 (0: no rate limit)",
	  .min = 0, .max = 1000000, .def = "0" },
	{ .name = "rrl_slip", .type = DDNS_OPT_INT,
	  .help = "past rrl_rate, every Nth response is sent truncated (TC=1), the others dropped (0: all dropped)",
	  .min = 0, .max = 100, .def = "2" },
	{ .name = "rrl_exempt", .type = DDNS_OPT_LIST,
	  .help = "sources never rate-limited: \"192.0.2.0/24\", \"2001:db8::/48\"" },
	{ .name = "tsig_keys", .type = DDNS_OPT_LIST, .flags = DDNS_OPT_SECRET,
	  .help = "TSIG keys, \"[algorithm:]name:base64-secret\" (hmac-sha256 by default), "
	          "for secondaries and signed queries" },
	{ .name = "secondaries", .type = DDNS_OPT_LIST,
	  .help = "secondaries sent NOTIFY and allowed AXFR/IXFR: \"192.0.2.7[:53] key-name\"" },
	{ .name = "update_keys", .type = DDNS_OPT_LIST,
	  .help = "RFC 2136 UPDATE of ACME TXT (certbot, lego, acme.sh): \"key-name record "
	          "[record ...]\", a key of tsig_keys and the records whose _acme-challenge "
	          "it may set" },
	{ .name = "dnssec", .type = DDNS_OPT_BOOL, .def = "false",
	  .help = "sign the zones (DNSSEC, online, compact denial): answers with DO get RRSIGs" },
	{ .name = "dnssec_algorithm", .type = DDNS_OPT_STRING, .def = "ecdsap256sha256",
	  .help = "the key algorithm of a new key: \"ecdsap256sha256\" (13) or \"ed25519\" (15)" },
	{ .name = "dnssec_key_lifetime_s", .type = DDNS_OPT_INT, .def = "0",
	  .help = "roll a zone's key (CSK) once it is this old, in seconds, e.g. 31536000 "
	          "for a year; each rollover waits for the parent's new DS (0: only on "
	          "command, `ddnsctl dnssec ZONE roll`)", .min = 0, .max = INT32_MAX },
	{ .name = "dnssec_ds_ttl", .type = DDNS_OPT_INT, .def = "86400",
	  .help = "the TTL of the zone's DS at the parent: how long an old DS may stay "
	          "in caches once the parent has the new one", .min = 0, .max = INT32_MAX },
	{ .name = "dnssec_parent", .type = DDNS_OPT_LIST,
	  .help = "the parent zone's servers, \"192.0.2.1\" or \"[2001:db8::1]:53\": asked for "
	          "the new DS during a rollover, which moves on once they all publish it "
	          "(else `ddnsctl dnssec ZONE ds-seen` says so)" },
	{ .name = "dnssec_parent_check_s", .type = DDNS_OPT_INT, .def = "600",
	  .help = "how often dnssec_parent is asked, in seconds", .min = 1, .max = 86400 },
	{ .name = "dnssec_propagation_s", .type = DDNS_OPT_INT, .def = "3600",
	  .help = "margin for a change to reach every cache and server, added to each "
	          "rollover wait", .min = 0, .max = INT32_MAX },
	{ .name = "dnssec_resign_check_s", .type = DDNS_OPT_INT, .def = "3600",
	  .help = "with secondaries: how often the signatures of the zone they get are "
	          "renewed (those whose weekly window moved), in seconds",
	  .min = 1, .max = 86400 },
	{ .name = "journal_size", .type = DDNS_OPT_INT,
	  .help = "changes kept per zone for IXFR (older serials get the whole zone)",
	  .min = 0, .max = 1000000, .def = "1000" },
	{ .name = "notify_retry_s", .type = DDNS_OPT_INT,
	  .help = "resend an unanswered NOTIFY after this (5 tries)",
	  .min = 1, .max = 3600, .def = "60" },
	{ .name = "udp_threads", .type = DDNS_OPT_INT,
	  .help = "UDP worker threads per address (0: UDP on the main loop)",
	  .min = 0, .max = 64, .def = "1" },
	{ .name = NULL },
};

/* An integer option the host checked against its declaration (its range
 * fits 32 bits), or @p def when absent: only an option without a declared
 * default can be (soa_minimum, whose default is another option's value). */
static uint32_t conf_u32(builtin_dns_t *b, const char *name, uint32_t def)
{
	int64_t v;
	return b->host->conf_int(b->ctx, name, &v) == 0 ? (uint32_t)v : def;
}

/* An integer option with a declared default: the host always has a value. */
#define conf_num(b, name) conf_u32((b), (name), 0)

static int conf_list(builtin_dns_t *b, const char *name, const char ***out, size_t *n)
{
	int count = b->host->conf_list_count(b->ctx, name);
	*n = 0;
	*out = calloc((size_t)count + 1, sizeof(char *));
	if (*out == NULL)
		return -ENOMEM;
	for (int i = 0; i < count; i++) {
		const char *item = b->host->conf_list_item(b->ctx, name, i);
		if (item != NULL)
			(*out)[(*n)++] = item;
	}
	return 0;
}

/* tsig_keys and secondaries. */
static int read_transfer_options(builtin_dns_t *b)
{
	const char **items = NULL;
	size_t n = 0;
	char err[512];
	int ret = conf_list(b, "tsig_keys", &items, &n);
	if (ret == 0 && (ret = dns_tsig_keys_parse(items, n, &b->keys, err, sizeof(err))) == -EINVAL) {
		b->host->conf_error(b->ctx, "tsig_keys", "%s", err);
		ret = DDNS_ECONFIG;
	}
	free(items);
	items = NULL;
	if (ret == 0)
		ret = conf_list(b, "secondaries", &items, &n);
	if (ret == 0 && (b->sec = calloc(n + 1, sizeof(*b->sec))) == NULL)
		ret = -ENOMEM;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		if (dns_secondary_parse(items[i], &b->keys, &b->sec[i], err, sizeof(err)) != 0) {
			b->host->conf_error(b->ctx, "secondaries", "%s", err);
			ret = DDNS_ECONFIG;
		}
		b->n_sec = i + 1;
	}
	free(items);
	items = NULL;
	if (ret == 0)
		ret = conf_list(b, "update_keys", &items, &n);
	if (ret == 0 && (ret = dns_upd_grants_parse(items, n, &b->keys, &b->grants, err,
	                                            sizeof(err))) == -EINVAL) {
		b->host->conf_error(b->ctx, "update_keys", "%s", err);
		ret = DDNS_ECONFIG;
	}
	free(items);
	if (ret == 0 && b->grants.n > 0 &&
	    (!DDNS_HOST_HAS(b->host, txt_update) || b->host->txt_update == NULL)) {
		b->host->conf_error(b->ctx, "update_keys", "this ddnsd has no TXT updates for "
		                    "plugins (host ABI too old)");
		ret = DDNS_ECONFIG;
	}
	return ret;
}

static int read_options(builtin_dns_t *b)
{
	int ret;
	uint32_t ttl = conf_num(b, "ttl");
	b->conf.ttl = ttl;
	b->conf.soa_ttl = conf_num(b, "ns_ttl");
	b->conf.refresh = conf_num(b, "soa_refresh");
	b->conf.retry = conf_num(b, "soa_retry");
	b->conf.expire = conf_num(b, "soa_expire");
	b->conf.minimum = conf_u32(b, "soa_minimum", ttl);
	const char *contact = NULL;
	if (b->host->conf_string(b->ctx, "soa_contact", &contact) == 0)
		b->conf.contact = contact;
	if ((ret = conf_list(b, "zone", &b->zones, &b->n_zones)) ||
	    (ret = conf_list(b, "ns", &b->ns, &b->n_ns)) ||
	    (ret = conf_list(b, "listen", &b->listen, &b->n_listen)))
		return ret;
	const char **exempt = NULL;
	size_t n_exempt = 0;
	if ((ret = conf_list(b, "rrl_exempt", &exempt, &n_exempt)))
		return ret;
	b->exempt = calloc(n_exempt + 1, sizeof(*b->exempt));
	if (b->exempt == NULL) {
		free(exempt);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_exempt; i++) {
		if (dns_cidr_parse(exempt[i], &b->exempt[i]) != 0) {
			b->host->conf_error(b->ctx, "rrl_exempt", "\"%s\" is not an address or "
			                    "address/bits", exempt[i]);
			free(exempt);
			return DDNS_ECONFIG;
		}
	}
	b->n_exempt = n_exempt;
	free(exempt);
	if ((ret = read_transfer_options(b)) != 0)
		return ret;
	if (b->n_zones == 0) {
		b->host->conf_error(b->ctx, "zone", "needs at least one zone");
		return DDNS_ECONFIG;
	}
	if (b->n_listen == 0) {
		b->host->conf_error(b->ctx, "listen", "needs at least one address");
		return DDNS_ECONFIG;
	}
	return 0;
}

/* The `ns` item that gives @p name its glue ("ns1.example.com=192.0.2.1"),
 * for messages; @p name itself should none match (it always does). */
static const char *glue_item(const builtin_dns_t *b, const char *name)
{
	size_t len = strlen(name);
	while (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < b->n_ns; i++) {
		const char *eq = strchr(b->ns[i], '=');
		size_t n = eq ? (size_t)(eq - b->ns[i]) : strlen(b->ns[i]);
		while (n > 0 && b->ns[i][n - 1] == '.')
			n--;
		if (n == len && strncasecmp(b->ns[i], name, len) == 0)
			return b->ns[i];
	}
	return name;
}

/* One log line for a record that an in-zone NS name shadows: glue wins. */
static void log_glue_wins(const builtin_dns_t *b, const char *name)
{
	b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: the record has the name of ns \"%s\", "
	             "whose configured glue is served instead: the record is not served "
	             "(rename the record or that NS)", name, glue_item(b, name));
}

static int load_record(const ddns_record_t *rec, void *arg)
{
	void **a = arg;
	builtin_dns_t *b = a[0];
	dns_db_t *db = a[1];
	int ret = dns_db_set_record(db, rec->name, rec->ipv4, rec->ipv6, rec->lan_ipv4,
	                            rec->lan_ipv6);
	/* An update we applied whose commit the store has not made yet must
	 * not be undone by this re-read. */
	if (ret == 0)
		ret = dns_db_carry_update(db, b->ref.db, rec->name, rec->last_change);
	if (ret == 1)
		ret = 0;
	if (ret == -ENOENT)
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: outside every zone of this "
		             "instance (zone = %s%s): not served", rec->name, b->zones[0],
		             b->n_zones > 1 ? ", ..." : "");
	else if (ret == -EINVAL)
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: a stored address is not valid: "
		             "not served", rec->name);
	else if (ret == -EEXIST)
		log_glue_wins(b, rec->name);
	return ret == -ENOMEM ? ret : 0;
}

/* A db of the configured zones and every record the host has for us. */
static int build_db(builtin_dns_t *b, dns_db_t **out, bool from_config)
{
	char err[512] = "";
	dns_db_t *db = NULL;
	const char *setting = NULL;
	int ret = dns_db_new(&b->conf, b->zones, b->n_zones, b->ns, b->n_ns,
	                     (uint32_t)time(NULL), &db, err, sizeof(err), &setting);
	if (ret == -EINVAL) {
		if (from_config)
			b->host->conf_error(b->ctx, setting != NULL ? setting : "zone", "%s", err);
		return DDNS_ECONFIG;
	}
	if (ret != 0)
		return ret;
	void *arg[2] = { b, db };
	ret = b->host->records_foreach(b->ctx, load_record, arg);
	if (ret < 0) {
		b->host->log(b->ctx, DDNS_LOG_ERR, "records: cannot read them: %s", strerror(-ret));
		dns_db_free(db);
		return ret;
	}
	db->tsig = &b->keys;
	for (size_t i = 0; i < db->n_zones; i++)
		db->zones[i].key = dns_dnssec_zone(b->dnssec, db->zones[i].apex);
	*out = db;
	return 0;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static void key_step(void *arg, const knot_dname_t *apex);

/* dnssec = true: each zone's keys, made the first time; rollovers. */
static int start_dnssec(builtin_dns_t *b, const char *state_dir)
{
	int on = 0;
	if (b->host->conf_bool(b->ctx, "dnssec", &on) != 0 || !on)
		return 0;
	const char *alg_name = "ecdsap256sha256";
	b->host->conf_string(b->ctx, "dnssec_algorithm", &alg_name);
	dns_dnssec_conf_t c = { .algorithm = dns_keys_algorithm(alg_name) };
	if (c.algorithm == 0) {
		b->host->conf_error(b->ctx, "dnssec_algorithm", "\"%s\" is not ecdsap256sha256 "
		                    "or ed25519", alg_name);
		return DDNS_ECONFIG;
	}
	if (state_dir == NULL) {
		b->host->conf_error(b->ctx, "dnssec", "needs a state directory for its keys");
		return DDNS_ECONFIG;
	}
	c.roll.lifetime = conf_num(b, "dnssec_key_lifetime_s");
	c.roll.ds_ttl = conf_num(b, "dnssec_ds_ttl");
	c.roll.propagation = conf_num(b, "dnssec_propagation_s");
	c.roll.dnskey_ttl = b->conf.soa_ttl;
	/* Every signed RRset: A/AAAA/TXT (ttl), SOA/NS/DNSKEY (ns_ttl), the
	 * denials (soa_minimum). */
	c.roll.max_ttl = max_u32(b->conf.ttl, max_u32(b->conf.soa_ttl, b->conf.minimum));
	const char **parents = NULL;
	size_t n_parents = 0;
	char err[256];
	int ret = conf_list(b, "dnssec_parent", &parents, &n_parents);
	if (ret == 0 && n_parents > 0 &&
	    (ret = dns_pds_new(b->host, b->ctx, parents, n_parents, &c.parent, err,
	                       sizeof(err))) == -EINVAL) {
		b->host->conf_error(b->ctx, "dnssec_parent", "%s", err);
		ret = DDNS_ECONFIG;
	}
	free(parents);
	if (ret != 0)
		return ret;
	c.parent_check_s = conf_num(b, "dnssec_parent_check_s");
	c.on_step = key_step;
	c.on_step_arg = b;
	ret = dns_dnssec_start(b->host, b->ctx, b->state, state_dir, &c, &b->ref, &b->dnssec);
	if (ret == 0 && c.roll.lifetime > 0 && c.roll.lifetime < 2 * (c.roll.dnskey_ttl +
	    c.roll.max_ttl + c.roll.ds_ttl + 2 * c.roll.propagation))
		b->host->log(b->ctx, DDNS_LOG_WARNING, "dnssec_key_lifetime_s %llu is shorter "
		             "than twice a rollover's waits: a key barely outlives its rollover",
		             (unsigned long long)c.roll.lifetime);
	return ret;
}

/* ---- what secondaries see: journal, serials on disk, NOTIFY ---- */

static void zone_changed(builtin_dns_t *b, const dns_zone_t *z);

/* Raise @p z's serial (it is the instance db's); the old one. */
static uint32_t raise_serial(builtin_dns_t *b, dns_zone_t *z)
{
	pthread_rwlock_wrlock(&b->ref.lock);
	uint32_t old = z->serial;
	dns_zone_touch(z, (uint32_t)time(NULL));
	pthread_rwlock_unlock(&b->ref.lock);
	return old;
}

/* Every 100 ms while threads sign zones whole: a zone they finished is
 * ready, and its secondaries hear of it. */
static void warm_check(void *arg)
{
	builtin_dns_t *b = arg;
	b->warm_timer = NULL;
	dns_xsign_done_t done[16];
	size_t n = dns_xsign_poll(b->xsign, done, 16);
	for (size_t i = 0; i < n; i++) {
		const dns_zone_t *z = dns_db_zone_by_apex(b->ref.db, done[i].apex);
		char name[KNOT_DNAME_TXT_MAXLEN + 1];
		dns_name_text(done[i].apex, name, sizeof(name));
		b->host->log(b->ctx, DDNS_LOG_INFO, "dnssec: %s: signed for secondaries: %zu "
		             "signature(s) made in %.2f s by a thread (the loop copied the zone "
		             "in %.3f s); NOTIFY", name, done[i].signatures, done[i].seconds,
		             done[i].loop_seconds);
		if (z != NULL)
			zone_changed(b, z);
	}
	if (dns_xsign_busy(b->xsign) &&
	    b->host->timer_start(b->ctx, 100, warm_check, b, &b->warm_timer) != 0)
		b->host->log(b->ctx, DDNS_LOG_ERR, "dnssec: cannot start a timer: a signed zone "
		             "stays unready for its secondaries until a reload");
}

/* Secondaries of signed zone @p z take it whole from here: what they
 * hold no longer matches (a restart, a key step, a step not signed). */
static void signed_restart(builtin_dns_t *b, dns_zone_t *z, bool raise)
{
	dns_zone_journal_t *zj = dns_journal_zone(b->journal, z->apex);
	if (zj != NULL)
		dns_journal_reset(zj);
	if (raise)
		raise_serial(b, z);
	if (dns_xsign_reset(b->xsign, b->ref.db, z, (uint32_t)time(NULL)) != 0)
		b->host->log(b->ctx, DDNS_LOG_ERR, "dnssec: the signed zone for secondaries: out "
		             "of memory; its NSEC3 chain may be short until the next change");
	if (b->warm_timer == NULL && dns_xsign_busy(b->xsign) &&
	    b->host->timer_start(b->ctx, 100, warm_check, b, &b->warm_timer) != 0)
		b->host->log(b->ctx, DDNS_LOG_ERR, "dnssec: cannot start a timer: a signed zone "
		             "stays unready for its secondaries until a reload");
}

/* The journal's last step of signed zone @p z gets its RRSIG and NSEC3
 * changes. */
static void signed_step(builtin_dns_t *b, const dns_zone_t *z)
{
	if (b->xsign == NULL || z->key == NULL)
		return;
	dns_zone_journal_t *zj = dns_journal_zone(b->journal, z->apex);
	dns_change_t *c = zj != NULL ? zj->tail : NULL;
	if (c == NULL || c->to != z->serial || dns_xsign_step(b->xsign, b->ref.db, z, c) != 0)
		signed_restart(b, (dns_zone_t *)z, false); /* ours: b->ref.db's */
}

/* A new key step (a rollover): every RRSIG of the signed zone changes. */
static void key_step(void *arg, const knot_dname_t *apex)
{
	builtin_dns_t *b = arg;
	dns_zone_t *z = (dns_zone_t *)dns_db_zone_by_apex(b->ref.db, apex);
	if (b->xsign == NULL || z == NULL)
		return;
	signed_restart(b, z, true);
	zone_changed(b, z);
}

typedef struct raise_arg {
	builtin_dns_t *b;
	dns_zone_t *z;
} raise_arg_t;

static uint32_t raise_cb(void *arg)
{
	raise_arg_t *r = arg;
	return raise_serial(r->b, r->z);
}

/* Hourly: signatures whose window moved are renewed, by IXFR. */
static void resign(void *arg)
{
	builtin_dns_t *b = arg;
	b->resign_timer = NULL;
	uint32_t now = (uint32_t)time(NULL);
	for (size_t i = 0; i < b->ref.db->n_zones; i++) {
		dns_zone_t *z = &b->ref.db->zones[i];
		if (z->key == NULL)
			continue;
		raise_arg_t r = { b, z };
		int ret = dns_xsign_resign(b->xsign, b->ref.db, z, now, b->journal, raise_cb, &r);
		if (ret < 0) {
			b->host->log(b->ctx, DDNS_LOG_ERR, "dnssec: re-signing for secondaries failed "
			             "(%s): they take the whole zone", strerror(-ret));
			signed_restart(b, z, true);
		}
		if (ret != 0)
			zone_changed(b, z);
	}
	if (b->host->timer_start(b->ctx, (uint64_t)conf_num(b, "dnssec_resign_check_s") * 1000,
	                         resign, b, &b->resign_timer) != 0)
		b->host->log(b->ctx, DDNS_LOG_ERR, "dnssec: cannot start the re-sign timer: "
		             "secondaries' signatures expire unless ddnsd reloads");
}

/* dnssec with secondaries: the zones they get are signed from now. */
static int start_signed_transfers(builtin_dns_t *b)
{
	if (b->dnssec == NULL || b->n_sec == 0)
		return 0;
	int ret = dns_xsign_new(&b->xsign);
	if (ret != 0)
		return ret;
	dns_xfr_set_xsign(b->xfr, b->xsign);
	/* The signatures secondaries hold were made at another time, maybe
	 * by another key: they take the whole zone once. */
	for (size_t i = 0; i < b->ref.db->n_zones; i++)
		signed_restart(b, &b->ref.db->zones[i], true);
	ret = b->host->timer_start(b->ctx, (uint64_t)conf_num(b, "dnssec_resign_check_s") * 1000,
	                           resign, b, &b->resign_timer);
	return ret;
}

static void save_state(void *arg)
{
	builtin_dns_t *b = arg;
	b->save_timer = NULL;
	if (b->state == NULL)
		return;
	char err[512];
	if (dns_state_save(b->state, b->ref.db, err, sizeof(err)) != 0)
		b->host->log(b->ctx, DDNS_LOG_ERR, "state: cannot save the serials: out of memory");
	if (err[0] != '\0')
		b->host->log(b->ctx, DDNS_LOG_ERR, "state: %s", err);
}

/* Zone @p z has a new serial: secondaries hear of it, the disk soon. */
static void zone_changed(builtin_dns_t *b, const dns_zone_t *z)
{
	dns_notify_zone(b->notify, z);
	if (b->state != NULL && b->save_timer == NULL &&
	    b->host->timer_start(b->ctx, STATE_SAVE_MS, save_state, b, &b->save_timer) != 0)
		save_state(b);
}

/* After a change in place: the journal step, NOTIFY, a save. */
static void after_change(builtin_dns_t *b, dns_snap_t *snap)
{
	/* The zone before the commit frees the snapshot (the db stays). */
	const dns_zone_t *z = snap->in_zone ? dns_db_zone_by_apex(b->ref.db, snap->apex) : NULL;
	int ret = dns_snap_commit(snap, b->ref.db, b->journal);
	if (ret == -ENOMEM)
		b->host->log(b->ctx, DDNS_LOG_ERR, "journal: out of memory: the next IXFR sends "
		             "the whole zone");
	if (ret != 0 && z != NULL) {
		signed_step(b, z);
		zone_changed(b, z);
	}
}

/* One warning: secondaries serve the WAN answer only. */
static int note_lan(const ddns_record_t *rec, void *arg)
{
	const char **first = arg;
	if (*first == NULL && ((rec->lan_ipv4 && *rec->lan_ipv4) || (rec->lan_ipv6 && *rec->lan_ipv6)))
		*first = rec->name;
	return 0;
}

static void warn_lan_with_secondaries(builtin_dns_t *b)
{
	if (b->n_sec == 0)
		return;
	const char *first = NULL;
	b->host->records_foreach(b->ctx, note_lan, &first);
	if (first != NULL)
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s (and maybe others) has a LAN address, "
		             "and the zones have secondaries: they serve the WAN address to "
		             "everyone; LAN answers come from ddnsd alone", first);
}

static int start_transfers(builtin_dns_t *b)
{
	const char *dir = DDNS_HOST_HAS(b->host, state_dir) && b->host->state_dir != NULL
	                ? b->host->state_dir(b->ctx) : NULL;
	size_t max = conf_num(b, "journal_size");
	int ret = 0;
	if (dir != NULL) {
		char err[512], warn[1024];
		ret = dns_state_open(dir, max, &b->state, err, sizeof(err), warn, sizeof(warn));
		if (ret != 0) {
			b->host->log(b->ctx, DDNS_LOG_ERR, "state: %s", err);
			return ret;
		}
		if (warn[0] != '\0')
			b->host->log(b->ctx, DDNS_LOG_WARNING, "state: %s", warn);
		b->journal = dns_state_journal(b->state);
		dns_state_restore_serials(b->state, b->ref.db, (uint32_t)time(NULL));
		if ((ret = start_dnssec(b, dir)) != 0)
			return ret;
	} else {
		b->host->log(b->ctx, DDNS_LOG_WARNING, "no state directory: serials and the IXFR "
		             "journal are not kept across restarts");
		if ((ret = dns_journal_new(max, &b->own_journal)) != 0)
			return ret;
		b->journal = b->own_journal;
		if ((ret = start_dnssec(b, NULL)) != 0)
			return ret;
	}
	if ((ret = dns_xfr_new(b->sec, b->n_sec, b->journal, &b->xfr)) != 0 ||
	    (ret = start_signed_transfers(b)) != 0)
		return ret;
	if (b->grants.n > 0 && (ret = dns_upd_new(b->host, b->ctx, &b->grants, &b->upd)) != 0)
		return ret;
	if (b->n_sec > 0)
		ret = dns_notify_new(b->host, b->ctx, b->sec, b->n_sec,
		                     (uint64_t)conf_num(b, "notify_retry_s") * 1000, &b->notify);
	return ret;
}

static void instance_free(builtin_dns_t *b)
{
	dns_server_stop(b->server);
	if (b->save_timer != NULL) {
		b->host->timer_stop(b->save_timer);
		/* What changed since the last save, unless a reload's successor
		 * shares the state: its db is newer, and it saves. */
		if (!dns_state_shared(b->state))
			save_state(b);
	}
	if (b->resign_timer != NULL)
		b->host->timer_stop(b->resign_timer);
	if (b->warm_timer != NULL)
		b->host->timer_stop(b->warm_timer);
	dns_notify_free(b->notify);
	dns_upd_free(b->upd);
	dns_upd_grants_free(&b->grants);
	dns_dnssec_free(b->dnssec);
	dns_xfr_free(b->xfr);
	dns_xsign_free(b->xsign);
	dns_state_close(b->state);
	dns_journal_free(b->own_journal);
	dns_tsig_keys_free(&b->keys);
	free(b->sec);
	dns_db_free(b->ref.db);
	pthread_rwlock_destroy(&b->ref.lock);
	free(b->zones);
	free(b->ns);
	free(b->listen);
	free(b->exempt);
	free(b);
}

/* /metrics counters, read from the server when asked (host->metric_counter). */
#define COUNTER_READER(field)                                     \
	static uint64_t read_##field(void *arg)                   \
	{                                                         \
		dns_server_counts_t c;                            \
		dns_server_counts(((builtin_dns_t *)arg)->server, &c); \
		return c.field;                                   \
	}
COUNTER_READER(rrl_dropped)
COUNTER_READER(rrl_slipped)
COUNTER_READER(tcp_refused)
COUNTER_READER(tcp_timeouts)
COUNTER_READER(sig_made)
COUNTER_READER(sig_hits)

#define XFR_READER(field)                                         \
	static uint64_t read_xfr_##field(void *arg)               \
	{                                                         \
		dns_xfr_counts_t c;                               \
		dns_xfr_counts(((builtin_dns_t *)arg)->xfr, &c);  \
		return c.field;                                   \
	}
XFR_READER(axfr)
XFR_READER(ixfr)
XFR_READER(ixfr_as_axfr)
XFR_READER(refused)

#define NOTIFY_READER(field)                                          \
	static uint64_t read_notify_##field(void *arg)                \
	{                                                             \
		dns_notify_counts_t c;                                \
		dns_notify_counts(((builtin_dns_t *)arg)->notify, &c); \
		return c.field;                                       \
	}
NOTIFY_READER(sent)
NOTIFY_READER(answered)
NOTIFY_READER(failed)

static void publish_counters(builtin_dns_t *b)
{
	static const struct {
		const char *name, *help;
		ddns_metric_read_cb read;
	} counters[] = {
		{ "dns_rrl_dropped_total", "UDP responses not sent: the source was over rrl_rate.",
		  read_rrl_dropped },
		{ "dns_rrl_slipped_total", "UDP responses sent truncated (TC=1) instead of dropped "
		  "(rrl_slip).", read_rrl_slipped },
		{ "dns_tcp_refused_total", "TCP connections refused: the source prefix held "
		  "tcp_max_per_source already.", read_tcp_refused },
		{ "dns_tcp_timeouts_total", "TCP connections closed: no whole query within "
		  "tcp_query_timeout_ms.", read_tcp_timeouts },
		{ "dns_dnssec_signatures_total", "RRSIGs made for answers (dnssec = true): once "
		  "a day per RRset and thread, and for each denial of a missing name.",
		  read_sig_made },
		{ "dns_dnssec_signature_cache_hits_total", "RRSIGs answered from a thread's "
		  "cache, without signing.", read_sig_hits },
		{ "dns_axfr_total", "AXFR transfers begun to secondaries.", read_xfr_axfr },
		{ "dns_ixfr_total", "IXFR answered from the journal (or with one SOA: "
		  "the secondary was current).", read_xfr_ixfr },
		{ "dns_ixfr_whole_total", "IXFR answered with the whole zone: the journal "
		  "did not reach the secondary's serial.", read_xfr_ixfr_as_axfr },
		{ "dns_xfr_refused_total", "AXFR/IXFR refused: not a secondary, or not signed "
		  "with its key.", read_xfr_refused },
		{ "dns_notify_sent_total", "NOTIFY messages sent to secondaries (resends "
		  "included).", read_notify_sent },
		{ "dns_notify_answered_total", "NOTIFY messages a secondary answered NOERROR.",
		  read_notify_answered },
		{ "dns_notify_failed_total", "NOTIFY given up (no answer after 5 tries) or "
		  "refused by a secondary.", read_notify_failed },
	};
	if (!DDNS_HOST_HAS(b->host, metric_counter) || b->host->metric_counter == NULL)
		return;
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		b->host->metric_counter(b->ctx, counters[i].name, counters[i].help,
		                        counters[i].read, b);
}

static int bdns_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	builtin_dns_t *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->ctx = ctx;
	b->host = host;
	pthread_rwlock_init(&b->ref.lock, NULL);
	int ret = read_options(b);
	if (ret == 0)
		ret = build_db(b, &b->ref.db, true);
	if (ret == 0)
		ret = start_transfers(b);
	if (ret == 0) {
		dns_server_conf_t sc = { .host = host, .ctx = ctx, .listen = b->listen,
		                         .n_listen = b->n_listen,
		                         .tcp_clients = conf_num(b, "tcp_clients"),
		                         .tcp_idle_ms = conf_num(b, "tcp_idle_timeout_ms"),
		                         .tcp_max_per_source = conf_num(b, "tcp_max_per_source"),
		                         .tcp_query_ms = conf_num(b, "tcp_query_timeout_ms"),
		                         .udp_threads = conf_num(b, "udp_threads"),
		                         .rrl = { .rate = conf_num(b, "rrl_rate"),
		                                  .slip = conf_num(b, "rrl_slip"),
		                                  .exempt = b->exempt,
		                                  .n_exempt = b->n_exempt },
		                         .xfr = b->xfr, .upd = b->upd };
		ret = dns_server_start(&sc, &b->ref, &b->server);
	}
	if (ret != 0) {
		instance_free(b);
		return ret;
	}
	publish_counters(b);
	warn_lan_with_secondaries(b);
	/* Secondaries learn the serials at once (they may have moved while
	 * ddnsd was down), and the disk has them. */
	for (size_t i = 0; i < b->ref.db->n_zones; i++)
		zone_changed(b, &b->ref.db->zones[i]);
	host->log(ctx, DDNS_LOG_INFO, "serving %zu record(s) in %zu zone(s) on %zu address(es)%s",
	          b->ref.db->n_records, b->n_zones, b->n_listen,
	          b->n_sec > 0 ? ", with secondaries" : "");
	*instance = b;
	return 0;
}

static void bdns_destroy(void *instance)
{
	instance_free(instance);
}

/* A TXT set (ddns_update_t.txt_*): served at once, the serial raised. */
static int bdns_update_txt(builtin_dns_t *b, ddns_update_t *u)
{
	dns_snap_t snap;
	if (dns_snap_take(&snap, b->ref.db, u->txt_name) == -ENOMEM)
		return -ENOMEM;
	pthread_rwlock_wrlock(&b->ref.lock);
	int ret = dns_db_set_txt(b->ref.db, u->txt_name, u->txt_values, u->n_txt_values,
	                         u->txt_ttl, (uint32_t)time(NULL));
	uint32_t serial = 0;
	knot_dname_storage_t name;
	if (ret >= 0 && knot_dname_from_str(name, u->txt_name, sizeof(name)) != NULL) {
		knot_dname_to_lower(name);
		const dns_zone_t *z = dns_db_zone(b->ref.db, name);
		serial = z ? z->serial : 0;
	}
	pthread_rwlock_unlock(&b->ref.lock);
	after_change(b, &snap);
	char msg[128];
	switch (ret) {
	case -ENOENT:
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: TXT outside every zone of this "
		             "instance: not served", u->txt_name);
		return DDNS_ENOTFOUND;
	case -E2BIG:
		snprintf(msg, sizeof(msg), "refused by builtin_dns: more than %d TXT values",
		         DNS_TXT_MAX_VALUES);
		break;
	case -EINVAL:
		snprintf(msg, sizeof(msg), "refused by builtin_dns: not a valid name, or a TXT "
		         "value over 255 bytes");
		break;
	case -EEXIST:
		snprintf(msg, sizeof(msg), "refused by builtin_dns: no TXT at a zone apex or an "
		         "NS name");
		break;
	default:
		if (ret < 0) {
			b->host->log(b->ctx, DDNS_LOG_ERR, "%s: TXT: %s", u->txt_name,
			             strerror(-ret));
			return ret;
		}
		snprintf(msg, sizeof(msg), "%zu TXT value(s) %s by builtin_dns, zone serial %u",
		         u->n_txt_values, ret ? "served" : "unchanged", serial);
		b->host->update_done(u, DDNS_OK, msg);
		return 0;
	}
	b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: TXT update %s", u->txt_name, msg);
	b->host->update_done(u, DDNS_EPROVIDER, msg);
	return 0;
}

static int bdns_update(void *instance, ddns_update_t *u)
{
	builtin_dns_t *b = instance;
	if (u->txt_name != NULL)
		return bdns_update_txt(b, u);
	dns_snap_t snap;
	if (dns_snap_take(&snap, b->ref.db, u->name) == -ENOMEM)
		return -ENOMEM;
	pthread_rwlock_wrlock(&b->ref.lock);
	int ret = dns_db_update(b->ref.db, u->name, u->ipv4, u->ipv6, (uint32_t)time(NULL));
	uint32_t serial = 0;
	knot_dname_storage_t name;
	if (ret >= 0 && knot_dname_from_str(name, u->name, sizeof(name)) != NULL) {
		knot_dname_to_lower(name);
		const dns_zone_t *z = dns_db_zone(b->ref.db, name);
		serial = z ? z->serial : 0;
	}
	pthread_rwlock_unlock(&b->ref.lock);
	after_change(b, &snap);
	char msg[128];
	if (ret == -ENOENT) {
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: outside every zone of this instance: "
		             "not served", u->name);
		return DDNS_ENOTFOUND;
	}
	if (ret == -EEXIST) {
		log_glue_wins(b, u->name);
		snprintf(msg, sizeof(msg), "refused by builtin_dns: the name of an NS whose "
		         "configured glue is served");
		b->host->update_done(u, DDNS_EPROVIDER, msg);
		return 0;
	}
	if (ret < 0) {
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: update refused: %s", u->name,
		             ret == -EINVAL ? "not a valid name or address" : strerror(-ret));
		return ret;
	}
	snprintf(msg, sizeof(msg), ret ? "served by builtin_dns, zone serial %u" :
	         "unchanged in builtin_dns, zone serial %u", serial);
	b->host->update_done(u, DDNS_OK, msg);
	return 0;
}

static void bdns_records_changed(void *instance)
{
	builtin_dns_t *b = instance;
	dns_db_t *db = NULL;
	if (build_db(b, &db, false) != 0) {
		b->host->log(b->ctx, DDNS_LOG_ERR, "records: reload failed; still serving the "
		             "previous ones");
		return;
	}
	pthread_rwlock_wrlock(&b->ref.lock);
	dns_db_t *old = b->ref.db;
	/* The store holds no TXT: challenges being answered stay served. */
	if (dns_db_carry_txt(db, old) != 0)
		b->host->log(b->ctx, DDNS_LOG_ERR, "records reload: TXT sets lost: out of memory");
	dns_db_bump_serials(db, old, (uint32_t)time(NULL));
	b->ref.db = db;
	pthread_rwlock_unlock(&b->ref.lock);
	if (dns_diff_dbs(b->journal, old, db) != 0)
		b->host->log(b->ctx, DDNS_LOG_ERR, "journal: out of memory: the next IXFR sends "
		             "the whole zone");
	for (size_t i = 0; i < db->n_zones; i++) {
		const dns_zone_t *o = dns_db_zone_by_apex(old, db->zones[i].apex);
		if (o == NULL || o->serial != db->zones[i].serial) {
			signed_step(b, &db->zones[i]);
			zone_changed(b, &db->zones[i]);
		}
	}
	dns_db_free(old);
	b->host->log(b->ctx, DDNS_LOG_INFO, "records reloaded: %zu record(s)", db->n_records);
}

/* One record, in place under the write lock: O(1), where a rebuild reads
 * every record of the instance. */
static void bdns_record_changed(void *instance, const char *name, const ddns_record_t *rec)
{
	builtin_dns_t *b = instance;
	uint32_t now = (uint32_t)time(NULL);
	dns_snap_t snap;
	if (dns_snap_take(&snap, b->ref.db, name) == -ENOMEM) {
		b->host->log(b->ctx, DDNS_LOG_ERR, "%s: cannot serve the change: out of memory", name);
		return;
	}
	pthread_rwlock_wrlock(&b->ref.lock);
	int ret = rec == NULL ? dns_db_remove_record(b->ref.db, name, now)
	        : dns_db_apply_record(b->ref.db, name, rec->ipv4, rec->ipv6, rec->lan_ipv4,
	                              rec->lan_ipv6, rec->last_change, now);
	pthread_rwlock_unlock(&b->ref.lock);
	after_change(b, &snap);
	if (ret == -ENOENT)
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: outside every zone of this "
		             "instance (zone = %s%s): not served", name, b->zones[0],
		             b->n_zones > 1 ? ", ..." : "");
	else if (ret == -EINVAL)
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: a stored address is not valid: "
		             "not served", name);
	else if (ret == -EEXIST)
		log_glue_wins(b, name);
	else if (ret < 0)
		b->host->log(b->ctx, DDNS_LOG_ERR, "%s: cannot serve the change: %s", name,
		             strerror(-ret));
	else
		b->host->log(b->ctx, DDNS_LOG_DEBUG, "%s: %s", name,
		             rec == NULL ? "no longer served" : "served as stored now");
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "builtin_dns",
	.version = "1.0",
	.description = "authoritative DNS server for the records it owns, with LAN answers",
	DDNS_PLUGIN_OPTIONS(options),
	.create = bdns_create,
	.destroy = bdns_destroy,
	.update = bdns_update,
	.records_changed = bdns_records_changed,
	.record_changed = bdns_record_changed,
	.caps = DDNS_CAP_TXT,
};
