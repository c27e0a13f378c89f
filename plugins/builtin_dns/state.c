/**
 * @file state.c
 * @brief builtin_dns: serials and the journal across restarts (state.h).
 */
#include "state.h"
#include "fnv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SERIALS_FILE "serials"
#define JOURNAL_FILE "journal"
#define DNSSEC_FILE "dnssec"
#define SERIALS_MAGIC "ddnsd builtin_dns serials 1\n"

/* A zone's stored serial. */
typedef struct stored {
	knot_dname_t *apex;
	uint32_t serial;
	uint64_t digest;
} stored_t;

/* A file to write, the newest content only. */
typedef struct pending_file {
	uint8_t *buf;
	size_t len;
	bool dirty;
	char *remove_after; /* a path to remove once this is written */
} pending_file_t;

struct dns_state {
	dns_state_t *next;     /* the states open in this process */
	char *dir;
	unsigned refs;
	dns_journal_t *journal;
	stored_t *zones;
	size_t n_zones;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	pending_file_t serials, journal_file, dnssec_file; /* under lock */
	char *dnssec;          /* the key timelines (roll.h), the newest; loop only */
	char failed[512];      /* under lock: the last write that failed, unreported */
};

/* Loop thread only: the module's instances all run there. */
static dns_state_t *open_states;

/* ---- the writer thread ---- */

static int write_file(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096], tmp[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	size_t off = 0;
	int ret = 0;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (ret == 0 && fsync(fd) != 0)
		ret = -errno;
	close(fd);
	if (ret == 0 && rename(tmp, path) != 0)
		ret = -errno;
	if (ret != 0)
		unlink(tmp);
	return ret;
}

