/**
 * @file pipeline.h
 * @brief The protocol-neutral update pipeline.
 *
 * authenticate (key hash, constant time) -> compare with the store ->
 * dispatch to the record's provider instance -> on confirmation commit the
 * addresses and history in one transaction (on the store writer's thread,
 * so the loop never waits for the disk) -> complete.  A change the store
 * then fails to commit is taken back at the provider (the old addresses
 * are sent again), so DNS and store keep agreeing.
 *
 * At most one provider update per record is in flight; requests arriving
 * meanwhile are coalesced (the latest address wins) and applied after it.
 * An unknown name and a wrong key fail alike, after the configured delay
 * (a timer, so others are served meanwhile).
 *
 * Failed keys never lock a right one out.  A source that failed too often
 * (abuse.h) is throttled: its wrong keys wait auth_throttle_delay_ms and
 * are answered PIPELINE_ABUSE, but a right key from it is checked and
 * served like anyone's, so an attacker sharing the owner's address (a NAT)
 * cannot deny the owner's update.  The bound on guessing comes from the
 * wait: each wrong key from a throttled source holds its request (and
 * connection) that long.
 */
#ifndef DDNS_PIPELINE_H
#define DDNS_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "addr.h"
#include "provider.h"
#include "store.h"
#include "store_writer.h"

typedef struct pipeline pipeline_t;

typedef enum {
	PIPELINE_CHANGED = 0,     /**< provider confirmed; store updated */
	PIPELINE_UNCHANGED,       /**< the store already held these addresses */
	PIPELINE_AUTH_FAILED,     /**< unknown name or wrong key (same outcome) */
	PIPELINE_PROVIDER_FAILED, /**< the provider refused; message says why */
	PIPELINE_TIMEOUT,         /**< the provider did not answer in time */
	PIPELINE_ABUSE,           /**< blocked by abuse control */
	PIPELINE_UNAVAILABLE,     /**< shutting down, or provider not configured */
	PIPELINE_INTERNAL,        /**< store failure */
	PIPELINE_STORE_BUSY,      /**< the store stayed locked (another process)
	                               until the deadline: try again later */
	PIPELINE_PARTIAL,         /**< the provider confirmed one family the
	                               request asked for and failed the other:
	                               the confirmed one is stored (changed_*),
	                               failed_* says which failed, message why */
} pipeline_status_t;

/** Outcome handed to the callback; strings borrowed for the call. */
typedef struct pipeline_result {
	pipeline_status_t status;
	const char *name;    /**< normalised name */
	const char *ipv4;    /**< address held now ("" none) */
	const char *ipv6;
	bool changed_ipv4;   /**< this request changed A */
	bool changed_ipv6;
	int64_t last_change; /**< Unix seconds */
	const char *message; /**< provider's message, or ""; for PIPELINE_PARTIAL
	                          the failed family's, naming it ("AAAA: ...") */
	bool failed_ipv4;    /**< PIPELINE_PARTIAL: A failed ... */
	bool failed_ipv6;    /**< ... or AAAA did */
	pipeline_status_t failed_status; /**< PIPELINE_PARTIAL: how it failed
	                          (PIPELINE_PROVIDER_FAILED or PIPELINE_TIMEOUT) */
} pipeline_result_t;

typedef void (*pipeline_cb)(const pipeline_result_t *res, void *arg);

/** A request.  Strings are copied by pipeline_submit(). */
typedef struct pipeline_request {
	const char *name;    /**< normalised (addr_name_normalize) */
	const char *key;     /**< presented key */
	size_t key_len;
	const char *ipv4;    /**< canonical new IPv4, or NULL */
	const char *ipv6;    /**< canonical new IPv6, or NULL */
	const char *client;  /**< client address text, for history */
	/** The caller has already shown a valid key in the same protocol
	 *  request (dyndns2: one password for several names, one of which it
	 *  opens).  A failure is then a stale or foreign name, not a guess: it
	 *  is neither counted against the source nor throttled. */
	bool proven;
	/** May @p cb run inside pipeline_submit() when the answer is known at
	 *  once (unchanged addresses)?  Lets a front end answer without
	 *  suspending its connection.  Default false: never inside. */
	bool sync_ok;
} pipeline_request_t;

/** Looks up the current instance for a provider name (NULL if none). */
typedef provider_t *(*pipeline_provider_fn)(const char *name, void *arg);

typedef struct pipeline_opts {
	uint32_t update_timeout_ms;
	uint32_t auth_fail_delay_ms;
	uint32_t auth_throttle_delay_ms; /**< a throttled source's wrong keys */
	uint32_t acme_txt_expire_s;      /**< an ACME TXT value's life; 0: 3600 */
} pipeline_opts_t;

/** @p store (reads) and @p writer (every write) are borrowed and must
 *  outlive the pipeline; stop the writer after pipeline_free(). */
int pipeline_new(uv_loop_t *loop, store_t *store, store_writer_t *writer,
                 pipeline_provider_fn lookup, void *lookup_arg,
                 const pipeline_opts_t *opts, pipeline_t **out);
/** Use @p abuse (borrowed, may be NULL) for abuse control: blocked sources
 *  and names complete with PIPELINE_ABUSE and a history row. */
