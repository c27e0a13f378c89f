/* ddns.conf reading: the file, its top-level settings, `http` and `abuse`.
 * Helpers are in conf_util.c, providers and records in conf_entries.c.  Every check names the file,
 * line and setting, because a daemon that refuses a config must say where. */
#include "conf.h"
#include "conf_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include "log.h"

static const char *const top_settings[] = {
	"http", "database", "database_sync", "user", "plugin_dir", "log_level", "log_syslog",
	"update_timeout_ms", "auth_fail_delay_ms", "auth_throttle_delay_ms", "shutdown_timeout_ms",
	"providers", "records", "abuse", "dyndns2_query_credentials", "admin",
	"acme_txt_expire_s", NULL,
};
static const char *const http_settings[] = {
	"listen", "tls_certificate", "tls_key", "tls_priorities", "trusted_proxies",
	"ops_listen", "ops_allow", "max_body",
	"max_header_bytes", "max_connections", "max_connections_per_ip",
	"connection_timeout_s", "request_timeout_s", NULL,
};
static const char *const abuse_settings[] = {
	"max_changes", "change_window_s", "change_block_s",
	"max_auth_failures", "auth_window_s", "auth_block_s", NULL,
};

/* GnuTLS judges the string here, so a typo is a file:line error at load
 * (and on SIGHUP) rather than a listener that will not start. */
static int read_tls_priorities(conf_reader_t *r, const config_setting_t *h)
{
	const char *text;
	int rc = conf_member_string(r, h, "tls_priorities", &text);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	const config_setting_t *s = config_setting_get_member(h, "tls_priorities");
	gnutls_priority_t p;
	const char *at = NULL;
	rc = gnutls_priority_init(&p, text, &at);
	if (rc != GNUTLS_E_SUCCESS)
		return conf_fail(r, s, NULL, "not a GnuTLS priority string%s%.40s%s (%s)",
		                 at != NULL ? ": \"" : "", at != NULL ? at : "",
		                 at != NULL ? "\" is not understood" : "",
		                 gnutls_strerror(rc));
	gnutls_priority_deinit(p);
	r->conf->tls_priorities = strdup(text);
	return r->conf->tls_priorities != NULL ? 0 : -ENOMEM;
}

/* A list of addresses or prefixes into *out. */
static int read_cidrs(conf_reader_t *r, const config_setting_t *h, const char *name,
                      addr_cidr_t **out, size_t *n_out)
{
	config_setting_t *tp;
	int rc = conf_member_strings(r, h, name, &tp);
	if (rc != 0)
		return rc;
	int n = conf_strings_count(tp);
	if (n > 0 && (*out = calloc((size_t)n, sizeof(addr_cidr_t))) == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const char *text = conf_strings_item(tp, i);
		if (addr_cidr_parse(text, &(*out)[i]) != 0)
			return conf_fail(r, tp, NULL, "\"%s\" is not an address or "
			                 "prefix (\"10.0.0.0/8\", \"fd00::/8\")", text);
		(*n_out)++;
	}
	return 0;
}

static int read_http(conf_reader_t *r, const config_setting_t *root)
{
	conf_t *c = r->conf;
	config_setting_t *h = config_setting_get_member(root, "http");
	if (h == NULL)
		return conf_fail(r, root, "http", "missing (it holds `listen`)");
	if (!config_setting_is_group(h))
		return conf_fail(r, h, NULL, "must be a group { ... }");
	int rc = conf_check_known(r, h, http_settings);
	if (rc != 0)
		return rc;

	if ((rc = conf_read_listen(r, h, "listen", true, &c->http_listen, &c->n_http_listen)) != 0 ||
	    (rc = conf_read_listen(r, h, "ops_listen", false, &c->ops_listen, &c->n_ops_listen)) != 0)
		return rc;

	if ((rc = conf_member_path(r, h, "tls_certificate", &c->tls_certificate)) != 0 ||
	    (rc = conf_member_path(r, h, "tls_key", &c->tls_key)) != 0)
		return rc;
	if ((c->tls_certificate == NULL) != (c->tls_key == NULL))
		return conf_fail(r, h, c->tls_key == NULL ? "tls_key" : "tls_certificate",
		                 "missing (tls_certificate and tls_key go together)");
	const char *tls_names[] = { "tls_certificate", "tls_key" };
	const char *tls_files[] = { c->tls_certificate, c->tls_key };
	for (int i = 0; i < 2; i++) {
		if (tls_files[i] != NULL && access(tls_files[i], R_OK) != 0)
			return conf_fail(r, config_setting_get_member(h, tls_names[i]), NULL,
			                 "cannot read %s: %s", tls_files[i], strerror(errno));
	}

	if ((rc = read_tls_priorities(r, h)) != 0)
		return rc;

	if ((rc = read_cidrs(r, h, "trusted_proxies", &c->trusted_proxies,
	                     &c->n_trusted_proxies)) != 0)
		return rc;
	/* /metrics and /healthz: loopback only unless the file says otherwise
	 * (an empty list: nobody). */
	if (config_setting_get_member(h, "ops_allow") != NULL) {
		if ((rc = read_cidrs(r, h, "ops_allow", &c->ops_allow, &c->n_ops_allow)) != 0)
			return rc;
	} else {
		static const char *const loopback[] = { "127.0.0.0/8", "::1/128" };
		if ((c->ops_allow = calloc(2, sizeof(addr_cidr_t))) == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < 2; i++)
			if (addr_cidr_parse(loopback[i], &c->ops_allow[c->n_ops_allow++]) != 0)
				return -EINVAL;
	}

	uint32_t max_body = (uint32_t)c->max_body;
	if ((rc = conf_member_uint(r, h, "max_body", 64, 16 * 1024 * 1024, &max_body)) != 0)
		return rc;
	c->max_body = max_body;
	const long long hour = 3600;
	if ((rc = conf_member_uint(r, h, "max_header_bytes", 2048, 1024 * 1024,
	                           &c->max_header_bytes)) != 0 ||
	    (rc = conf_member_uint(r, h, "max_connections", 1, 1000000,
	                           &c->max_connections)) != 0 ||
	    (rc = conf_member_uint(r, h, "max_connections_per_ip", 0, 1000000,
	                           &c->max_connections_per_ip)) != 0 ||
	    (rc = conf_member_uint(r, h, "connection_timeout_s", 1, hour,
	                           &c->connection_timeout_s)) != 0 ||
	    (rc = conf_member_uint(r, h, "request_timeout_s", 1, hour,
	                           &c->request_timeout_s)) != 0)
		return rc;
	return 0;
}

