/* ddnsctl status: is ddnsd answering, how many records (per provider), the
 * last applied changes, and the providers whose most recent attempt failed.
 *
 * Everything comes from the store, which ddnsd writes: the history has no
 * provider column, so a row's provider is its record's current one.  The
 * history is walked newest first only until every provider's latest
 * attempt and the last changes are known (bounded by STATUS_SCAN_MAX rows),
 * so a long history costs nothing when providers are busy. */
#include "ddnsctl.h"
#include "store_admin.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STATUS_LAST_CHANGES 5
#define STATUS_PROVIDERS_MAX 256
#define STATUS_SCAN_MAX 100000
#define STATUS_CONNECT_MS 1000

/* One provider: its records and its most recent attempt. */
typedef struct ctl_prov {
	char name[64];
	long records;
	bool decided;             /* latest attempt seen */
	bool failing;
	store_history_t last;     /* that attempt, when failing */
} ctl_prov_t;

typedef struct ctl_status {
	store_t *st;
	ctl_prov_t provs[STATUS_PROVIDERS_MAX];
	size_t n_provs, n_decided;
	long records, rows;
	store_history_t changes[STATUS_LAST_CHANGES];
	size_t n_changes;
	char cached_name[NAME_TEXT_MAX]; /* the last row's record, looked up */
	ctl_prov_t *cached_prov;
} ctl_status_t;

static ctl_prov_t *status_prov(ctl_status_t *s, const char *name, bool add)
{
	for (size_t i = 0; i < s->n_provs; i++)
		if (strcmp(s->provs[i].name, name) == 0)
			return &s->provs[i];
	if (!add || s->n_provs == STATUS_PROVIDERS_MAX)
		return NULL;
	ctl_prov_t *p = &s->provs[s->n_provs++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

static int status_count(const store_record_t *r, void *arg)
{
	ctl_status_t *s = arg;
	ctl_prov_t *p = status_prov(s, r->provider, true);
	s->records++;
	if (p != NULL)
		p->records++;
	return 0;
}

/* A provider's attempt: anything but an abuse refusal (never sent) or an
 * update cut short by a shutdown (the provider was not at fault). */
static bool status_is_attempt(ddns_outcome_t result)
{
	return result != DDNS_OUTCOME_ABUSE && result != DDNS_OUTCOME_CANCELED;
}

static int status_row(const store_history_t *h, void *arg)
{
	ctl_status_t *s = arg;
	bool applied = h->result == DDNS_OUTCOME_APPLIED;
	s->rows++;
	if (strcmp(h->family, STORE_FAMILY_ADMIN) == 0)
		return 0; /* the web admin's own action, not a provider's attempt */
	if (applied && s->n_changes < STATUS_LAST_CHANGES)
		s->changes[s->n_changes++] = *h;
	if (status_is_attempt(h->result) && s->n_decided < s->n_provs) {
		if (strcmp(h->name, s->cached_name) != 0) {
			store_record_t r;
			snprintf(s->cached_name, sizeof(s->cached_name), "%s", h->name);
			/* a removed record's rows say nothing about a provider now */
			s->cached_prov = store_record_get(s->st, h->name, &r) == 0
			                 ? status_prov(s, r.provider, false) : NULL;
		}
		ctl_prov_t *p = s->cached_prov;
		if (p != NULL && !p->decided) {
			p->decided = true;
			s->n_decided++;
			if (!applied) {
				p->failing = true;
				p->last = *h;
			}
		}
	}
	/* stop once nothing more can be learnt */
	return s->n_changes == STATUS_LAST_CHANGES && s->n_decided == s->n_provs;
}

static int status_prov_cmp(const void *a, const void *b)
{
	return strcmp(((const ctl_prov_t *)a)->name, ((const ctl_prov_t *)b)->name);
}

/* Is something answering on ddnsd's first HTTP listener?  A plain
 * connect with a deadline (non-blocking, then poll): cheap, and it needs
 * neither a pid file nor the right to signal ddnsd. */
static const char *status_daemon(const ctl_t *c, char *where, size_t size)
{
	struct sockaddr_storage ss;
	size_t len;
	if (c->conf == NULL || c->conf->n_http_listen == 0)
		return "unknown (no ddns.conf to say where it listens)";
	snprintf(where, size, "%s", c->conf->http_listen[0]);
	if (addr_parse_listen(where, &ss, &len) != 0)
		return "unknown (its listen address cannot be parsed)";
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return "unknown (no socket)";
	const char *what = "not answering on";
	int rc = connect(fd, (struct sockaddr *)&ss, (socklen_t)len);
	if (rc != 0 && errno == EINPROGRESS) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t elen = sizeof(err);
		if (poll(&pfd, 1, STATUS_CONNECT_MS) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0)
			rc = 0;
	}
	if (rc == 0)
		what = "answering on";
	close(fd);
	return what;
}

static void status_print(const ctl_t *c, const ctl_status_t *s)
{
	char where[128] = "", when[32];
	const char *daemon = status_daemon(c, where, sizeof(where));
	printf("ddnsd:             %s%s%s\n", daemon, where[0] ? " " : "", where);

	printf("records:           %ld", s->records);
	for (size_t i = 0; i < s->n_provs; i++)
		printf("%s%s %ld", i == 0 ? " (" : ", ", s->provs[i].name, s->provs[i].records);
	printf("%s\n", s->n_provs > 0 ? ")" : "");

	printf("last changes:%s\n", s->n_changes == 0 ? "      none" : "");
	for (size_t i = 0; i < s->n_changes; i++) {
		const store_history_t *h = &s->changes[i];
		ctl_time(h->time, when);
		printf("  %-20s  %s  %s  %s -> %s  client %s\n", when, h->name, h->family,
		       h->old_ip[0] ? h->old_ip : "-", h->new_ip[0] ? h->new_ip : "-",
		       h->client[0] ? h->client : "-");
	}

	size_t n_failing = 0;
	for (size_t i = 0; i < s->n_provs; i++)
		n_failing += s->provs[i].failing;
	printf("failing providers:%s\n", n_failing == 0 ? " none" : "");
	for (size_t i = 0; i < s->n_provs; i++) {
		const ctl_prov_t *p = &s->provs[i];
		if (!p->failing)
			continue;
		ctl_time(p->last.time, when);
		printf("  %s: %s at %s (%s %s -> %s)%s%s\n", p->name,
		       ddns_outcome_name(p->last.result), when,
		       p->last.name, p->last.family, p->last.new_ip[0] ? p->last.new_ip : "-",
		       p->last.message[0] ? ": " : "", p->last.message);
	}
	if (s->rows >= STATUS_SCAN_MAX && s->n_decided < s->n_provs)
		printf("(providers with no attempt in the last %d history rows are not "
		       "counted as failing)\n", STATUS_SCAN_MAX);
}

int ctl_cmd_status(ctl_t *c, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return ctl_usage();
	ctl_status_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		ctl_error("status: %s", strerror(ENOMEM));
		return CTL_FAIL;
	}
	int rc = CTL_FAIL;
	s->st = c->st;
	if (store_record_foreach(c->st, NULL, status_count, s) != 0)
		goto out;
	qsort(s->provs, s->n_provs, sizeof(s->provs[0]), status_prov_cmp);
	int err = store_history_foreach(c->st, NULL, STATUS_SCAN_MAX, status_row, s);
	if (err < 0)
		goto out;
	status_print(c, s);
	rc = CTL_OK;
out:
	free(s);
	return rc;
}
