/* The web admin seen from the process: started with its certificate (its
 * own, or http's), given each new configuration and certificate on SIGHUP,
 * and the hook that takes its store changes in (app_store_look_then). */
#include "app_priv.h"

#include <stdio.h>

#include "admin.h"
#include "log.h"

static void admin_store_changed(void *arg, void (*done)(void *d), void *d)
{
	app_store_look_then(arg, done, d);
}

/* The admin's credentials as the files say now: its own, else http's;
 * NULL and 0 for plain HTTP. */
static int admin_tls(const conf_t *c, httpd_tls_t **out, char *err, size_t errlen)
{
	*out = NULL;
	const char *cert = c->admin.tls_certificate != NULL ? c->admin.tls_certificate
	                                                     : c->tls_certificate;
	const char *key = c->admin.tls_certificate != NULL ? c->admin.tls_key : c->tls_key;
	if (cert == NULL)
		return 0;
	return httpd_tls_load(cert, key, out, err, errlen);
}

int app_admin_start(app_t *a, char *err, size_t errlen)
{
	const conf_t *c = a->gen->conf;
	if (!c->admin.enabled)
		return 0;
	httpd_tls_t *tls = NULL;
	int rc = admin_tls(c, &tls, err, errlen);
	if (rc != 0)
		return rc;
	admin_env_t env = { .abuse = a->abuse, .store_changed = admin_store_changed, .arg = a };
	rc = admin_start(a->loop, c, tls, &env, &a->admin, err, errlen);
	if (rc == 0) {
		char where[256] = "";
		size_t off = 0;
		for (size_t i = 0; i < c->admin.n_listen && off < sizeof(where); i++)
			off += (size_t)snprintf(where + off, sizeof(where) - off, "%s%s",
			                        i ? ", " : "", c->admin.listen[i]);
		log_notice("admin", "web admin on http%s://%s", tls != NULL ? "s" : "", where);
	}
	httpd_tls_unref(tls);
	return rc;
}

void app_admin_reload(app_t *a)
{
	if (a->admin == NULL)
		return;
	const conf_t *c = a->gen->conf;
	admin_set_conf(a->admin, c);
	if (!c->admin.enabled)
		log_warn(c->path, "admin removed: the web admin stops at restart");
	httpd_tls_t *tls = NULL;
	char err[512] = "";
	if (admin_tls(c, &tls, err, sizeof(err)) != 0)
		log_err("admin", "keeps its certificate: %s", err);
	else
		admin_set_tls(a->admin, tls);
}
