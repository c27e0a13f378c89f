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
#include <time.h>

#include <ddns/plugin.h>
#include "server.h"
#include "zone.h"

typedef struct builtin_dns {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	dns_db_conf_t conf;
	const char **zones, **ns, **listen;
	size_t n_zones, n_ns, n_listen;
	dns_dbref_t ref;
	dns_server_t *server;
} builtin_dns_t;

static const ddns_option_t options[] = {
	{ "listen", DDNS_OPT_LIST, DDNS_OPT_REQUIRED,
	  "addresses to answer on, UDP and TCP: \"0.0.0.0:53\", \"[::]:53\" (port 53 by default)" },
	{ "zone", DDNS_OPT_LIST, DDNS_OPT_REQUIRED,
	  "zones served with authority, e.g. \"dyn.example.com\"" },
	{ "ttl", DDNS_OPT_INT, 0, "TTL of A/AAAA answers in seconds (default 1)" },
	{ "ns", DDNS_OPT_LIST, 0,
	  "apex NS names; one inside a zone carries its glue: \"ns1.dyn.example.com=192.0.2.53,2001:db8::53\"" },
	{ "soa_contact", DDNS_OPT_STRING, 0,
	  "SOA mailbox, \"hostmaster@example.com\" (default hostmaster.<zone>)" },
	{ "soa_refresh", DDNS_OPT_INT, 0, "SOA refresh in seconds (default 3600)" },
	{ "soa_retry", DDNS_OPT_INT, 0, "SOA retry in seconds (default 600)" },
	{ "soa_expire", DDNS_OPT_INT, 0, "SOA expire in seconds (default 604800)" },
	{ "soa_minimum", DDNS_OPT_INT, 0,
	  "negative-answer TTL in seconds (default: ttl)" },
	{ "ns_ttl", DDNS_OPT_INT, 0, "TTL of SOA, NS and glue in seconds (default 3600)" },
	{ "tcp_clients", DDNS_OPT_INT, 0, "most TCP connections at once (default 128)" },
	{ "tcp_idle_timeout_ms", DDNS_OPT_INT, 0,
	  "close a silent TCP connection after this (default 10000)" },
	{ "udp_threads", DDNS_OPT_INT, 0,
	  "UDP worker threads per address (default 1; 0: UDP on the main loop)" },
	{ NULL, 0, 0, NULL },
};

/* Integer option in [lo, hi], or @p def when absent. */
static int conf_u32(builtin_dns_t *b, const char *name, int64_t lo, int64_t hi,
                    uint32_t def, uint32_t *out)
{
	int64_t v;
	int ret = b->host->conf_int(b->ctx, name, &v);
	if (ret == -ENOENT) {
		*out = def;
		return 0;
	}
	if (ret != 0 || v < lo || v > hi) {
		b->host->conf_error(b->ctx, name, "must be an integer from %lld to %lld",
		                    (long long)lo, (long long)hi);
		return DDNS_ECONFIG;
	}
	*out = (uint32_t)v;
	return 0;
}

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

static int read_options(builtin_dns_t *b)
{
	uint32_t ttl;
	int ret;
	if ((ret = conf_u32(b, "ttl", 0, 2147483647, 1, &ttl)) != 0)
		return ret;
	b->conf.ttl = ttl;
	if ((ret = conf_u32(b, "ns_ttl", 0, 2147483647, 3600, &b->conf.soa_ttl)) ||
	    (ret = conf_u32(b, "soa_refresh", 1, 2147483647, 3600, &b->conf.refresh)) ||
	    (ret = conf_u32(b, "soa_retry", 1, 2147483647, 600, &b->conf.retry)) ||
	    (ret = conf_u32(b, "soa_expire", 1, 2147483647, 604800, &b->conf.expire)) ||
	    (ret = conf_u32(b, "soa_minimum", 0, 2147483647, ttl, &b->conf.minimum)))
		return ret;
	const char *contact = NULL;
	if (b->host->conf_string(b->ctx, "soa_contact", &contact) == 0)
		b->conf.contact = contact;
	if ((ret = conf_list(b, "zone", &b->zones, &b->n_zones)) ||
	    (ret = conf_list(b, "ns", &b->ns, &b->n_ns)) ||
	    (ret = conf_list(b, "listen", &b->listen, &b->n_listen)))
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
	*out = db;
	return 0;
}

static void instance_free(builtin_dns_t *b)
{
	dns_server_stop(b->server);
	dns_db_free(b->ref.db);
	pthread_rwlock_destroy(&b->ref.lock);
	free(b->zones);
	free(b->ns);
	free(b->listen);
	free(b);
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
	uint32_t clients = 128, idle = 10000, threads = 1;
	if (ret == 0 &&
	    ((ret = conf_u32(b, "tcp_clients", 1, 100000, 128, &clients)) ||
	     (ret = conf_u32(b, "tcp_idle_timeout_ms", 100, 3600000, 10000, &idle)) ||
	     (ret = conf_u32(b, "udp_threads", 0, 64, 1, &threads))))
		ret = DDNS_ECONFIG;
	if (ret == 0) {
		dns_server_conf_t sc = { .host = host, .ctx = ctx, .listen = b->listen,
		                         .n_listen = b->n_listen, .tcp_clients = clients,
		                         .tcp_idle_ms = idle, .udp_threads = threads };
		ret = dns_server_start(&sc, &b->ref, &b->server);
	}
	if (ret != 0) {
		instance_free(b);
		return ret;
	}
	host->log(ctx, DDNS_LOG_INFO, "serving %zu record(s) in %zu zone(s) on %zu address(es)",
	          b->ref.db->n_records, b->n_zones, b->n_listen);
	*instance = b;
	return 0;
}

static void bdns_destroy(void *instance)
{
	instance_free(instance);
}

static int bdns_update(void *instance, ddns_update_t *u)
{
	builtin_dns_t *b = instance;
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
	char msg[128];
	if (ret == -ENOENT) {
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: outside every zone of this instance: "
		             "not served", u->name);
		return DDNS_ENOTFOUND;
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
	dns_db_bump_serials(db, old, (uint32_t)time(NULL));
	b->ref.db = db;
	pthread_rwlock_unlock(&b->ref.lock);
	dns_db_free(old);
	b->host->log(b->ctx, DDNS_LOG_INFO, "records reloaded: %zu record(s)", db->n_records);
}

/* One record, in place under the write lock: O(1), where a rebuild reads
 * every record of the instance. */
static void bdns_record_changed(void *instance, const char *name, const ddns_record_t *rec)
{
	builtin_dns_t *b = instance;
	uint32_t now = (uint32_t)time(NULL);
	pthread_rwlock_wrlock(&b->ref.lock);
	int ret = rec == NULL ? dns_db_remove_record(b->ref.db, name, now)
	        : dns_db_apply_record(b->ref.db, name, rec->ipv4, rec->ipv6, rec->lan_ipv4,
	                              rec->lan_ipv6, rec->last_change, now);
	pthread_rwlock_unlock(&b->ref.lock);
	if (ret == -ENOENT)
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: outside every zone of this "
		             "instance (zone = %s%s): not served", name, b->zones[0],
		             b->n_zones > 1 ? ", ..." : "");
	else if (ret == -EINVAL)
		b->host->log(b->ctx, DDNS_LOG_WARNING, "%s: a stored address is not valid: "
		             "not served", name);
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
	.options = options,
	.create = bdns_create,
	.destroy = bdns_destroy,
	.update = bdns_update,
	.records_changed = bdns_records_changed,
	.record_changed = bdns_record_changed,
};