static void *writer_main(void *arg)
{
	dns_state_t *st = arg;
	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (!st->stop && !st->serials.dirty && !st->journal_file.dirty &&
		       !st->dnssec_file.dirty)
			pthread_cond_wait(&st->cond, &st->lock);
		/* The journal first: serials that name a step it lacks only cost
		 * an AXFR, the other way round nothing worse either. */
		pending_file_t *f = st->journal_file.dirty ? &st->journal_file
		                  : st->serials.dirty ? &st->serials
		                  : st->dnssec_file.dirty ? &st->dnssec_file : NULL;
		if (f == NULL)
			break; /* stop, and nothing left */
		const char *name = f == &st->serials ? SERIALS_FILE
		                 : f == &st->journal_file ? JOURNAL_FILE : DNSSEC_FILE;
		uint8_t *buf = f->buf;
		size_t len = f->len;
		char *remove_after = f->remove_after;
		f->buf = NULL;
		f->remove_after = NULL;
		f->dirty = false;
		pthread_mutex_unlock(&st->lock);
		int ret = write_file(st->dir, name, buf, len);
		free(buf);
		/* A key file goes only once the timeline without it is on disk:
		 * a crash before leaves a timeline that still names a file. */
		char failed[512] = "";
		for (char *p = remove_after, *nl; ret == 0 && p != NULL && *p; p = nl) {
			if ((nl = strchr(p, '\n')) != NULL)
				*nl++ = '\0';
			if (unlink(p) != 0 && errno != ENOENT)
				snprintf(failed, sizeof(failed), "%s: cannot remove: %s", p,
				         strerror(errno));
		}
		free(remove_after);
		pthread_mutex_lock(&st->lock);
		if (ret != 0) /* the loop logs it (dns_state_save()) */
			snprintf(st->failed, sizeof(st->failed), "%s/%s: cannot write: %s",
			         st->dir, name, strerror(-ret));
		else if (failed[0] != '\0')
			snprintf(st->failed, sizeof(st->failed), "%s", failed);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* ---- reading ---- */

static int read_file(const char *dir, const char *name, uint8_t **buf, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (64 << 20)) {
		close(fd);
		return -EINVAL;
	}
	*buf = malloc((size_t)sb.st_size + 1);
	size_t off = 0;
	while (*buf != NULL && off < (size_t)sb.st_size) {
		ssize_t n = read(fd, *buf + off, (size_t)sb.st_size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (*buf == NULL)
		return -ENOMEM;
	(*buf)[off] = '\0';
	*len = off;
	return 0;
}

/* "apex serial digest" lines after the magic line. */
static int parse_serials(dns_state_t *st, char *text)
{
	if (strncmp(text, SERIALS_MAGIC, strlen(SERIALS_MAGIC)) != 0)
		return -EINVAL;
	char *save = NULL;
	for (char *line = strtok_r(text + strlen(SERIALS_MAGIC), "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[KNOT_DNAME_TXT_MAXLEN + 1];
		uint32_t serial;
		uint64_t digest;
		knot_dname_storage_t apex;
		if (sscanf(line, "%255s %" SCNu32 " %" SCNx64, name, &serial, &digest) != 3 ||
		    knot_dname_from_str(apex, name, sizeof(apex)) == NULL)
			return -EINVAL;
		stored_t *v = realloc(st->zones, (st->n_zones + 1) * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		st->zones = v;
		if ((v[st->n_zones].apex = knot_dname_copy(apex, NULL)) == NULL)
			return -ENOMEM;
		v[st->n_zones].serial = serial;
		v[st->n_zones++].digest = digest;
	}
	return 0;
}

/* Move a file we cannot read aside, so it is kept for a look and not
 * overwritten unseen. */
static void set_aside(const char *dir, const char *name, char *warn, size_t warn_len)
{
	char path[4096], bad[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	rename(path, bad);
	size_t used = strlen(warn);
	snprintf(warn + used, warn_len - used, "%s%s: not a file of this version, moved to %s",
	         used ? "; " : "", path, bad);
}

/* A file there but unreadable (a permission gone wrong): serving goes on
 * as after a first start, and the next save replaces it. */
static void cannot_read(const char *dir, const char *name, int err, char *warn, size_t warn_len)
{
	size_t used = strlen(warn);
	snprintf(warn + used, warn_len - used, "%s%s/%s: cannot read: %s; starting without it",
	         used ? "; " : "", dir, name, strerror(-err));
}

static int load(dns_state_t *st, char *warn, size_t warn_len)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = read_file(st->dir, SERIALS_FILE, &buf, &len);
	if (ret == 0) {
		ret = parse_serials(st, (char *)buf);
		free(buf);
		if (ret == -EINVAL) {
			for (size_t i = 0; i < st->n_zones; i++)
				free(st->zones[i].apex);
			st->n_zones = 0;
			set_aside(st->dir, SERIALS_FILE, warn, warn_len);
			ret = 0;
		}
	}
	if (ret == -ENOMEM)
		return ret;
	if (ret != 0 && ret != -ENOENT)
		cannot_read(st->dir, SERIALS_FILE, ret, warn, warn_len);
	ret = read_file(st->dir, JOURNAL_FILE, &buf, &len);
	if (ret == 0) {
		ret = dns_journal_load(st->journal, buf, len);
		free(buf);
		if (ret == -EINVAL) {
			set_aside(st->dir, JOURNAL_FILE, warn, warn_len);
			ret = 0;
		}
	}
	if (ret == -ENOMEM)
		return ret;
	if (ret != 0 && ret != -ENOENT)
		cannot_read(st->dir, JOURNAL_FILE, ret, warn, warn_len);
	/* The key timelines are checked by their reader (dnssec.c), which
	 * can say which line is wrong; a bad one stops the start there. */
	ret = read_file(st->dir, DNSSEC_FILE, &buf, &len);
	if (ret == 0)
		st->dnssec = (char *)buf;
	if (ret == -ENOMEM)
		return ret;
	if (ret != 0 && ret != -ENOENT)
		cannot_read(st->dir, DNSSEC_FILE, ret, warn, warn_len);
	return 0;
}

/* ---- the shared object ---- */

static void state_free(dns_state_t *st)
{
	for (size_t i = 0; i < st->n_zones; i++)
		free(st->zones[i].apex);
	free(st->zones);
	dns_journal_free(st->journal);
	free(st->serials.buf);
	free(st->journal_file.buf);
	free(st->dnssec_file.buf);
	free(st->dnssec_file.remove_after);
	free(st->dnssec);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->cond);
	free(st->dir);
	free(st);
}

int dns_state_open(const char *dir, size_t journal_max, dns_state_t **out, char *err,
                   size_t err_len, char *warn, size_t warn_len)
{
	if (warn_len > 0)
		warn[0] = '\0';
	for (dns_state_t *st = open_states; st != NULL; st = st->next)
		if (strcmp(st->dir, dir) == 0) {
			st->refs++;
			st->journal->max = journal_max; /* the new instance's setting */
			*out = st;
			return 0;
		}
	dns_state_t *st = calloc(1, sizeof(*st));
	if (st == NULL || (st->dir = strdup(dir)) == NULL ||
	    dns_journal_new(journal_max, &st->journal) != 0) {
		if (st != NULL) {
			free(st->dir);
			free(st);
		}
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	int ret = load(st, warn, warn_len);
	if (ret == 0 && (ret = -pthread_create(&st->thread, NULL, writer_main, st)) != 0)
		snprintf(err, err_len, "cannot start its writer thread: %s", strerror(-ret));
	else if (ret != 0)
		snprintf(err, err_len, "%s: cannot read: %s", dir, strerror(-ret));
	if (ret != 0) {
		state_free(st);
		return ret;
	}
	st->refs = 1;
	st->next = open_states;
	open_states = st;
	*out = st;
	return 0;
}

void dns_state_close(dns_state_t *st)
{
	if (st == NULL || --st->refs > 0)
		return;
	for (dns_state_t **pp = &open_states; *pp; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	pthread_mutex_lock(&st->lock);
	st->stop = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->thread, NULL);
	state_free(st);
}

bool dns_state_shared(const dns_state_t *st)
{
	return st->refs > 1;
}

dns_journal_t *dns_state_journal(dns_state_t *st)
{
	return st->journal;
}

static const stored_t *stored_zone(const dns_state_t *st, const knot_dname_t *apex)
{
	for (size_t i = 0; i < st->n_zones; i++)
		if (knot_dname_is_equal(st->zones[i].apex, apex))
			return &st->zones[i];
	return NULL;
}

void dns_state_restore_serials(const dns_state_t *st, dns_db_t *db, uint32_t now)
{
	for (size_t i = 0; i < db->n_zones; i++) {
		dns_zone_t *z = &db->zones[i];
		const stored_t *s = stored_zone(st, z->apex);
		if (s == NULL)
			continue;
		if (s->digest == dns_zone_digest(db, z)) {
			dns_zone_set_serial(z, s->serial);
		} else {
			dns_zone_set_serial(z, s->serial);
			dns_zone_touch(z, now); /* max(stored + 1, now) */
		}
	}
}

static void hand_over(dns_state_t *st, pending_file_t *f, uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&st->lock);
	free(f->buf); /* an older content not written yet: superseded */
	f->buf = buf;
	f->len = len;
	f->dirty = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

void dns_state_take_error(dns_state_t *st, char *err, size_t err_len)
{
	err[0] = '\0';
	pthread_mutex_lock(&st->lock);
	if (st->failed[0] != '\0') {
		snprintf(err, err_len, "%s", st->failed);
		st->failed[0] = '\0';
	}
	pthread_mutex_unlock(&st->lock);
}

int dns_state_save(dns_state_t *st, const dns_db_t *db, char *err, size_t err_len)
{
	dns_state_take_error(st, err, err_len);
	/* The serial table: what db has, plus stored zones it does not serve
	 * (a zone taken out of the config and put back keeps going up). */
	for (size_t i = 0; i < db->n_zones; i++) {
		const dns_zone_t *z = &db->zones[i];
		stored_t *s = (stored_t *)stored_zone(st, z->apex);
		if (s == NULL) {
			stored_t *v = realloc(st->zones, (st->n_zones + 1) * sizeof(*v));
			if (v == NULL)
				return -ENOMEM;
			st->zones = v;
			s = &v[st->n_zones];
			if ((s->apex = knot_dname_copy(z->apex, NULL)) == NULL)
				return -ENOMEM;
			st->n_zones++;
		}
		s->serial = z->serial;
		s->digest = dns_zone_digest(db, z);
	}
	size_t cap = strlen(SERIALS_MAGIC) + st->n_zones * (KNOT_DNAME_TXT_MAXLEN + 40) + 1;
	char *text = malloc(cap);
	if (text == NULL)
		return -ENOMEM;
	size_t len = (size_t)snprintf(text, cap, "%s", SERIALS_MAGIC);
	for (size_t i = 0; i < st->n_zones; i++) {
		char name[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(name, st->zones[i].apex, sizeof(name));
		len += (size_t)snprintf(text + len, cap - len, "%s %" PRIu32 " %016" PRIx64 "\n",
		                        name, st->zones[i].serial, st->zones[i].digest);
	}
	uint8_t *jbuf;
	size_t jlen;
	if (dns_journal_save(st->journal, &jbuf, &jlen) != 0) {
		free(text);
		return -ENOMEM;
	}
	hand_over(st, &st->journal_file, jbuf, jlen);
	hand_over(st, &st->serials, (uint8_t *)text, len);
	return 0;
}

const char *dns_state_dnssec(const dns_state_t *st)
{
	return st->dnssec != NULL ? st->dnssec : "";
}

int dns_state_set_dnssec(dns_state_t *st, const char *text, const char *remove_after)
{
	char *mine = strdup(text), *file = strdup(text);
	if (mine == NULL || file == NULL) {
		free(mine);
		free(file);
		return -ENOMEM;
	}
	pthread_mutex_lock(&st->lock);
	/* A removal still pending stays one: this timeline does not name
	 * that key either (a key once gone never comes back). */
	const char *old = st->dnssec_file.remove_after;
	if (remove_after != NULL) {
		size_t ol = old != NULL ? strlen(old) : 0, nl = strlen(remove_after);
		char *rm = malloc(ol + nl + 2);
		if (rm == NULL) {
			pthread_mutex_unlock(&st->lock);
			free(mine);
			free(file);
			return -ENOMEM;
		}
		snprintf(rm, ol + nl + 2, "%s%s%s", old != NULL ? old : "", ol ? "\n" : "",
		         remove_after);
		free(st->dnssec_file.remove_after);
		st->dnssec_file.remove_after = rm;
	}
	pthread_mutex_unlock(&st->lock);
	free(st->dnssec);
	st->dnssec = mine;
	hand_over(st, &st->dnssec_file, (uint8_t *)file, strlen(file));
	return 0;
}

/* ---- the digest ---- */

/* The sum of every RR's hash: the order of the table does not matter. */
static uint64_t rrset_digest(const knot_rrset_t *rr, size_t skip_serial_at)
{
	uint64_t sum = 0;
	knot_rdata_t *rd = rr->rrs.rdata;
	for (uint16_t i = 0; i < rr->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		uint64_t h = dns_fnv(DNS_FNV_BASIS, rr->owner, knot_dname_size(rr->owner));
		uint8_t meta[6];
		knot_wire_write_u16(meta, rr->type);
		knot_wire_write_u32(meta + 2, rr->ttl);
		h = dns_fnv(h, meta, sizeof(meta));
		if (skip_serial_at > 0 && rd->len >= skip_serial_at + 4) {
			h = dns_fnv(h, rd->data, skip_serial_at);
			h = dns_fnv(h, rd->data + skip_serial_at + 4, rd->len - skip_serial_at - 4);
		} else {
			h = dns_fnv(h, rd->data, rd->len);
		}
		sum += h;
	}
	return sum;
}

uint64_t dns_zone_digest(const dns_db_t *db, const dns_zone_t *z)
{
	const knot_rdata_t *soa = z->soa.rrs.rdata;
	uint64_t sum = rrset_digest(&z->soa, soa->len >= 20 ? soa->len - 20u : 0) +
	               rrset_digest(&z->ns, 0);
	for (size_t b = 0; b < db->n_buckets; b++)
		for (const dns_node_t *n = db->buckets[b]; n; n = n->next)
			if (n->zone == z)
				sum += rrset_digest(&n->a, 0) + rrset_digest(&n->aaaa, 0) +
				       rrset_digest(&n->txt, 0);
	return sum;
}