struct abuse;
void pipeline_set_abuse(pipeline_t *p, struct abuse *abuse);
/** Count outcomes in @p m (borrowed, may be NULL): ddns_updates_total per
 *  provider and result, ddns_auth_failures_total, provider latency. */
struct metrics;
void pipeline_set_metrics(pipeline_t *p, struct metrics *m);
/** Update options (reload). */
void pipeline_set_opts(pipeline_t *p, const pipeline_opts_t *opts);
/** Submit; @p cb fires exactly once, never from inside this call. */
int pipeline_submit(pipeline_t *p, const pipeline_request_t *req,
                    pipeline_cb cb, void *arg);
/** Most values in one ACME TXT set (a name and its wildcard take 2). */
#define PIPELINE_TXT_MAX 10

/** An ACME DNS-01 TXT change at "_acme-challenge.<name>" (pipeline_txt.c).
 *  Strings are copied. */
typedef struct pipeline_txt_request {
	const char *name;    /**< the record (normalised): only its key opens it */
	const char *key;     /**< presented key */
	size_t key_len;
	const char *client;  /**< client address text, for abuse control */
	const char *value;   /**< the TXT string: 1..255 printable ASCII bytes;
	                          NULL with @p remove: every value goes */
	bool remove;         /**< take @p value away instead of adding it */
	/** A plugin checked the request's credentials itself (builtin_dns:
	 *  an RFC 2136 UPDATE with a TSIG key allowed for @p name): no key is
	 *  checked, a name ddnsd does not hold is -ENOENT at once. */
	bool authorized;
} pipeline_txt_request_t;

/**
 * Add (or remove) one value of the TXT set at "_acme-challenge.<name>",
 * authorised by the record <name>'s own key and nothing else.  An added
 * value expires after pipeline_opts_t.acme_txt_expire_s (a timer sends the
 * smaller set; adding it again renews it).  The whole set goes to the
 * record's provider, which must have DDNS_CAP_TXT.  Changes of one set are
 * sent one at a time, in order.  @p cb gets CHANGED, UNCHANGED,
 * AUTH_FAILED / ABUSE (after the failed-authentication delay, as
 * pipeline_submit()), PROVIDER_FAILED or TIMEOUT with the provider's
 * message, or UNAVAILABLE; never from inside this call.
 * @return 0; -EINVAL for a bad value (before any key check); -E2BIG when the
 * key was right but the set already holds PIPELINE_TXT_MAX values; -ENOENT
 * (authorized requests only) for a name ddnsd does not hold; -ECANCELED
 * when closing; -ENOMEM.  On error @p cb is never called.
 */
int pipeline_txt_submit(pipeline_t *p, const pipeline_txt_request_t *req,
                        pipeline_cb cb, void *arg);

/** Requests not yet completed. */
unsigned pipeline_pending(const pipeline_t *p);
/** The store was changed behind the pipeline's back (ddnsctl, a reload's
 *  reconcile): read every record into memory again (O(records); on
 *  failure the records read before stay).  Until this is called, a change
 *  made by another process goes unseen (ddnsctl notifies at once; other
 *  writers are seen within a second, see app.c). */
void pipeline_records_changed(pipeline_t *p);
/** One record changed behind the pipeline's back (a reload's reconcile
 *  names what it touched): serve @p rec from now on, or forget @p name
 *  when @p rec is NULL.  0, or rindex_put()'s code. */
int pipeline_record_refresh(pipeline_t *p, const char *name, const store_record_t *rec);
/** The record @p name as the pipeline serves it, from memory: 0 or -ENOENT. */
int pipeline_record_get(const pipeline_t *p, const char *name, store_record_t *out);
/** Records held in memory (all of the store's). */
size_t pipeline_record_count(const pipeline_t *p);
/**
 * A record whose AAAA follows another record's IPv6 prefix (ddns.conf's
 * `ipv6_from`): its AAAA is (router's AAAA & mask) | (suffix & ~mask), the
 * mask being the first @c prefix_len bits.  Strings are copied.
 */
typedef struct pipeline_follower {
	const char *name;    /**< the follower (normalised) */
	const char *router;  /**< the record whose prefix it follows */
	uint8_t suffix[16];  /**< its interface identifier (fits the host bits) */
	unsigned prefix_len; /**< 1..127 */
} pipeline_follower_t;

/**
 * Replace the followers (at start and at each reload).  From then on, every
 * committed change of a router's AAAA sends each follower its new AAAA
 * through the follower's own provider, in the same pass, with one history
 * row each (client: the router's; message: "prefix of <router>"); a
 * follower whose provider fails keeps its old address and gets a failure
 * row.  The router's own answer does not wait for its followers.  A
 * follower stays a record of its own: its A record and a direct update of
 * its AAAA (with its own key) work as before, until the router's next
 * change.  Each follower whose router already has an AAAA is brought to
 * it now (nothing is sent when it already holds that address).
 * @return 0, or -ENOMEM (the previous followers stay).
 */
int pipeline_set_followers(pipeline_t *p, const pipeline_follower_t *v, size_t n);
/** Flush batched last_seen times to the store. */
void pipeline_flush(pipeline_t *p);
/** Complete pending auth delays at once, flush, close handles. */
void pipeline_free(pipeline_t *p);

#endif
