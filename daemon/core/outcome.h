/**
 * @file outcome.h
 * @brief How an update ended, as one type for every part that says so: the
 *        history rows of the store (and ddnsctl, which reads them) and the
 *        `result` label of ddns_updates_total on /metrics.
 *
 * A history row records one attempt at a provider (or an abuse refusal);
 * it holds one of the "recorded" outcomes, and the store's history table
 * refuses any other (a CHECK constraint, store migration 2).  The metrics
 * count every request, so they have words of their own for what never
 * reaches a provider (unchanged, auth_failed ...).  The words are part of
 * the interface (database, ddnsctl output, Prometheus labels): append, never
 * rename.
 */
#ifndef DDNS_OUTCOME_H
#define DDNS_OUTCOME_H

#include <stdbool.h>

typedef enum ddns_outcome {
	/* Recorded in the history (ddns_outcome_recorded()). */
	DDNS_OUTCOME_APPLIED = 0,     /**< "applied": provider confirmed, store updated */
	DDNS_OUTCOME_FAILED,          /**< "failed": the provider refused */
	DDNS_OUTCOME_TIMEOUT,         /**< "timeout": no answer within the deadline */
	DDNS_OUTCOME_CANCELED,        /**< "canceled": cut short by shutdown or reload */
	DDNS_OUTCOME_ABUSE,           /**< "abuse": refused by abuse control */
	/* Request outcomes counted by /metrics only. */
	DDNS_OUTCOME_CHANGED,         /**< "changed": the request changed the record */
	DDNS_OUTCOME_UNCHANGED,       /**< "unchanged": the store already held it */
	DDNS_OUTCOME_AUTH_FAILED,     /**< "auth_failed": wrong key or unknown name */
	DDNS_OUTCOME_PROVIDER_FAILED, /**< "provider_failed": refused, or failed */
	DDNS_OUTCOME_UNAVAILABLE,     /**< "unavailable": shutting down, no provider */
	DDNS_OUTCOME_INTERNAL,        /**< "internal": store failure */
	DDNS_OUTCOME_STORE_BUSY,      /**< "store_busy": the store stayed locked
	                                   (another process) past the deadline */
	DDNS_OUTCOME_PARTIAL,         /**< "partial": one record type of the
	                                   request changed, another failed */
	DDNS_OUTCOME_COUNT
} ddns_outcome_t;

/** The word for @p o ("applied", "timeout" ...); "unknown" out of range. */
const char *ddns_outcome_name(ddns_outcome_t o);
/** The outcome named @p word into @p out.  @return 0, or -EINVAL. */
int ddns_outcome_parse(const char *word, ddns_outcome_t *out);
/** True for the outcomes a history row may hold. */
bool ddns_outcome_recorded(ddns_outcome_t o);

#endif
