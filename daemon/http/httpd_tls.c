/* TLS credentials for the HTTP server, swappable while it runs.
 *
 * libmicrohttpd 0.9.75 keeps the certificate it was started with for the
 * life of the daemon, except through MHD_OPTION_HTTPS_CERT_CALLBACK: GnuTLS
 * then asks us for the certificate at every handshake.  The server holds
 * the current credentials; each connection takes a reference at its
 * handshake (GnuTLS does not copy what the callback hands it), so a reload
 * swaps the pointer and the old credentials go when their last connection
 * closes.  The listening sockets are never touched. */
#include "httpd.h"
#include "httpd_req.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include "log.h"

#define TLS_CHAIN_MAX 16
#define TLS_PEM_MAX (1 << 20)

struct httpd_tls {
	gnutls_pcert_st pcerts[TLS_CHAIN_MAX];
	unsigned n_pcerts;
	gnutls_privkey_t key;
	unsigned refs;
	char desc[384];
};

static void tls_free(httpd_tls_t *t)
{
	for (unsigned i = 0; i < t->n_pcerts; i++)
		gnutls_pcert_deinit(&t->pcerts[i]);
	if (t->key != NULL)
		gnutls_privkey_deinit(t->key);
	free(t);
}

void httpd_tls_unref(httpd_tls_t *t)
{
	if (t != NULL && --t->refs == 0)
		tls_free(t);
}

httpd_tls_t *httpd_tls_ref(httpd_tls_t *t)
{
	t->refs++;
	return t;
}

const char *httpd_tls_describe(const httpd_tls_t *t)
{
	return t->desc;
}

/* The key must be the one of the first certificate, or every handshake
 * would fail long after the reload said yes. */
static int key_matches(httpd_tls_t *t)
{
	unsigned char a[64], b[64];
	size_t la = sizeof(a), lb = sizeof(b);
	gnutls_pubkey_t pub = NULL;
	int ok = gnutls_pubkey_init(&pub) == 0 &&
		gnutls_pubkey_import_privkey(pub, t->key, 0, 0) == 0 &&
		gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a, &la) == 0 &&
		gnutls_pubkey_get_key_id(t->pcerts[0].pubkey, GNUTLS_KEYID_USE_SHA256,
		                         b, &lb) == 0 &&
		la == lb && memcmp(a, b, la) == 0;
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	return ok;
}

