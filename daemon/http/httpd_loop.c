/* MHD driven by the libuv loop: each listener's epoll fd is watched with
 * uv_poll (httpd_listener_poll_cb), and MHD_get_timeout() arms the
 * listener's uv_timer after every MHD_run().  httpd_listener_kick() runs
 * MHD on the next loop turn, after a resume or a cut connection. */
#include "httpd_req.h"

static void listener_run(httpd_listener_t *l);

static void listener_timer_cb(uv_timer_t *t)
{
	listener_run(t->data);
}

void httpd_listener_poll_cb(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	listener_run(p->data);
}

/* MHD_run, then re-arm the timer from MHD_get_timeout(). */
static void listener_run(httpd_listener_t *l)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (l->mhd == NULL)
		return;
	l->rerun = false;
	MHD_run(l->mhd);
	if (l->rerun) /* a slot freed at the connection limit: accept again */
		uv_timer_start(&l->timer, listener_timer_cb, 0, 0);
	else if (MHD_get_timeout(l->mhd, &ms) == MHD_YES)
		uv_timer_start(&l->timer, listener_timer_cb, ms, 0);
	else
		uv_timer_stop(&l->timer);
}

void httpd_listener_kick(httpd_listener_t *l)
{
	if (l->mhd != NULL)
		uv_timer_start(&l->timer, listener_timer_cb, 0, 0);
}
