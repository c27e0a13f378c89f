/* The web admin's changes, on the thread pool: add a record (its key made
 * here and shown once), rotate a key, delete a record.  Each is one
 * transaction with a history row (family "admin") that names the admin
 * account and the browser's address; records of ddns.conf are refused by
 * the store (-EPERM).  The key itself is never stored, only its hash. */
#include "admin_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "error.h"
#include "keys.h"
#include "log.h"

void admin_page_new(ahtml_t *b, const char *user, const char *csrf,
                    char (*providers)[64], size_t n_providers, const char *error)
{
	ah_head(b, "Add a record", user, csrf);
	if (error[0] != '\0') {
		ah_raw(b, "<p class=\"error\" id=\"error\">");
		ah_text(b, error);
		ah_raw(b, "</p>");
	}
	if (n_providers == 0) {
		ah_raw(b, "<p class=\"error\">No provider is configured: add one to "
		          "ddns.conf first.</p>");
		ah_foot(b);
		return;
	}
	ah_raw(b, "<form method=\"post\" action=\"/records/new\" class=\"edit\">");
	ah_csrf(b, csrf);
	ah_raw(b, "<label>Name <input name=\"name\" id=\"name\" required maxlength=\"253\" "
	          "placeholder=\"home.example.com\"></label>"
	          "<label>Provider <select name=\"provider\" id=\"provider\">");
	for (size_t i = 0; i < n_providers; i++) {
		ah_raw(b, "<option>");
		ah_text(b, providers[i]);
		ah_raw(b, "</option>");
	}
	ah_raw(b, "</select></label>"
	          "<label>LAN IPv4 (optional) <input name=\"lan_ipv4\" id=\"lan_ipv4\" "
	          "maxlength=\"15\"></label>"
	          "<label>LAN IPv6 (optional) <input name=\"lan_ipv6\" id=\"lan_ipv6\" "
	          "maxlength=\"45\"></label>"
	          "<button type=\"submit\" id=\"add\">Add</button></form>"
	          "<p class=\"note\">A key is made for the record and shown once.</p>");
	ah_foot(b);
}

/* The history row of an admin action. */
static void admin_row(const admin_job_t *j, const char *name, const char *what,
                      store_history_t *h)
{
	memset(h, 0, sizeof(*h));
	h->time = j->now;
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->family, sizeof(h->family), "%s", STORE_FAMILY_ADMIN);
	snprintf(h->client, sizeof(h->client), "%s", j->client);
	h->result = DDNS_OUTCOME_APPLIED;
	snprintf(h->message, sizeof(h->message), "%s by admin %s", what, j->user);
}

/* The page that shows a fresh key once, with its copy button. */
static void key_page(admin_job_t *j, const char *title, const char *name, const char *key)
{
	ahtml_t *b = &j->html;
	ah_head(b, title, j->user, j->csrf);
	ah_raw(b, "<p>The key of <a id=\"record\" href=\"/record/");
	ah_url(b, name);
	ah_raw(b, "\">");
	ah_text(b, name);
	ah_raw(b, "</a>, shown only this once (the store keeps its hash):</p>\n"
	          "<p class=\"key\"><code id=\"key\">");
	ah_text(b, key);
	ah_raw(b, "</code> <button type=\"button\" id=\"copy\" data-copy=\"key\">Copy"
	          "</button> <span id=\"copied\" hidden>copied</span></p>\n");
	ah_raw(b, "<h2>Updating it</h2>\n");
	admin_clients(b, j->public_url, name, key);
	ah_foot(b);
}

static int lan_address(const char *text, int want, char *out)
{
	if (text[0] == '\0') {
		out[0] = '\0';
		return 0;
	}
	int family = 0;
	char canon[ADDR_TEXT_MAX];
	if (addr_canonical(text, canon, &family) != 0 || family != want)
		return -EINVAL;
	snprintf(out, ADDR_TEXT_MAX, "%s", canon);
	return 0;
}

static void add_refused(admin_job_t *j, unsigned status, const char *why)
{
	j->status = status;
	ah_free(&j->html);
	admin_page_new(&j->html, j->user, j->csrf, j->providers, j->n_providers, why);
}

void admin_work_add(admin_job_t *j, store_t *st)
{
	store_record_t r = { .source = STORE_SRC_CTL };
	if (addr_name_normalize(j->name, r.name) != 0 || !addr_name_is_fqdn(r.name)) {
		add_refused(j, 400, "That is not a domain name (labels of letters, digits and "
		                    "hyphens, at least two).");
		return;
	}
	bool known = false;
	for (size_t i = 0; i < j->n_providers; i++)
		known = known || strcmp(j->providers[i], j->provider) == 0;
	if (!known) {
		add_refused(j, 400, "No such provider in ddns.conf.");
		return;
	}
	snprintf(r.provider, sizeof(r.provider), "%s", j->provider);
	if (lan_address(j->lan_ipv4, AF_INET, r.lan_ipv4) != 0 ||
	    lan_address(j->lan_ipv6, AF_INET6, r.lan_ipv6) != 0) {
		add_refused(j, 400, "A LAN address is not an IPv4 (or IPv6) address.");
		return;
	}
	char key[KEY_LEN + 1];
	if (key_generate(key) != 0 || key_hash(key, strlen(key), r.key_hash) != 0) {
		add_refused(j, 500, "No key could be made.");
		return;
	}
	store_history_t h;
	char what[160];
	snprintf(what, sizeof(what), "added (provider %s)", r.provider);
	admin_row(j, r.name, what, &h);
	int err = store_admin_record_add(st, &r, &h);
	if (err == -EEXIST) {
		add_refused(j, 409, "A record of that name exists already.");
		return;
	}
	if (err) {
		add_refused(j, 503, "The store cannot be written now.");
		return;
	}
	log_notice(r.name, "added by admin %s from %s", j->user, j->client);
	j->changed = true;
	key_page(j, "Record added", r.name, key);
}

static void change_refused(admin_job_t *j, int err)
{
	j->status = err == -ENOENT ? 404 : err == -EPERM ? 409 : 503;
	admin_page_error(&j->html, j->user, j->csrf,
	                 err == -ENOENT ? "No such record." :
	                 err == -EPERM ? "This record comes from ddns.conf: change it there." :
	                 "The store cannot be written now.");
}

void admin_work_rotate(admin_job_t *j, store_t *st)
{
	char key[KEY_LEN + 1], hash[KEY_HASH_MAX];
	if (key_generate(key) != 0 || key_hash(key, strlen(key), hash) != 0) {
		change_refused(j, -EIO);
		return;
	}
	store_history_t h;
	admin_row(j, j->name, "key rotated", &h);
	int err = store_admin_record_set_key(st, j->name, hash, &h);
	if (err) {
		change_refused(j, err);
		return;
	}
	log_notice(j->name, "key rotated by admin %s from %s", j->user, j->client);
	j->changed = true;
	key_page(j, "Key rotated", j->name, key);
}

void admin_work_delete(admin_job_t *j, store_t *st)
{
	store_history_t h;
	admin_row(j, j->name, "deleted", &h);
	int err = store_admin_record_delete(st, j->name, &h);
	if (err) {
		change_refused(j, err);
		return;
	}
	log_notice(j->name, "deleted by admin %s from %s", j->user, j->client);
	j->changed = true;
	snprintf(j->location, sizeof(j->location), "/records");
}
