/**
 * @file rs.h
 * @brief Rackspace Cloud DNS v1.0 provider: what the plugin's files share.
 */
#ifndef RS_H
#define RS_H

#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "ddns/plugin.h"
#include <ddns/rest/conf.h>
#include <ddns/rest/job.h>
#include <ddns/rest/zones.h>

#define RS_DEFAULT_IDENTITY "https://identity.api.rackspacecloud.com/v2.0"
/** A cached token is renewed this long before its "expires". */
#define RS_TOKEN_MARGIN_S 300
/** A call is not sent with a token this close to its expiry (seconds). */
#define RS_TOKEN_SLACK_S 2

typedef struct rs_job rs_job_t;

/** One `providers.<name>` entry using rackspace. */
typedef struct rs_instance {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	rest_conf_t conf;          /**< conf.api_url is NULL unless configured */
	char *identity_url;      /**< without trailing '/' */
	const char *username;    /**< borrowed from the host */
	const char *api_key;     /**< borrowed from the host (secret) */

	char *token_header;      /**< "X-Auth-Token: <id>" or NULL (secret) */
	time_t token_expires;    /**< wall clock */
	unsigned token_gen;      /**< bumped for each new token */
	char *endpoint;          /**< the cloudDNS publicURL (or api_url) */
	rs_job_t *auth_leader;   /**< the job asking for a token, or NULL */
	rs_job_t *auth_waiters;  /**< jobs waiting for that token */
	rest_zones_t zones;        /**< name -> zone and domain id */
} rs_instance_t;

/** One update in progress. */
struct rs_job {
	rest_job_t base;           /**< first: an rs_job_t is a rest_job_t */
	rs_instance_t *inst;
	rest_step_cb after_auth;   /**< what to do once a token is there */
	rest_step_cb after_job;    /**< what follows a COMPLETED async job */
	rs_job_t *next_waiter;
	bool reauthed;           /**< the call in flight was already sent again after a 401 */
	unsigned sent_gen;       /**< token generation of the call in flight */
	char *retry_method, *retry_url, *retry_body; /**< call to repeat after 401 */
	rest_reply_cb retry_cb;
	char zone[256];
	char domain_id[64];
	unsigned zone_try;
	unsigned pages;
	char record_id[64];
	char job_id[80];         /**< async job being polled */
	char *callback_url;
	unsigned polls;
};

/* ---- rs_call.c ---- */

/** Send a Cloud DNS call with the current token; a 401 re-authenticates
 *  once and repeats it; @p cb gets any other reply. */
void rs_send_call(rs_job_t *job, const char *method, const char *url, const char *body,
                  rest_reply_cb cb);
/** Finish @p job with the API's message for an unwanted status. */
void rs_fail_status(rs_job_t *job, const ddns_http_response_t *res, const char *doing);
/** Finish @p job: the reply was not the @p expected shape. */
void rs_bad_reply(rs_job_t *job, const char *doing, const char *expected, const char *err);
/** True when @p url is under the Cloud DNS endpoint (where the token may go). */
bool rs_under_endpoint(const rs_job_t *job, const char *url);
/** rs_send_call() with @p body (consumed, may be NULL) as compact JSON. */
void rs_send_json(rs_job_t *job, const char *method, const char *url, json_t *body,
                  rest_reply_cb cb);

/* ---- rs_job.c ---- */

/** Reply to PUT/POST: follow its async job to COMPLETED or ERROR. */
void rs_on_accepted(rest_job_t *base, const ddns_http_response_t *res);

/** ddns_plugin_t.update: start @p update on the instance @p instance.  @return 0 or -errno. */
int rs_update_start(void *instance, ddns_update_t *update);

/**
 * Make sure the instance holds a token valid for a while, then run @p then
 * (on the next loop turn at the earliest).  One job asks the identity
 * service; others arriving meanwhile wait for its answer.  On failure the
 * job is finished.
 */
void rs_auth_ensure(rs_job_t *job, rest_step_cb then);
/** Drop the cached token if it is still generation @p gen (it got a 401). */
void rs_auth_invalidate(rs_instance_t *inst, unsigned gen);
/** Take @p job out of the auth bookkeeping (it is being released). */
void rs_auth_forget(rs_job_t *job);
/** Free the cached token. */
void rs_auth_clear(rs_instance_t *inst);

#endif
