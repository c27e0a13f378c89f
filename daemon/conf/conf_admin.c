/* The `admin` group of ddns.conf: the web admin's listeners, certificate,
 * public URL and session lifetimes.  Absent means no web admin at all.
 * Passwords travel to it, so a listener off loopback must be HTTPS: the
 * group is refused otherwise, with file:line. */
#include "conf.h"
#include "conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

static const char *const admin_settings[] = {
	"listen", "tls_certificate", "tls_key", "public_url",
	"session_idle_s", "session_max_s", NULL,
};

#define ADMIN_DEFAULT_LISTEN "127.0.0.1:8081"

static bool listen_loopback(const char *text)
{
	struct sockaddr_storage ss;
	size_t len;
	if (addr_parse_listen(text, &ss, &len) != 0)
		return false;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

static int read_admin_tls(conf_reader_t *r, const config_setting_t *s, conf_admin_t *a)
{
	int rc;
	if ((rc = conf_member_path(r, s, "tls_certificate", &a->tls_certificate)) != 0 ||
	    (rc = conf_member_path(r, s, "tls_key", &a->tls_key)) != 0)
		return rc;
	if ((a->tls_certificate == NULL) != (a->tls_key == NULL))
		return conf_fail(r, s, a->tls_key == NULL ? "tls_key" : "tls_certificate",
		                 "missing (tls_certificate and tls_key go together)");
	const char *names[] = { "tls_certificate", "tls_key" };
	const char *files[] = { a->tls_certificate, a->tls_key };
	for (int i = 0; i < 2; i++) {
		if (files[i] != NULL && access(files[i], R_OK) != 0)
			return conf_fail(r, config_setting_get_member(s, names[i]), NULL,
			                 "cannot read %s: %s", files[i], strerror(errno));
	}
	return 0;
}

int conf_read_admin(conf_reader_t *r, const config_setting_t *s)
{
	conf_admin_t *a = &r->conf->admin;
	a->session_idle_s = 1800;
	a->session_max_s = 43200;
	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return conf_fail(r, s, NULL, "must be a group { ... }");
	int rc = conf_check_known(r, s, admin_settings);
	if (rc != 0)
		return rc;
	a->enabled = true;
	if ((rc = conf_read_listen(r, s, "listen", false, &a->listen, &a->n_listen)) != 0)
		return rc;
	if (a->n_listen == 0) {
		if ((a->listen = calloc(1, sizeof(*a->listen))) == NULL ||
		    (a->listen[0] = strdup(ADMIN_DEFAULT_LISTEN)) == NULL)
			return -ENOMEM;
		a->n_listen = 1;
	}
	if ((rc = read_admin_tls(r, s, a)) != 0)
		return rc;
	bool tls = a->tls_certificate != NULL || r->conf->tls_certificate != NULL;
	for (size_t i = 0; !tls && i < a->n_listen; i++) {
		if (!listen_loopback(a->listen[i]))
			return conf_fail(r, config_setting_get_member(s, "listen"), NULL,
			                 "\"%s\" is not a loopback address: passwords would "
			                 "cross the network in clear; give tls_certificate "
			                 "and tls_key (here or in http)", a->listen[i]);
	}
	const char *url;
	rc = conf_member_string(r, s, "public_url", &url);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
			return conf_fail(r, config_setting_get_member(s, "public_url"), NULL,
			                 "\"%s\" is not an http:// or https:// URL", url);
		if ((a->public_url = strdup(url)) == NULL)
			return -ENOMEM;
		size_t n = strlen(a->public_url);
		while (n > 0 && a->public_url[n - 1] == '/')
			a->public_url[--n] = '\0';
	}
	if ((rc = conf_member_uint(r, s, "session_idle_s", 60, 86400 * 7,
	                           &a->session_idle_s)) != 0 ||
	    (rc = conf_member_uint(r, s, "session_max_s", 60, 86400 * 30,
	                           &a->session_max_s)) != 0)
		return rc;
	return 0;
}

void conf_admin_free(conf_t *c)
{
	conf_admin_t *a = &c->admin;
	for (size_t i = 0; i < a->n_listen; i++)
		free(a->listen[i]);
	free(a->listen);
	free(a->tls_certificate);
	free(a->tls_key);
	free(a->public_url);
	memset(a, 0, sizeof(*a));
}
