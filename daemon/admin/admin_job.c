/* The web admin's work off the loop: each request that reads or writes the
 * store, or checks a password, is a job on libuv's thread pool.  A job
 * borrows a store connection from the admin's pool (opened on first need,
 * on the worker, so never by the loop and always as the daemon's final
 * user), runs, gives the connection back, and returns to the loop with its
 * page in the done callback. */
#include "admin_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"

admin_job_t *admin_job_new(admin_t *ad, httpd_req_t *req, admin_job_kind_t kind,
                           const admin_session_t *s)
{
	admin_job_t *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->ad = ad;
	j->req = req;
	j->kind = kind;
	j->work.data = j;
	if (s != NULL) {
		snprintf(j->user, sizeof(j->user), "%s", s->user);
		snprintf(j->csrf, sizeof(j->csrf), "%s", s->csrf);
	}
	return j;
}

void admin_job_free(admin_job_t *j)
{
	if (j == NULL)
		return;
	/* the password must not linger in freed memory */
	volatile char *p = j->password;
	for (size_t i = 0; i < sizeof(j->password); i++)
		p[i] = 0;
	ah_free(&j->html);
	free(j->providers);
	free(j);
}

static store_t *pool_take(admin_t *ad)
{
	store_t *st = NULL;
	uv_mutex_lock(&ad->pool_lock);
	if (ad->n_pool > 0)
		st = ad->pool[--ad->n_pool];
	uv_mutex_unlock(&ad->pool_lock);
	if (st == NULL) {
		int err = store_open(ad->db_path, &st);
		if (err) {
			log_err(ad->db_path, "admin: cannot open the store: %s", ddns_strerror(err));
			return NULL;
		}
	}
	return st;
}

static void pool_give(admin_t *ad, store_t *st)
{
	uv_mutex_lock(&ad->pool_lock);
	if (ad->n_pool == ad->cap_pool) {
		size_t cap = ad->cap_pool ? ad->cap_pool * 2 : 4;
		store_t **p = realloc(ad->pool, cap * sizeof(*p));
		if (p != NULL) {
			ad->pool = p;
			ad->cap_pool = cap;
		}
	}
	if (ad->n_pool < ad->cap_pool) {
		ad->pool[ad->n_pool++] = st;
		st = NULL;
	}
	uv_mutex_unlock(&ad->pool_lock);
	store_close(st);
}

void admin_pool_close(admin_t *ad)
{
	for (size_t i = 0; i < ad->n_pool; i++)
		store_close(ad->pool[i]);
	free(ad->pool);
	ad->pool = NULL;
	ad->n_pool = ad->cap_pool = 0;
}

/* Is the session's account still there?  A deleted one ends its sessions
 * at their next request. */
static bool user_exists(admin_job_t *j, store_t *st)
{
	char hash[STORE_ADMIN_HASH_MAX];
	int err = store_admin_user_get(st, j->user, hash);
	if (err == -ENOENT)
		j->user_gone = true;
	else if (err) {
		j->status = 503;
		admin_page_error(&j->html, j->user, j->csrf, "The store cannot be read now.");
		return false;
	}
	return err == 0;
}

static void job_work(uv_work_t *w)
{
	admin_job_t *j = w->data;
	store_t *st = pool_take(j->ad);
	if (st == NULL) {
		j->status = 503;
		admin_page_error(&j->html, j->user, j->csrf, "The store cannot be opened now.");
		return;
	}
	if (j->kind == ADMIN_JOB_LOGIN || user_exists(j, st)) {
		switch (j->kind) {
		case ADMIN_JOB_LOGIN: admin_work_login(j, st); break;
		case ADMIN_JOB_RECORDS: admin_work_records(j, st); break;
		case ADMIN_JOB_RECORD: admin_work_record(j, st); break;
		case ADMIN_JOB_DELETE_ASK: admin_work_delete_ask(j, st); break;
		case ADMIN_JOB_PROVIDERS: admin_work_providers(j, st); break;
		case ADMIN_JOB_ACTIVITY: admin_work_activity(j, st); break;
		case ADMIN_JOB_ADD: admin_work_add(j, st); break;
		case ADMIN_JOB_ROTATE: admin_work_rotate(j, st); break;
		case ADMIN_JOB_DELETE: admin_work_delete(j, st); break;
		}
	}
	pool_give(j->ad, st);
}

static void job_after(uv_work_t *w, int status)
{
	admin_job_t *j = w->data;
	j->done(j, status);
}

int admin_job_queue(admin_job_t *j, void (*done)(admin_job_t *j, int status))
{
	j->done = done;
	int rc = uv_queue_work(j->ad->loop, &j->work, job_work, job_after);
	if (rc == 0)
		j->ad->n_jobs++;
	return rc;
}