/* "subject ..., serial ..., expires ..." for the log; warns when expired. */
static void describe(httpd_tls_t *t, const char *what)
{
	gnutls_x509_crt_t crt;
	char dn[200] = "?", serial_hex[80] = "";
	unsigned char serial[40];
	size_t dnlen = sizeof(dn), slen = sizeof(serial);
	time_t exp = 0;

	if (gnutls_pcert_export_x509(&t->pcerts[0], &crt) != 0) {
		snprintf(t->desc, sizeof(t->desc), "%u certificate(s)", t->n_pcerts);
		return;
	}
	if (gnutls_x509_crt_get_dn(crt, dn, &dnlen) != 0)
		snprintf(dn, sizeof(dn), "?");
	if (gnutls_x509_crt_get_serial(crt, serial, &slen) == 0) {
		for (size_t i = 0; i < slen && 2 * i + 2 < sizeof(serial_hex); i++)
			snprintf(serial_hex + 2 * i, 3, "%02x", serial[i]);
	}
	exp = gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	struct tm tm;
	char when[32] = "?";
	if (exp != (time_t)-1 && gmtime_r(&exp, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(t->desc, sizeof(t->desc), "subject %s, serial %s, expires %s",
	         dn, serial_hex, when);
	if (exp != (time_t)-1 && exp < time(NULL))
		log_warn(what, "the certificate expired on %s: clients will refuse it", when);
}

int httpd_tls_from_pem(const char *cert_pem, const char *key_pem,
                       const char *cert_name, const char *key_name,
                       httpd_tls_t **out, char *err, size_t errlen)
{
	httpd_tls_t *t = calloc(1, sizeof(*t));
	int gr;

	*out = NULL;
	if (t == NULL) {
		snprintf(err, errlen, "%s: out of memory", cert_name);
		return -ENOMEM;
	}
	t->refs = 1;
	gnutls_datum_t cd = { (unsigned char *)cert_pem, (unsigned)strlen(cert_pem) };
	gnutls_datum_t kd = { (unsigned char *)key_pem, (unsigned)strlen(key_pem) };
	t->n_pcerts = TLS_CHAIN_MAX;
	gr = gnutls_pcert_list_import_x509_raw(t->pcerts, &t->n_pcerts, &cd,
	                                       GNUTLS_X509_FMT_PEM, 0);
	if (gr < 0 || t->n_pcerts == 0) {
		t->n_pcerts = 0;
		snprintf(err, errlen, "%s: no usable PEM certificate (%s)",
		         cert_name, gr < 0 ? gnutls_strerror(gr) : "none found");
		goto fail;
	}
	if ((gr = gnutls_privkey_init(&t->key)) < 0 ||
	    (gr = gnutls_privkey_import_x509_raw(t->key, &kd, GNUTLS_X509_FMT_PEM,
	                                         NULL, 0)) < 0) {
		snprintf(err, errlen, "%s: no usable unencrypted PEM private key (%s)",
		         key_name, gnutls_strerror(gr));
		goto fail;
	}
	if (!key_matches(t)) {
		snprintf(err, errlen, "%s: the private key does not belong to the "
		         "certificate (the first one in %s)", key_name, cert_name);
		goto fail;
	}
	describe(t, cert_name);
	*out = t;
	return 0;
fail:
	tls_free(t);
	return -EINVAL;
}

/* A PEM file whole.  The key's buffer is wiped by the caller. */
static int read_pem(const char *path, char **out, char *err, size_t errlen)
{
	*out = NULL;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	char *buf = malloc(TLS_PEM_MAX + 1);
	size_t n = buf != NULL ? fread(buf, 1, TLS_PEM_MAX, f) : 0;
	fclose(f);
	if (buf == NULL || n == 0 || n == TLS_PEM_MAX) {
		snprintf(err, errlen, "%s: empty, unreadable or larger than 1 MiB", path);
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

int httpd_tls_load(const char *cert_path, const char *key_path,
                   httpd_tls_t **out, char *err, size_t errlen)
{
	char *cert = NULL, *key = NULL;
	int rc = read_pem(cert_path, &cert, err, errlen);
	if (rc == 0)
		rc = read_pem(key_path, &key, err, errlen);
	if (rc == 0)
		rc = httpd_tls_from_pem(cert, key, cert_path, key_path, out, err, errlen);
	free(cert);
	if (key != NULL)
		memset(key, 0, strlen(key)); /* no copy of the private key left behind */
	free(key);
	return rc;
}

int httpd_set_tls(httpd_t *h, httpd_tls_t *t)
{
	if (h->tls == NULL) {
		httpd_tls_unref(t);
		return -EINVAL; /* plain HTTP listeners cannot start TLS */
	}
	httpd_tls_unref(h->tls);
	h->tls = t;
	return 0;
}

/* gnutls_certificate_retrieve_function2: what this handshake is served.
 * The connection keeps a reference until it closes (httpd_limits.c). */
int httpd_tls_cert_cb(gnutls_session_t s, const gnutls_datum_t *req_ca_dn,
                      int n_req_ca_dn, const gnutls_pk_algorithm_t *algos,
                      int n_algos, gnutls_pcert_st **pcert,
                      unsigned int *n_pcert, gnutls_privkey_t *key)
{
	httpd_conn_t *hc = gnutls_session_get_ptr(s);
	(void)req_ca_dn;
	(void)n_req_ca_dn;
	(void)algos;
	(void)n_algos;
	if (hc == NULL)
		return -1; /* not a connection we were told about: refuse */
	if (hc->tls == NULL) {
		httpd_t *h = hc->listener->h;
		if (h->tls == NULL)
			return -1;
		hc->tls = httpd_tls_ref(h->tls);
	}
	*pcert = hc->tls->pcerts;
	*n_pcert = hc->tls->n_pcerts;
	*key = hc->tls->key;
	return 0;
}