static int read_abuse(conf_reader_t *r, const config_setting_t *root)
{
	conf_abuse_t *a = &r->conf->abuse;
	config_setting_t *g = config_setting_get_member(root, "abuse");
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return conf_fail(r, g, NULL, "must be a group { ... }");
	int rc = conf_check_known(r, g, abuse_settings);
	const long long day = 7 * 86400;
	if (rc == 0) rc = conf_member_uint(r, g, "max_changes", 0, 1000000, &a->max_changes);
	if (rc == 0) rc = conf_member_uint(r, g, "change_window_s", 1, day, &a->change_window_s);
	if (rc == 0) rc = conf_member_uint(r, g, "change_block_s", 1, day, &a->change_block_s);
	if (rc == 0) rc = conf_member_uint(r, g, "max_auth_failures", 0, 1000000, &a->max_auth_failures);
	if (rc == 0) rc = conf_member_uint(r, g, "auth_window_s", 1, day, &a->auth_window_s);
	if (rc == 0) rc = conf_member_uint(r, g, "auth_block_s", 1, day, &a->auth_block_s);
	return rc;
}

static int read_general(conf_reader_t *r, const config_setting_t *root)
{
	conf_t *c = r->conf;
	int rc = conf_check_known(r, root, top_settings);
	if (rc != 0)
		return rc;
	if ((rc = conf_member_path(r, root, "database", &c->database)) != 0 ||
	    (rc = conf_member_path(r, root, "plugin_dir", &c->plugin_dir)) != 0)
		return rc;
	if (c->database == NULL)
		return conf_fail(r, root, "database", "missing (the sqlite file of the store)");

	const char *v;
	if ((rc = conf_member_string(r, root, "database_sync", &v)) < 0)
		return rc;
	if (v != NULL) {
		if (strcmp(v, "full") != 0 && strcmp(v, "normal") != 0)
			return conf_fail(r, config_setting_get_member(root, "database_sync"),
			                 NULL, "\"%s\" is not \"full\" or \"normal\"", v);
		c->database_sync_full = strcmp(v, "full") == 0;
	}
	if ((rc = conf_member_string(r, root, "dyndns2_query_credentials", &v)) < 0)
		return rc;
	if (v != NULL) {
		static const char *const words[] = { "https", "always", "never" };
		size_t i = 0;
		while (i < 3 && strcmp(v, words[i]) != 0)
			i++;
		if (i == 3)
			return conf_fail(r, config_setting_get_member(root, "dyndns2_query_credentials"),
			                 NULL, "\"%s\" is not \"https\", \"always\" or \"never\"", v);
		c->dyndns2_query_credentials = (conf_qcred_t)i;
	}
	if ((rc = conf_member_string(r, root, "user", &v)) < 0)
		return rc;
	if (v != NULL && (c->user = strdup(v)) == NULL)
		return -ENOMEM;
	if ((rc = conf_member_string(r, root, "log_level", &v)) < 0)
		return rc;
	if (v != NULL) {
		ddns_log_level_t lvl;
		if (log_level_parse(v, &lvl) != 0)
			return conf_fail(r, config_setting_get_member(root, "log_level"), NULL,
			                 "\"%s\" is not one of error, warning, notice, "
			                 "info, debug", v);
		free(c->log_level);
		if ((c->log_level = strdup(v)) == NULL)
			return -ENOMEM;
	}
	config_setting_t *s = config_setting_get_member(root, "log_syslog");
	if (s != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return conf_fail(r, s, NULL, "must be true or false");
		c->log_syslog = config_setting_get_bool(s) != 0;
	}
	const long long hour = 3600 * 1000;
	if ((rc = conf_member_uint(r, root, "update_timeout_ms", 1, hour, &c->update_timeout_ms)) != 0 ||
	    (rc = conf_member_uint(r, root, "auth_fail_delay_ms", 0, 60000, &c->auth_fail_delay_ms)) != 0 ||
	    (rc = conf_member_uint(r, root, "auth_throttle_delay_ms", 0, 600000,
	                           &c->auth_throttle_delay_ms)) != 0 ||
	    (rc = conf_member_uint(r, root, "shutdown_timeout_ms", 0, hour, &c->shutdown_timeout_ms)) != 0 ||
	    (rc = conf_member_uint(r, root, "acme_txt_expire_s", 1, 86400, &c->acme_txt_expire_s)) != 0)
		return rc;
	return 0;
}

