/**
 * @file abuse.h
 * @brief Abuse control without punishing honest cron clients.
 *
 * Two independent limits, both lifted by time (expiry is checked against the
 * caller's clock and old entries are swept by a uv_timer, never a sleep):
 *  - a name whose address changed more than max_changes times within
 *    change_window_s is refused (`abuse`) for change_block_s;
 *  - a source address with more than max_auth_failures failed
 *    authentications within auth_window_s is throttled for auth_block_s.
 * Unchanged-address requests (the cron case) never count as changes.
 *
 * A throttled source is not refused: what throttling does is the
 * pipeline's (pipeline.c): a wrong key from it waits longer and is answered
 * `abuse`, a right key is served as from anyone.  An attacker behind the
 * owner's NAT can slow itself down, never the owner.
 * Windows slide (the previous window weighs by its overlap); reaching the
 * limit starts the block and clears the counts.  IPv6 sources are counted
 * per /64.  Entries live in bounded tables (max_entries each; the least
 * recently counted is dropped first).
 */
#ifndef DDNS_ABUSE_H
#define DDNS_ABUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "addr.h"

typedef struct abuse abuse_t;

typedef struct abuse_opts {
	uint32_t max_changes;       /**< 0 disables the name limit */
	uint32_t change_window_s;
	uint32_t change_block_s;
	uint32_t max_auth_failures; /**< 0 disables the source limit */
	uint32_t auth_window_s;
	uint32_t auth_block_s;
	uint32_t max_entries;       /**< per table (names, sources); 0 = 100000 */
} abuse_opts_t;

/** Create; the sweep timer runs on @p loop. */
int abuse_new(uv_loop_t *loop, const abuse_opts_t *opts, abuse_t **out);
/** Change the limits (reload); current counts are kept. */
void abuse_set_opts(abuse_t *a, const abuse_opts_t *opts);
/** True while @p client is throttled for failed authentications. */
bool abuse_source_throttled(abuse_t *a, const addr_t *client, uint64_t now_ms);
/** Count a failed authentication from @p client; true if it is now
 *  throttled.  Failures while throttled are not counted (the throttle is
 *  not extended by them): once it ends the source starts afresh. */
bool abuse_auth_failed(abuse_t *a, const addr_t *client, uint64_t now_ms);
/** True while changes of @p name are blocked. */
bool abuse_change_blocked(abuse_t *a, const char *name, uint64_t now_ms);
/** Count an applied change of @p name; true if it is now blocked. */
bool abuse_change_applied(abuse_t *a, const char *name, uint64_t now_ms);
/** Free the entries that no longer matter at @p now_ms (the sweep timer
 *  does this by itself; exposed for tests with an injected clock). */
void abuse_sweep(abuse_t *a, uint64_t now_ms);
/** Number of names and sources currently tracked. */
size_t abuse_entries(const abuse_t *a);
/** Close the timer and free (memory released in the close callback). */
void abuse_free(abuse_t *a);

#endif
