/**
 * @file r53.h
 * @brief Amazon Route 53 provider: what the plugin's files share.
 *
 * Route 53 speaks REST-XML (API 2013-04-01) signed with AWS Signature
 * Version 4.  libcurl signs (host->http_request_sigv4); libxml2 reads and
 * writes the XML.  Everything runs on the loop thread.
 */
#ifndef R53_H
#define R53_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include <ddns/rest.h>

#define R53_DEFAULT_API "https://route53.amazonaws.com"
/** Route 53 is global: SigV4 always names us-east-1 and the service. */
#define R53_SIGV4 "aws:amz:us-east-1:route53"
#define R53_XMLNS "https://route53.amazonaws.com/doc/2013-04-01/"

/** One `providers.<name>` entry using route53.  Owns every string. */
typedef struct r53_instance {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	char *api_url;         /**< without trailing '/' */
	const char *zone;      /**< configured zone name, or NULL (borrowed) */
	const char *zone_id;   /**< configured hosted zone id, or NULL (borrowed) */
	int64_t ttl;           /**< TTL of the records set */
	bool wait_insync;      /**< poll GetChange until INSYNC */
	char *access_key;      /**< access key id */
	char *secret_key;      /**< secret access key (wiped on free) */
	char *token_header;    /**< "X-Amz-Security-Token: ..." or NULL (secret) */
	ddns_http_sigv4_t sig; /**< points at the strings above */
	rest_zones_t zones;    /**< name -> zone and hosted zone id */
} r53_instance_t;

/** One update in progress. */
typedef struct r53_job {
	rest_job_t base;       /**< first: an r53_job_t is a rest_job_t */
	r53_instance_t *inst;
	char zone[256];        /**< zone name, once known */
	char zone_id[64];      /**< hosted zone id ("Z..."), once known */
	unsigned zone_try;     /**< candidate zone being asked */
	char change[64];       /**< id of the change being waited for */
	uint64_t poll_ms;      /**< the next wait before asking about it */
	char what[512];        /**< "A a.example.com -> 192.0.2.1, AAAA ..." */
} r53_job_t;

/** ddns_plugin_t.update.  @return 0 or -ENOMEM. */
int r53_update_start(void *instance, ddns_update_t *update);

/* ---- r53_xml.c ---- */

/** Parse a reply's body (no network, no entities).  NULL if not XML. */
xmlDoc *r53_xml_parse(const ddns_http_response_t *res);
/** The first element child of @p n named @p name (namespace ignored). */
xmlNode *r53_xml_child(const xmlNode *n, const char *name);
/** Follow "A/B/C" from @p n's children.  NULL when a step is missing. */
xmlNode *r53_xml_path(const xmlNode *n, const char *path);
/** Copy @p n's text into @p out (always terminated; "" for NULL).
 *  @return @p out, or NULL when it does not fit. */
const char *r53_xml_text(const xmlNode *n, char *out, size_t len);
/**
 * An error reply's <Error><Code> and <Message> (ErrorResponse; for
 * InvalidChangeBatch the <Messages><Message> list, joined by "; ").
 * @return 0, or -EINVAL when the body is no such XML (both set to "").
 */
int r53_xml_error(const ddns_http_response_t *res, char *code, size_t code_len, char *msg,
                  size_t msg_len);
/** rest_policy_t.message: "Code: Message", or the body's first line. */
const char *r53_xml_message(const ddns_http_response_t *res, char *out, size_t len);
/**
 * A ChangeResourceRecordSetsRequest that UPSERTs @p name's A (@p ipv4) and
 * AAAA (@p ipv6) records (either may be NULL) with @p ttl, or, when @p txt
 * is not NULL, @p txt_action ("UPSERT", "DELETE") on its TXT set of
 * @p n_txt (>= 1) strings, quoted here unless @p txt_quoted (values as
 * Route 53 lists them).  @return a malloc'd NUL-terminated document, or
 * NULL (out of memory).
 */
char *r53_xml_change_batch(const char *name, int64_t ttl, const char *ipv4, const char *ipv6,
                           const char *const *txt, size_t n_txt, const char *txt_action,
                           bool txt_quoted);

#endif
