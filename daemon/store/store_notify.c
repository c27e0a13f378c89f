/* The change notice from ddnsctl to ddnsd (see store_notify.h). */
#include "store_notify.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "log.h"

struct store_notify {
	uv_pipe_t server;
	store_notify_cb cb;
	void *arg;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct store_notice {
	uv_pipe_t conn;
	uv_write_t write;
};
typedef store_notice_t notice_t;

static const char reply_ok[] = "ok\n";

static int notify_path(const char *db_path, char *out, size_t size)
{
	int n = snprintf(out, size, "%s%s", db_path, STORE_NOTIFY_SUFFIX);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* A plain blocking connect: a Unix socket answers at once or not at all. */
static int notify_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* ---- ddnsd ---- */

static void notice_closed_cb(uv_handle_t *h)
{
	free(h->data);
}

static void notice_written_cb(uv_write_t *w, int status)
{
	(void)status; /* a client that left early loses nothing */
	notice_t *nt = w->data;
	uv_close((uv_handle_t *)&nt->conn, notice_closed_cb);
}

static void notify_connection_cb(uv_stream_t *server, int status)
{
	store_notify_t *n = server->data;
	if (status < 0)
		return;
	notice_t *nt = calloc(1, sizeof(*nt));
	if (nt == NULL)
		return; /* the client times out and says so */
	uv_pipe_init(server->loop, &nt->conn, 0);
	nt->conn.data = nt;
	nt->write.data = nt;
	if (uv_accept(server, (uv_stream_t *)&nt->conn) != 0) {
		uv_close((uv_handle_t *)&nt->conn, notice_closed_cb);
		return;
	}
	n->cb(n->arg, nt);
}

void store_notify_answer(store_notice_t *nt)
{
	uv_buf_t b = uv_buf_init((char *)reply_ok, sizeof(reply_ok) - 1);
	if (uv_write(&nt->write, (uv_stream_t *)&nt->conn, &b, 1, notice_written_cb) != 0)
		uv_close((uv_handle_t *)&nt->conn, notice_closed_cb);
}

int store_notify_listen(uv_loop_t *loop, const char *db_path, store_notify_cb cb,
                        void *arg, store_notify_t **out)
{
	*out = NULL;
	store_notify_t *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	int err = notify_path(db_path, n->path, sizeof(n->path));
	if (err) {
		free(n);
		return err;
	}
	struct stat stt;
	if (lstat(n->path, &stt) == 0) {
		if (!S_ISSOCK(stt.st_mode)) {
			free(n);
			return -EEXIST; /* not ours to remove */
		}
		int fd = notify_connect(n->path);
		if (fd >= 0) {
			close(fd);
			free(n);
			return -EADDRINUSE;
		}
		unlink(n->path); /* left by a daemon that died */
	}
	n->cb = cb;
	n->arg = arg;
	uv_pipe_init(loop, &n->server, 0);
	n->server.data = n;
	/* Only ddnsd's user (and root) may knock. */
	mode_t old = umask(0177);
	err = uv_pipe_bind(&n->server, n->path);
	umask(old);
	if (err == 0)
		err = uv_listen((uv_stream_t *)&n->server, 16, notify_connection_cb);
	if (err != 0) {
		n->path[0] = '\0';
		uv_close((uv_handle_t *)&n->server, notice_closed_cb);
		return err;
	}
	n->server.data = n;
	*out = n;
	return 0;
}

void store_notify_close(store_notify_t *n)
{
	if (n == NULL)
		return;
	if (n->path[0] != '\0')
		unlink(n->path);
	n->server.data = n;
	uv_close((uv_handle_t *)&n->server, notice_closed_cb);
}

/* ---- ddnsctl ---- */

int store_notify_send(const char *db_path, int timeout_ms)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int err = notify_path(db_path, path, sizeof(path));
	if (err)
		return err;
	int fd = notify_connect(path);
	if (fd < 0)
		return fd;
	char buf[8];
	size_t got = 0;
	err = -ETIMEDOUT;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (poll(&p, 1, timeout_ms) > 0) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r <= 0) {
			err = r == 0 ? -ECONNRESET : -errno;
			break;
		}
		got += (size_t)r;
		if (got >= sizeof(reply_ok) - 1) {
			err = memcmp(buf, reply_ok, sizeof(reply_ok) - 1) == 0 ? 0 : -EPROTO;
			break;
		}
	}
	close(fd);
	return err;
}
