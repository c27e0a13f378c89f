/* Logging in: the form, and the password check on the thread pool
 * (argon2id_verify against the account's encoded hash; its costs come
 * from the hash).  An unknown account is checked against a fixed hash of
 * the same costs, so the answer takes as long either way and does not
 * tell which accounts exist. */
#include "admin_priv.h"

#include <argon2.h>
#include <errno.h>
#include <string.h>

#include "log.h"

/* A hash of a random password with ddnsctl admin's costs (m=19456, t=2). */
static const char admin_dummy_hash[] =
	"$argon2id$v=19$m=19456,t=2,p=1$P/8wC9fMtHMrxcqCe8SZyA$"
	"O8LVUBg7WIva2OzHWyWXjt2x+aH1U2ny+I8+UevsyMA";

void admin_page_login(ahtml_t *b, const char *csrf, const char *error)
{
	ah_head(b, "Log in", "", csrf);
	if (error[0] != '\0') {
		ah_raw(b, "<p class=\"error\" id=\"error\">");
		ah_text(b, error);
		ah_raw(b, "</p>");
	}
	ah_raw(b, "<form method=\"post\" action=\"/login\" class=\"login\">");
	ah_csrf(b, csrf);
	ah_raw(b, "<label>User <input name=\"user\" id=\"user\" autocomplete=\"username\" "
	          "required maxlength=\"32\" autofocus></label>"
	          "<label>Password <input name=\"password\" id=\"password\" type=\"password\" "
	          "autocomplete=\"current-password\" required maxlength=\"256\"></label>"
	          "<button type=\"submit\" id=\"login\">Log in</button></form>"
	          "<p class=\"note\">Accounts are made with <code>ddnsctl admin add USER</code>."
	          "</p>");
	ah_foot(b);
}

void admin_work_login(admin_job_t *j, store_t *st)
{
	char hash[STORE_ADMIN_HASH_MAX];
	int err = store_admin_name_valid(j->name) ? store_admin_user_get(st, j->name, hash)
	                                          : -ENOENT;
	if (err != 0 && err != -ENOENT) {
		j->status = 503;
		return;
	}
	int rc = argon2id_verify(err == 0 ? hash : admin_dummy_hash, j->password,
	                         strlen(j->password));
	j->login_ok = err == 0 && rc == ARGON2_OK;
	if (err == 0 && rc != ARGON2_OK && rc != ARGON2_VERIFY_MISMATCH)
		log_err(j->name, "admin: the stored password hash cannot be checked: %s",
		        argon2_error_message(rc));
}
