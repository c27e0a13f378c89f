/**
 * @file conf.h
 * @brief ddns.conf: read with libconfig into a checked, immutable ::conf_t.
 *
 * Every error names the file, the line and the setting, e.g.
 * `ddns.conf:14: records.[2].key_hash: not a "sha256:<hex>" hash`.
 * A conf_t owns its libconfig tree; provider instances keep a pointer to
 * their settings group, so a conf_t lives as long as the instances made
 * from it (see app.h for how a reload swaps generations).
 */
#ifndef DDNS_CONF_H
#define DDNS_CONF_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "keys.h"

/** Longest provider instance name, with its NUL. */
#define CONF_PROVIDER_NAME_MAX 64

/** One `providers.<name>` entry. */
typedef struct conf_provider {
	char *name;        /**< instance name (the group's name) */
	char *plugin;      /**< plugin name or absolute path */
	config_setting_t *setting; /**< the group (borrowed from conf_t.cfg) */
	char *fingerprint; /**< canonical text of all options, to spot changes */
	const char *file;  /**< file of the group, for messages */
	int line;          /**< its line */
} conf_provider_t;

/** One `records` entry.  Its strings are borrowed from conf_t.cfg (the
 *  parsed tree, which holds them in their normalised or canonical form, see
 *  conf_entries.c): a record is a few pointers, not 500 bytes of buffers, so
 *  100,000 of them cost 7 MB and no page faults to read. */
typedef struct conf_record {
	const char *name;     /**< normalised domain */
	const char *provider; /**< instance name */
	const char *key_hash;
	const char *lan_ipv4; /**< canonical; "" if none */
	const char *lan_ipv6; /**< canonical; "" if none */
	int line;
	/** `ipv6_from`: the index in conf_t.records of the router whose IPv6
	 *  prefix this record's AAAA follows, or -1.  A router never follows
	 *  another (no chains, so no cycles; see conf_follow.c). */
	int ipv6_from;
	uint8_t ipv6_suffix[16];  /**< `ipv6_suffix`: the host bits (fits the prefix) */
	unsigned ipv6_prefix_len; /**< `ipv6_prefix_len`, 1..127, default 64 */
} conf_record_t;

/** The `abuse` group (see abuse.h for what each limit means). */
typedef struct conf_abuse {
	uint32_t max_changes;       /**< default 10; 0 disables the name limit */
	uint32_t change_window_s;   /**< default 3600 */
	uint32_t change_block_s;    /**< default 3600 */
	uint32_t max_auth_failures; /**< default 10; 0 disables the source limit */
	uint32_t auth_window_s;     /**< default 600 */
	uint32_t auth_block_s;      /**< default 900 */
} conf_abuse_t;

/** dyndns2_query_credentials: when `username=`/`password=` parameters are
 *  taken as dyndns2 credentials (Basic auth always is). */
typedef enum conf_qcred {
	CONF_QCRED_HTTPS = 0, /**< over HTTPS only (native, or a trusted proxy's
	                           X-Forwarded-Proto), the default */
	CONF_QCRED_ALWAYS,    /**< over plain HTTP too */
	CONF_QCRED_NEVER,
} conf_qcred_t;

/** The whole configuration. */
/** The web admin (daemon/admin): off unless the `admin` group is given. */
typedef struct conf_admin {
	bool enabled;          /**< the `admin` group is present */
	char **listen;         /**< "addr:port"; default "127.0.0.1:8081" */
	size_t n_listen;
	char *tls_certificate; /**< its own certificate, or NULL: http's */
	char *tls_key;
	char *public_url;      /**< the update URL's base shown in the client
	                            lines, NULL: "https://<your-server>" */
	uint32_t session_idle_s;  /**< a session unused this long ends, default 1800 */
	uint32_t session_max_s;   /**< and any session after this long, default 43200 */
} conf_admin_t;

typedef struct conf {
	config_t cfg;          /**< the parsed tree (owned) */
	char *path;            /**< file given with -c */

	char **http_listen;    /**< "addr:port" strings */
	size_t n_http_listen;
	char *tls_certificate; /**< NULL: plain HTTP */
	char *tls_key;
	char *tls_priorities;  /**< GnuTLS priority string (checked with
	                            gnutls_priority_init), NULL: the server's
	                            default, TLS 1.2 and 1.3 */
	addr_cidr_t *trusted_proxies;
	size_t n_trusted_proxies;
	char **ops_listen;     /**< listeners of /metrics and /healthz alone;
	                            none: they are served on http_listen */
	size_t n_ops_listen;
	addr_cidr_t *ops_allow; /**< who may GET /metrics and /healthz (the
	                            client as trusted_proxies resolve it);
	                            default 127.0.0.0/8 and ::1 */
	size_t n_ops_allow;
	size_t max_body;       /**< bytes, default 4096 */

	char *database;        /**< sqlite path */
	char *user;            /**< drop privileges to it, or NULL */
	char *plugin_dir;      /**< where plugins are looked up by name */
	char *log_level;       /**< "info" by default */
	bool log_syslog;

	uint32_t update_timeout_ms;   /**< provider deadline, default 30000 */
	uint32_t auth_fail_delay_ms;  /**< delay before a 403, default 2000 */
	uint32_t auth_throttle_delay_ms; /**< the same for a throttled source
	                                      (answered `abuse`), default 30000 */
	uint32_t shutdown_timeout_ms; /**< bounded drain at exit, default 10000 */
	uint32_t acme_txt_expire_s;   /**< an ACME TXT value's life, default 3600 */

	conf_provider_t *providers;
	size_t n_providers;
	conf_record_t *records;
	size_t n_records;

	conf_abuse_t abuse;    /**< abuse-control limits */
	conf_qcred_t dyndns2_query_credentials;

	/* `http` connection limits (take effect at restart). */
	uint32_t max_header_bytes;       /**< per-connection buffer for the request
	                                      line and headers, default 16384 */
	uint32_t max_connections;        /**< per listener, default 1024 */
	uint32_t max_connections_per_ip; /**< default 128; 0: no limit */
	uint32_t connection_timeout_s;   /**< idle, default 30 */
	uint32_t request_timeout_s;      /**< a whole request, default 20 */
	/** database_sync: true ("full", the default) fsyncs the store at every
	 *  commit, so an acknowledged update survives a power cut; false
	 *  ("normal") survives a crash of ddnsd, not of the machine. */
	bool database_sync_full;
	conf_admin_t admin;    /**< the web admin (`admin` group) */
} conf_t;

/**
 * Read and check @p path.  On error returns a negative code and writes one
 * line (file:line: setting: problem) into @p err.
 * @param plugin_dir_default used when the file sets no `plugin_dir`.
 */
int conf_load(const char *path, const char *plugin_dir_default, conf_t **out,
              char *err, size_t errlen);
/** Free @p conf (NULL is fine). */
void conf_free(conf_t *conf);
/** The provider entry named @p name, or NULL. */
const conf_provider_t *conf_find_provider(const conf_t *conf, const char *name);
/**
 * Whether @p s is a plugin name (a plain word of [a-z0-9_-], looked up as
 * <plugin_dir>/<s>.so) rather than something to refuse; paths contain '/'
 * and are told apart by the caller.  Shared by the config check and the
 * plugin loader so both refuse the same names.  @return true for a plain word.
 */
bool conf_plugin_name_valid(const char *s);

/** Where the plugins' state directories live (ddns_host_t.state_dir):
 *  "plugins" beside @p database, into @p buf.  Returns 0, or -ENAMETOOLONG. */
int conf_plugin_state_root(const char *database, char *buf, size_t len);

#endif
