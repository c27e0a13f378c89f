/*
 * One UPDATE exchange with the server, never blocking the loop: UDP sent
 * again on each timeout (1 s, doubling) until the update's deadline, TCP
 * (2-byte length framing) when the answer is truncated.  The job owns its
 * socket, fd watch and timer; r2_xfer_cancel() or the end callback releases
 * them, and the job frees itself after calling @p done.
 */
#ifndef RFC2136_XFER_H
#define RFC2136_XFER_H

#include <sys/socket.h>

#include "rfc2136.h"

typedef struct r2_xfer r2_xfer_t;

/* Called once with the outcome (0 or a DDNS_E* / -errno code) and a message. */
typedef void (*r2_xfer_done_cb)(int result, const char *message, void *arg);

typedef struct r2_target {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char text[80]; /* "127.0.0.1:53", for messages */
} r2_target_t;

/* Parse "host:port", "[v6]:port", or an address alone (port 53).  The host
 * must be an IP address: resolving a name would block the loop. */
int r2_target_parse(const char *s, r2_target_t *t);

int r2_xfer_start(ddns_ctx_t *ctx, const ddns_host_t *host, const r2_target_t *t,
                  r2_msg_t *msg, const knot_tsig_key_t *key, uint64_t deadline_ms,
                  r2_xfer_done_cb done, void *arg, r2_xfer_t **out);
/* Stop: @p done is not called. */
void r2_xfer_cancel(r2_xfer_t *x);

#endif
