/* The benchmark's baseline: a bare libmicrohttpd server (its own epoll
 * thread) that reads the POST body and answers a JSON reply of the same
 * size as ddnsd's unchanged-address reply.  Not part of the build: the
 * script compiles it with cc.  usage: bare_mhd PORT REPLY_BYTES */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char reply[4096];
static size_t reply_len;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload, size_t *upload_size, void **ctx)
{
	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	if (*ctx == NULL) {
		*ctx = c;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0; /* consume the body */
		return MHD_YES;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(reply_len, reply,
	                                                         MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	reply_len = (size_t)atoi(argv[2]);
	if (reply_len >= sizeof(reply))
		return 2;
	memset(reply, 'x', reply_len);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
		(uint16_t)atoi(argv[1]), NULL, NULL, handler, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (d == NULL)
		return 1;
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