static int set_defaults(conf_t *c, const char *path, const char *plugin_dir_default)
{
	c->max_body = 4096;
	c->database_sync_full = true;
	c->max_header_bytes = 16384;
	c->max_connections = 1024;
	c->max_connections_per_ip = 128;
	c->connection_timeout_s = 30;
	c->request_timeout_s = 20;
	c->update_timeout_ms = 30000;
	c->auth_fail_delay_ms = 2000;
	c->auth_throttle_delay_ms = 30000;
	c->shutdown_timeout_ms = 10000;
	c->acme_txt_expire_s = 3600;
	c->abuse = (conf_abuse_t){
		.max_changes = 10, .change_window_s = 3600, .change_block_s = 3600,
		.max_auth_failures = 10, .auth_window_s = 600, .auth_block_s = 900,
	};
	c->path = strdup(path);
	c->log_level = strdup("info");
	c->plugin_dir = plugin_dir_default != NULL ? strdup(plugin_dir_default) : NULL;
	if (c->path == NULL || c->log_level == NULL ||
	    (plugin_dir_default != NULL && c->plugin_dir == NULL))
		return -ENOMEM;
	return 0;
}

/* The absolute folder of @p path, for includes and relative paths. */
static char *file_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? strdup(".")
		: slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return NULL;
	char *abs = realpath(dir, NULL);
	free(dir);
	return abs;
}

int conf_load(const char *path, const char *plugin_dir_default, conf_t **out,
              char *err, size_t errlen)
{
	conf_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	config_init(&c->cfg);
	conf_reader_t r = { .conf = c, .err = err, .errlen = errlen };
	int rc = set_defaults(c, path, plugin_dir_default);
	if (rc != 0)
		goto fail;
	if ((r.dir = file_dir(path)) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	config_set_include_dir(&c->cfg, r.dir);
	if (config_read_file(&c->cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&c->cfg) == CONFIG_ERR_FILE_IO) {
			rc = errno != 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: cannot read: %s", path,
			         errno != 0 ? strerror(errno) : "I/O error");
		} else {
			rc = -EINVAL;
			const char *f = config_error_file(&c->cfg);
			snprintf(err, errlen, "%s:%d: syntax error: %s", f != NULL ? f : path,
			         config_error_line(&c->cfg), config_error_text(&c->cfg));
		}
		goto fail;
	}
	const config_setting_t *root = config_root_setting(&c->cfg);
	if ((rc = read_general(&r, root)) != 0 || (rc = read_http(&r, root)) != 0 ||
	    (rc = read_abuse(&r, root)) != 0 ||
	    (rc = conf_read_providers(&r, config_setting_get_member(root, "providers"))) != 0 ||
	    (rc = conf_read_records(&r, config_setting_get_member(root, "records"))) != 0 ||
	    (rc = conf_read_admin(&r, config_setting_get_member(root, "admin"))) != 0)
		goto fail;
	free(r.dir);
	*out = c;
	return 0;
fail:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	free(r.dir);
	conf_free(c);
	return rc;
}

void conf_free(conf_t *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_http_listen; i++)
		free(c->http_listen[i]);
	free(c->http_listen);
	for (size_t i = 0; i < c->n_ops_listen; i++)
		free(c->ops_listen[i]);
	free(c->ops_listen);
	free(c->ops_allow);
	for (size_t i = 0; i < c->n_providers; i++) {
		free(c->providers[i].name);
		free(c->providers[i].plugin);
		free(c->providers[i].fingerprint);
	}
	free(c->providers);
	free(c->records);
	free(c->trusted_proxies);
	conf_admin_free(c);
	free(c->tls_certificate);
	free(c->tls_key);
	free(c->tls_priorities);
	free(c->database);
	free(c->user);
	free(c->plugin_dir);
	free(c->log_level);
	free(c->path);
	config_destroy(&c->cfg);
	free(c);
}
