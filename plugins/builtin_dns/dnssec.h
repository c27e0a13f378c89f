/**
 * @file dnssec.h
 * @brief builtin_dns: the signed zones of an instance at run time: their
 * keys, the step of each zone's rollover (roll.h), and the timer and
 * ddnsctl requests that move rollovers on.
 *
 * With `dnssec_parent`, the parent's servers are asked for the new DS
 * during a rollover's submit step (parent_ds.h): once they all publish it,
 * it counts as seen, as after `ddnsctl dnssec ZONE ds-seen`.
 *
 * ddnsctl asks by leaving a file in the keystore directory, for a zone Z:
 * `Z.roll` (start a rollover now) or `Z.ds-seen` (the parent publishes the
 * new key's DS).  A timer looks every second (an unlink(2) that finds
 * nothing costs no disk), and moves each zone on when its step is due.
 * The timelines live in the state (state.h), shared with a reload's other
 * instance; only an instance that does not share it moves anything, so
 * two never act at once.
 *
 * The step a zone is at (dns_zkey_t) is set on its dns_zone_t under the
 * db's write lock and freed after, so answering threads see one step or
 * the next, never a mix.  Loop thread only.
 */
#ifndef DDNS_BUILTIN_DNS_DNSSEC_H
#define DDNS_BUILTIN_DNS_DNSSEC_H

#include <ddns/plugin.h>
#include "keys.h"
#include "parent_ds.h"
#include "roll.h"
#include "server.h"
#include "state.h"

typedef struct dns_dnssec dns_dnssec_t;

/** What dnssec_* options say. */
typedef struct dns_dnssec_conf {
	uint8_t algorithm;    /**< of a zone's first key */
	dns_roll_conf_t roll;
	dns_pds_t *parent;    /**< the parent's servers to ask for the new DS, or
	                           NULL; the dnssec object owns it once started */
	uint64_t parent_check_s; /**< how often they are asked */
	/** Called after a zone moved to a new step (NULL: none). */
	void (*on_step)(void *arg, const knot_dname_t *apex);
	void *on_step_arg;
} dns_dnssec_conf_t;

/**
 * Start signing the zones of @p ref's db: keys read from (or made into)
 * `<state_dir>/keys`, timelines from @p st, each zone's step set on it.
 * 0 and *@p out, or a negative errno after one log line naming the file,
 * line or zone.  Every later db of the instance gets its steps from
 * dns_dnssec_zone().
 */
int dns_dnssec_start(const ddns_host_t *host, ddns_ctx_t *ctx, dns_state_t *st,
                     const char *state_dir, const dns_dnssec_conf_t *conf, dns_dbref_t *ref,
                     dns_dnssec_t **out);

/** The step zone @p apex is at, or NULL (not signed; NULL @p d). */
const dns_zkey_t *dns_dnssec_zone(const dns_dnssec_t *d, const knot_dname_t *apex);

/** Stop the timer and free everything (NULL-safe).  The db's zones must
 *  no longer point at the steps (the instance frees its db first). */
void dns_dnssec_free(dns_dnssec_t *d);

#endif
