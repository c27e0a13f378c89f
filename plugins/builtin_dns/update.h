/**
 * @file update.h
 * @brief builtin_dns: RFC 2136 UPDATE of ACME DNS-01 TXT records, for
 * certbot (dns-rfc2136), lego (rfc2136) and acme.sh (nsupdate).
 *
 * Only TXT at "_acme-challenge.<record>" may be changed, where <record> is
 * a record ddnsd holds and the UPDATE is signed with a TSIG key that
 * `update_keys` allows for it.  Each change goes to the host's TXT sets
 * (host->txt_update()): the same 10 values, expiry and provider as the
 * HTTP ACME APIs.  Everything is checked before anything is changed.
 *
 * Answers (RFC 2136 §3): no TSIG, or a key not allowed for a name:
 * REFUSED; a bad signature: NOTAUTH with the TSIG error; a zone not served:
 * NOTAUTH; a name outside the zone: NOTZONE; prerequisites: NOTIMP
 * (ACME clients send none); anything but TXT at an _acme-challenge name:
 * REFUSED; a change the host refused: SERVFAIL.  Replies are signed.
 *
 * Loop thread only.
 */
#ifndef DDNS_BUILTIN_DNS_UPDATE_H
#define DDNS_BUILTIN_DNS_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <ddns/plugin.h>
#include "tsig.h"
#include "zone.h"

/** Which records each key may set challenges for (`update_keys`). */
typedef struct dns_upd_grant {
	const knot_tsig_key_t *key; /**< borrowed from the instance's keys */
	char **records;             /**< owned, lower case, no final dot */
	size_t n;
} dns_upd_grant_t;

typedef struct dns_upd_grants {
	dns_upd_grant_t *v;
	size_t n;
} dns_upd_grants_t;

/** Parse "key-name record [record ...]" items; 0, -EINVAL (message in
 *  @p err), -ENOMEM. */
int dns_upd_grants_parse(const char *const *items, size_t n, const dns_tsig_keys_t *keys,
                         dns_upd_grants_t *out, char *err, size_t err_len);
void dns_upd_grants_free(dns_upd_grants_t *g);

/** Called once with the reply (signed), or with @p len 0 when the request
 *  was abandoned (dns_upd_cancel_all()). */
typedef void (*dns_upd_reply_cb)(const uint8_t *reply, size_t len, void *arg);

typedef struct dns_upd dns_upd_t;

/** The receiver of an instance.  0 or -ENOMEM. */
int dns_upd_new(const ddns_host_t *host, ddns_ctx_t *ctx, const dns_upd_grants_t *grants,
                dns_upd_t **out);
/** Free it: requests still waiting for the host are answered with len 0. */
void dns_upd_free(dns_upd_t *u);

/**
 * Take the UPDATE @p msg (@p len bytes) from @p client.  Returns the length
 * of an immediate reply written to @p out (@p max bytes), or 0 when the
 * reply comes later through @p cb(@p arg) (changes sent to the host).
 */
size_t dns_upd_handle(dns_upd_t *u, const dns_db_t *db, const uint8_t *msg, size_t len,
                      const struct sockaddr *client, uint8_t *out, size_t max,
                      dns_upd_reply_cb cb, void *arg);

/** Forget the callbacks of requests with @p arg (its connection closed):
 *  their changes go on, their replies are dropped. */
void dns_upd_forget(dns_upd_t *u, void *arg);

#endif
