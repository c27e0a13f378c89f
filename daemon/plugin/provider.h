/**
 * @file provider.h
 * @brief Provider instances: a loaded module + its state + the host table.
 *
 * A provider_t is one `providers.<name>` entry brought to life.  It owns the
 * ddns_ctx_t handed to the plugin, the timers/watches/HTTP requests the
 * plugin starts (so destroy can reclaim what a buggy plugin leaks), and the
 * updates in flight.  provider_update()'s callback fires exactly once:
 * success, failure, the host's deadline, or cancellation at shutdown, with a
 * result per record type (a type the plugin confirmed before the deadline
 * stays confirmed when another fails or times out).
 *
 * Instances are reference-counted: a reload drops the old generation's
 * reference, and an instance with updates in flight lives until they end.
 */
#ifndef DDNS_PROVIDER_H
#define DDNS_PROVIDER_H

#include <stdint.h>
#include <uv.h>
#include "conf.h"
#include "http_client.h"
#include "store.h"

typedef struct provider provider_t;

/** What instances need from the daemon. */
typedef struct provider_env {
	uv_loop_t *loop;
	http_client_t *http;
	store_t *store;
	struct metrics *metrics; /**< counts host->dns_answered() (may be NULL) */
	/** Carries out host->txt_update() (the app wires it to the update
	 *  pipeline, a layer above); NULL: not offered.  Same returns; @p cb
	 *  runs later, once, when 0 is returned. */
	int (*txt_update)(void *arg, const char *record, ddns_txt_op_t op, const char *value,
	                  const char *client, ddns_txt_cb cb, void *cb_arg);
	void *txt_update_arg;
} provider_env_t;

/** Record types of an update, the index of provider_outcome_t.rr. */
enum { PROVIDER_RR_A, PROVIDER_RR_AAAA, PROVIDER_RR_TXT, PROVIDER_RR_N };

/** One update's outcome, per record type; strings borrowed for the call. */
typedef struct provider_outcome {
	int result;            /**< DDNS_OK when every type asked for succeeded,
	                            else a failure's code */
	const char *message;   /**< the plugin's words for the update, or NULL */
	int rr[PROVIDER_RR_N]; /**< per type asked for: DDNS_OK (the provider
	                            confirmed it) or the code it failed with */
	const char *rr_message[PROVIDER_RR_N]; /**< per type, or NULL: message */
} provider_outcome_t;

/** One update's outcome. */
typedef void (*provider_done_cb)(const provider_outcome_t *o, void *arg);

/** What to change. */
typedef struct provider_change {
	const char *name;     /**< normalised FQDN */
	const char *ipv4;     /**< new, or NULL */
	const char *ipv6;     /**< new, or NULL */
	const char *old_ipv4; /**< or NULL */
	const char *old_ipv6; /**< or NULL */
	uint32_t timeout_ms;  /**< the host's deadline */
	/* or, instead of addresses, a TXT record set (for ACME DNS-01): */
	const char *txt_name;          /**< its owner name, or NULL */
	const char *const *txt_values; /**< the strings (none: delete the set) */
	size_t n_txt_values;
	uint32_t txt_ttl;              /**< 0: the provider's default */
} provider_change_t;

/**
 * Load the module of @p cp, check its options and create the instance.
 * @p conf must outlive the instance (its settings are read lazily).
 * On error @p err has one line naming the file/line or the module file.
 */
int provider_create(const provider_env_t *env, const conf_t *conf,
                    const conf_provider_t *cp, provider_t **out,
                    char *err, size_t errlen);
/** Instance name. */
const char *provider_name(const provider_t *p);
/** Plugin name (descriptor's). */
const char *provider_plugin(const provider_t *p);
/** The conf entry's fingerprint (to keep unchanged instances on reload). */
const char *provider_fingerprint(const provider_t *p);

/**
 * Start an update.  Returns 0 and later calls @p cb exactly once (never from
 * inside this call), or returns a negative code and never calls it.  A TXT
 * change (txt_name set) goes only to a plugin with DDNS_CAP_TXT: to another
 * it is refused with DDNS_EPROVIDER and one log line naming the provider
 * and its plugin; a bad name, an address beside it or a string over 255
 * bytes is -EINVAL.
 */
int provider_update(provider_t *p, const provider_change_t *change,
                    provider_done_cb cb, void *arg);
/** Updates in flight. */
unsigned provider_inflight(const provider_t *p);
/** Tell the plugin its records changed (reload, ddnsctl). */
void provider_records_changed(provider_t *p);
/** Tell the plugin that its record @p name is now @p rec (NULL: no longer
 *  its own).  False when the plugin takes no such news (then call
 *  provider_records_changed() once for the lot). */
bool provider_record_changed(provider_t *p, const char *name, const store_record_t *rec);
/** Complete every update in flight with DDNS_ECANCELED (shutdown). */
void provider_cancel_all(provider_t *p);

/** What provider_on_idle() calls. */
typedef void (*provider_idle_cb)(provider_t *p, void *arg);
/**
 * Call @p cb each time the last update in flight on @p p has been reported
 * (from the loop, just after that update's own callback; @p p stays valid
 * during the call, and a reference dropped there takes effect after it).
 * NULL @p cb stops it.
 */
void provider_on_idle(provider_t *p, provider_idle_cb cb, void *arg);

/** Take a reference. */
provider_t *provider_ref(provider_t *p);
/** Drop a reference; the instance is destroyed once unreferenced and idle. */
void provider_unref(provider_t *p);

#endif
