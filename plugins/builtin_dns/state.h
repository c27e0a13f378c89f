/**
 * @file state.h
 * @brief builtin_dns: what outlives an instance, in its state directory
 * (host->state_dir()): each zone's serial and a digest of its content, the
 * journal behind IXFR, and the DNSSEC key timelines (roll.h).
 *
 * So a restart or a reload never moves a serial back (a zone whose content
 * is as stored keeps its serial; a changed one goes past it), and IXFR
 * from before a restart still sends only what changed.
 *
 * The state of a directory is one object, shared by the instances that
 * use it (a reload's new instance and the old one, for a moment): the
 * newest data is always in memory, and the file never goes back to what an
 * older instance knew.  Files are written by a thread of their own
 * (temporary file, fsync, rename), coalesced: the loop only hands over a
 * buffer.  Reading happens once, in create().
 *
 * Loop thread only, but for the writer thread inside.
 */
#ifndef DDNS_BUILTIN_DNS_STATE_H
#define DDNS_BUILTIN_DNS_STATE_H

#include <stdint.h>
#include "journal.h"
#include "zone.h"

typedef struct dns_state dns_state_t;

/**
 * The state of directory @p dir (made by the host), read from its files
 * the first time, shared after; journals keep @p journal_max changes per
 * zone.  Returns 0 and *out, or a negative errno with a message in @p err.
 * A file that is not of this format is set aside ("<name>.bad") and
 * named in @p warn (may be empty).
 */
int dns_state_open(const char *dir, size_t journal_max, dns_state_t **out, char *err,
                   size_t err_len, char *warn, size_t warn_len);

/** Let go of it; the last one writes what is pending and stops the thread. */
void dns_state_close(dns_state_t *st);

/** Whether another instance uses @p st too (a reload's successor): then
 *  that one's db is the newest, and this one must not save its own. */
bool dns_state_shared(const dns_state_t *st);

/** The journal (owned by the state). */
dns_journal_t *dns_state_journal(dns_state_t *st);

/**
 * Give the zones of a new @p db the serials they had: a zone as stored
 * (same content digest) keeps its stored serial, a changed one goes to
 * max(stored + 1, @p now), one never stored keeps what it has.
 */
void dns_state_restore_serials(const dns_state_t *st, dns_db_t *db, uint32_t now);

/** Remember @p db's serials and digests and the journal, and have them
 *  written (coalesced, off the loop).  0 or -ENOMEM.  @p err gets the
 *  last write that failed since the previous call, or "". */
int dns_state_save(dns_state_t *st, const dns_db_t *db, char *err, size_t err_len);

/** The key timelines (roll.h) as last set or read ("" if none). */
const char *dns_state_dnssec(const dns_state_t *st);

/** Keep @p text as the key timelines and have it written (off the loop);
 *  then remove the file @p remove_after (NULL: none), a key no step names
 *  any more.  0 or -ENOMEM.  Write errors come out of dns_state_save(). */
int dns_state_set_dnssec(dns_state_t *st, const char *text, const char *remove_after);

/** The last write or removal that failed since this was last asked, into
 *  @p err ("" if none). */
void dns_state_take_error(dns_state_t *st, char *err, size_t err_len);

/** The digest of zone @p z's transferable content (NS, SOA but for the
 *  serial, every name's A, AAAA, TXT): equal content, equal digest. */
uint64_t dns_zone_digest(const dns_db_t *db, const dns_zone_t *z);

#endif
