/* Unit tests for the store (daemon/store/store*.c) on real sqlite files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_int.h" /* store_begin/store_end */

#define HASH_A "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HASH_B "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct fixture {
	char dir[64];
	char path[96];
	store_t *st;
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/ddns-test-store.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/ddns.sqlite", f->dir);
	if (store_open(f->path, &f->st) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	store_close(f->st);
	const char *suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[128];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static store_record_t make_rec(const char *name, const char *provider, const char *hash,
                               store_source_t src)
{
	store_record_t r;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.provider, sizeof(r.provider), "%s", provider);
	snprintf(r.key_hash, sizeof(r.key_hash), "%s", hash);
	r.source = src;
	return r;
}

/* Run @p sql on a second, raw connection to the same file. */
static void raw_exec(const fixture_t *f, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static char *raw_text(const fixture_t *f, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	char *out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

static void test_open_migrate(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(store_schema_version(f->st), 4);
	char *mode = raw_text(f, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	char *idx = raw_text(f, "SELECT sql FROM sqlite_master WHERE name = 'history_name_time'");
	assert_non_null(strstr(idx, "history (name, time)"));
	free(idx);

	store_record_t r = make_rec("a.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	assert_int_equal(store_record_add(f->st, &r), 0);
	/* both durability settings take, and commits go on under each */
	assert_int_equal(store_set_sync(f->st, false), 0);
	assert_int_equal(store_commit_update(f->st, "a.example.com", "192.0.2.1", NULL, 1,
	                                     "192.0.2.1", "ok"), 0);
	assert_int_equal(store_set_sync(f->st, true), 0);

	store_close(f->st);
	f->st = NULL;

	/* re-open: no migration re-run, data kept */
	assert_int_equal(store_open(f->path, &f->st), 0);
	assert_int_equal(store_schema_version(f->st), 4);
	assert_int_equal(store_record_count(f->st), 1);
}

static void test_open_refuses(void **state)
{
	fixture_t *f = *state;
	store_t *st = NULL;
	/* a schema from the future */
	raw_exec(f, "PRAGMA user_version = 99");
	assert_int_equal(store_open(f->path, &st), -EPROTO);
	assert_null(st);
	raw_exec(f, "PRAGMA user_version = 2");

	/* a folder that does not exist */
	char p[160];
	snprintf(p, sizeof(p), "%s/missing/ddns.sqlite", f->dir);
	assert_int_equal(store_open(p, &st), -ENOENT);
	assert_null(st);

	/* a file that is not a database */
	snprintf(p, sizeof(p), "%s/junk", f->dir);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an sqlite database\n", fp);
	fclose(fp);
	assert_int_equal(store_open(p, &st), -EIO);
	assert_null(st);
	unlink(p);
}

static unsigned file_mode(const char *path, const char *suffix)
{
	char p[160];
	struct stat st;
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	if (stat(p, &st) != 0)
		return 01000; /* missing */
	return st.st_mode & 07777;
}

/* The database and its -wal and -shm are 0600 whatever the umask, and
 * looser ones left from before are tightened at open. */
static void test_file_modes(void **state)
{
	fixture_t *f = *state;
	store_close(f->st);
	f->st = NULL;
	const char *suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	mode_t old = umask(0);  /* the loosest umask there is */
	assert_int_equal(store_open(f->path, &f->st), 0);
	store_record_t r = make_rec("a.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	assert_int_equal(store_record_add(f->st, &r), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(file_mode(f->path, suffix[i]), 0600);
	store_close(f->st);
	f->st = NULL;
	umask(old);

	/* a store some other program left readable: tightened at open */
	for (size_t i = 0; i < 3; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		if (file_mode(f->path, suffix[i]) != 01000)
			assert_int_equal(chmod(p, 0664), 0);
	}
	assert_int_equal(file_mode(f->path, ""), 0664);
	assert_int_equal(store_open(f->path, &f->st), 0);
	for (size_t i = 0; i < 3; i++)
		if (file_mode(f->path, suffix[i]) != 01000)
			assert_int_equal(file_mode(f->path, suffix[i]), 0600);
	assert_int_equal(store_record_count(f->st), 1);
}

static void test_add_get_delete(void **state)
{
	fixture_t *f = *state;
	store_record_t r = make_rec("a.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	snprintf(r.lan_ipv4, sizeof(r.lan_ipv4), "192.168.1.10");
	assert_int_equal(store_record_add(f->st, &r), 0);
	assert_int_equal(store_record_add(f->st, &r), -EEXIST);

	store_record_t got;
	assert_int_equal(store_record_get(f->st, "a.example.com", &got), 0);
	assert_string_equal(got.name, "a.example.com");
	assert_string_equal(got.provider, "dummy");
	assert_string_equal(got.key_hash, HASH_A);
	assert_string_equal(got.lan_ipv4, "192.168.1.10");
	assert_string_equal(got.ipv4, "");
	assert_int_equal(got.source, STORE_SRC_CTL);
	assert_int_equal(got.last_change, 0);
	assert_int_equal(store_record_get(f->st, "b.example.com", &got), -ENOENT);

	assert_int_equal(store_record_set_key(f->st, "a.example.com", HASH_B), 0);
	assert_int_equal(store_record_get(f->st, "a.example.com", &got), 0);
	assert_string_equal(got.key_hash, HASH_B);
	assert_int_equal(store_record_set_key(f->st, "b.example.com", HASH_B), -ENOENT);
	assert_int_equal(store_record_set_key(f->st, "a.example.com", "sha256:00"), -EINVAL);

	store_record_t bad = make_rec("c.example.com", "dummy", "plaintext-key", STORE_SRC_CTL);
	assert_int_equal(store_record_add(f->st, &bad), -EINVAL);

	assert_int_equal(store_record_count(f->st), 1);
	assert_int_equal(store_record_delete(f->st, "a.example.com"), 0);
	assert_int_equal(store_record_delete(f->st, "a.example.com"), -ENOENT);
	assert_int_equal(store_record_count(f->st), 0);
}

typedef struct collect {
	char names[8][NAME_TEXT_MAX];
	int n;
	int stop_at;
} collect_t;

static int collect_cb(const store_record_t *rec, void *arg)
{
	collect_t *c = arg;
	snprintf(c->names[c->n], NAME_TEXT_MAX, "%s", rec->name);
	c->n++;
	return c->n == c->stop_at ? 42 : 0;
}

static void test_foreach(void **state)
{
	fixture_t *f = *state;
	const char *names[] = { "c.example.com", "a.example.com", "b.example.com", "d.example.com" };
	const char *prov[] = { "do", "home", "do", "home" };
	for (int i = 0; i < 4; i++) {
		store_record_t r = make_rec(names[i], prov[i], HASH_A, STORE_SRC_CTL);
		assert_int_equal(store_record_add(f->st, &r), 0);
	}
	collect_t c = { .stop_at = -1 };
	assert_int_equal(store_record_foreach(f->st, NULL, collect_cb, &c), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.names[0], "a.example.com");
	assert_string_equal(c.names[3], "d.example.com");

	memset(&c, 0, sizeof(c));
	c.stop_at = -1;
	assert_int_equal(store_record_foreach(f->st, "do", collect_cb, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.names[0], "b.example.com");
	assert_string_equal(c.names[1], "c.example.com");

	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	assert_int_equal(store_record_foreach(f->st, NULL, collect_cb, &c), 42);
	assert_int_equal(c.n, 2);

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_record_foreach(f->st, "none", collect_cb, &c), 0);
	assert_int_equal(c.n, 0);
}

/* store_reconcile_config() of records written as store_record_t, as
 * ddns.conf would give them. */
static int reconcile(store_t *st, const store_record_t *recs, size_t n, store_names_t *t)
{
	store_conf_record_t c[8];
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		c[i] = (store_conf_record_t){ recs[i].name, recs[i].provider, recs[i].key_hash,
		                              recs[i].lan_ipv4, recs[i].lan_ipv6 };
	return store_reconcile_config(st, n > 0 ? c : NULL, n, t);
}

static void test_reconcile(void **state)
{
	fixture_t *f = *state;
	store_record_t ctl = make_rec("ctl.example.com", "do", HASH_A, STORE_SRC_CTL);
	store_record_t taken = make_rec("taken.example.com", "do", HASH_A, STORE_SRC_CTL);
	assert_int_equal(store_record_add(f->st, &ctl), 0);
	assert_int_equal(store_record_add(f->st, &taken), 0);

	store_record_t conf[3] = {
		make_rec("one.example.com", "home", HASH_A, STORE_SRC_CONFIG),
		make_rec("two.example.com", "home", HASH_A, STORE_SRC_CONFIG),
		make_rec("taken.example.com", "home", HASH_B, STORE_SRC_CONFIG),
	};
	snprintf(conf[0].lan_ipv4, ADDR_TEXT_MAX, "10.0.0.1");
	assert_int_equal(reconcile(f->st, conf, 3, NULL), 0);
	assert_int_equal(store_record_count(f->st), 4);

	store_record_t got;
	assert_int_equal(store_record_get(f->st, "one.example.com", &got), 0);
	assert_int_equal(got.source, STORE_SRC_CONFIG);
	assert_string_equal(got.lan_ipv4, "10.0.0.1");
	/* takeover: source, provider and key now from the config */
	assert_int_equal(store_record_get(f->st, "taken.example.com", &got), 0);
	assert_int_equal(got.source, STORE_SRC_CONFIG);
	assert_string_equal(got.provider, "home");
	assert_string_equal(got.key_hash, HASH_B);

	/* an address learnt meanwhile survives a reconcile that changes the key */
	assert_int_equal(store_commit_update(f->st, "one.example.com", "203.0.113.1", NULL,
	                                     1000, "203.0.113.1", ""), 0);
	conf[0] = make_rec("one.example.com", "home2", HASH_B, STORE_SRC_CONFIG);
	/* two.example.com dropped from the config */
	assert_int_equal(reconcile(f->st, conf, 1, NULL), 0);
	assert_int_equal(store_record_get(f->st, "one.example.com", &got), 0);
	assert_string_equal(got.provider, "home2");
	assert_string_equal(got.key_hash, HASH_B);
	assert_string_equal(got.ipv4, "203.0.113.1");
	assert_string_equal(got.lan_ipv4, "");
	assert_int_equal(got.last_change, 1000);
	assert_int_equal(store_record_get(f->st, "two.example.com", &got), -ENOENT);
	assert_int_equal(store_record_get(f->st, "taken.example.com", &got), -ENOENT);
	/* ddnsctl's own records are never touched */
	assert_int_equal(store_record_get(f->st, "ctl.example.com", &got), 0);
	assert_int_equal(got.source, STORE_SRC_CTL);

	/* a bad entry rolls the whole reconcile back */
	store_record_t broken[2] = {
		make_rec("new.example.com", "home", HASH_A, STORE_SRC_CONFIG),
		make_rec("bad.example.com", "home", "nohash", STORE_SRC_CONFIG),
	};
	assert_int_equal(reconcile(f->st, broken, 2, NULL), -EINVAL);
	assert_int_equal(store_record_get(f->st, "new.example.com", &got), -ENOENT);
	assert_int_equal(store_record_get(f->st, "one.example.com", &got), 0);

	/* empty config: all config rows go, ctl rows stay */
	assert_int_equal(reconcile(f->st, NULL, 0, NULL), 0);
	assert_int_equal(store_record_count(f->st), 1);
}

static bool names_have(const store_names_t *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

/* The reconcile is a merge of the sorted config against the table: names
 * given in any order, removals and additions interleaved with unchanged
 * rows and a ddnsctl row among them, all land exactly. */
static void test_reconcile_merge(void **state)
{
	fixture_t *f = *state;
	enum { N = 300 };
	static char names[N + 40][32];
	store_conf_record_t c[N + 40];
	size_t n = 0;
	/* a ddnsctl row whose name falls between config names */
	store_record_t ctl = make_rec("h150x.example.com", "do", HASH_A, STORE_SRC_CTL);
	assert_int_equal(store_record_add(f->st, &ctl), 0);
	for (int i = 0; i < N; i++) {
		int k = (i * 7919) % N; /* a shuffled order */
		snprintf(names[n], sizeof(names[n]), "h%03d.example.com", k);
		c[n++] = (store_conf_record_t){ names[n - 1], "home", HASH_A, "", "" };
	}
	assert_int_equal(store_reconcile_config(f->st, c, n, NULL), 0);
	assert_int_equal(store_record_count(f->st), N + 1);

	/* drop every 7th, rekey every 5th, add 30 between the others and take
	 * the ddnsctl row over */
	n = 0;
	for (int i = N - 1; i >= 0; i--) {
		if (i % 7 == 0)
			continue;
		snprintf(names[n], sizeof(names[n]), "h%03d.example.com", i);
		c[n++] = (store_conf_record_t){ names[n - 1], "home",
		                                 i % 5 == 0 ? HASH_B : HASH_A, "", "" };
		if (i % 10 == 3) {
			snprintf(names[n], sizeof(names[n]), "h%03da.example.com", i);
			c[n++] = (store_conf_record_t){ names[n - 1], "home", HASH_A, "", "" };
		}
	}
	c[n++] = (store_conf_record_t){ "h150x.example.com", "home", HASH_B, "", "" };
	store_names_t t = { 0 };
	assert_int_equal(store_reconcile_config(f->st, c, n, &t), 0);
	/* 43 removed; 60 rekeyed, 9 of them removed; 30 added, 4 of them next to a
	 * removed one (so not); 1 taken over */
	assert_int_equal(t.n, 43 + 51 + 26 + 1);
	assert_int_equal(store_record_count(f->st), n);
	store_record_t got;
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "h%03d.example.com", i);
		int rc = store_record_get(f->st, name, &got);
		if (i % 7 == 0) {
			assert_int_equal(rc, -ENOENT);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(got.key_hash, i % 5 == 0 ? HASH_B : HASH_A);
		assert_int_equal(names_have(&t, name), i % 5 == 0);
	}
	assert_int_equal(store_record_get(f->st, "h293a.example.com", &got), 0);
	assert_int_equal(store_record_get(f->st, "h150x.example.com", &got), 0);
	assert_int_equal(got.source, STORE_SRC_CONFIG);
	assert_string_equal(got.key_hash, HASH_B);
	store_names_clear(&t);
	/* the same again: nothing to do */
	assert_int_equal(store_reconcile_config(f->st, c, n, &t), 0);
	assert_int_equal(t.n, 0);
}

/* A reconcile names exactly what it added, changed or removed, so the
 * daemon can apply a reload record by record. */
static void test_reconcile_touched(void **state)
{
	fixture_t *f = *state;
	store_record_t conf[3] = {
		make_rec("same.example.com", "home", HASH_A, STORE_SRC_CONFIG),
		make_rec("lan.example.com", "home", HASH_A, STORE_SRC_CONFIG),
		make_rec("gone.example.com", "home", HASH_A, STORE_SRC_CONFIG),
	};
	store_names_t t = { 0 };
	assert_int_equal(reconcile(f->st, conf, 3, &t), 0);
	assert_int_equal(t.n, 3); /* all new */
	store_names_clear(&t);
	assert_int_equal(reconcile(f->st, conf, 3, &t), 0);
	assert_int_equal(t.n, 0); /* nothing changed: nothing written */
	snprintf(conf[1].lan_ipv4, ADDR_TEXT_MAX, "10.0.0.2");
	conf[2] = make_rec("new.example.com", "home", HASH_A, STORE_SRC_CONFIG);
	assert_int_equal(reconcile(f->st, conf, 3, &t), 0);
	assert_int_equal(t.n, 3);
	assert_true(names_have(&t, "lan.example.com"));
	assert_true(names_have(&t, "gone.example.com"));
	assert_true(names_have(&t, "new.example.com"));
	assert_false(names_have(&t, "same.example.com"));
	store_names_clear(&t);
	store_names_clear(&t); /* and again: empty, fine */
	assert_int_equal(t.n, 0);
}

typedef struct hist_list {
	store_history_t rows[16];
	int n;
} hist_list_t;

static int hist_cb(const store_history_t *h, void *arg)
{
	hist_list_t *l = arg;
	if (l->n < 16)
		l->rows[l->n] = *h;
	l->n++;
	return 0;
}

static void test_commit_update(void **state)
{
	fixture_t *f = *state;
	store_record_t r = make_rec("a.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	assert_int_equal(store_record_add(f->st, &r), 0);

	assert_int_equal(store_commit_update(f->st, "a.example.com", "198.51.100.1",
	                                     "2001:db8::1", 500, "198.51.100.1", "ok"), 0);
	store_record_t got;
	assert_int_equal(store_record_get(f->st, "a.example.com", &got), 0);
	assert_string_equal(got.ipv4, "198.51.100.1");
	assert_string_equal(got.ipv6, "2001:db8::1");
	assert_int_equal(got.last_change, 500);

	hist_list_t l = { 0 };
	assert_int_equal(store_history_foreach(f->st, "a.example.com", 10, hist_cb, &l), 0);
	assert_int_equal(l.n, 2);
	/* same second: the later row (ipv6) first */
	assert_string_equal(l.rows[0].family, "ipv6");
	assert_string_equal(l.rows[1].family, "ipv4");
	assert_string_equal(l.rows[1].old_ip, "");
	assert_string_equal(l.rows[1].new_ip, "198.51.100.1");
	assert_string_equal(l.rows[1].client, "198.51.100.1");
	assert_string_equal(ddns_outcome_name(l.rows[1].result), "applied");
	assert_string_equal(l.rows[1].message, "ok");

	/* one family only: the other is left alone, one history row */
	assert_int_equal(store_commit_update(f->st, "a.example.com", "198.51.100.2", NULL,
	                                     600, NULL, NULL), 0);
	assert_int_equal(store_record_get(f->st, "a.example.com", &got), 0);
	assert_string_equal(got.ipv4, "198.51.100.2");
	assert_string_equal(got.ipv6, "2001:db8::1");
	assert_int_equal(got.last_change, 600);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_history_foreach(f->st, NULL, -1, hist_cb, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.rows[0].old_ip, "198.51.100.1");
	assert_string_equal(l.rows[0].new_ip, "198.51.100.2");

	/* the same address again changes nothing and adds no row */
	assert_int_equal(store_commit_update(f->st, "a.example.com", "198.51.100.2", NULL,
	                                     700, NULL, NULL), 0);
	assert_int_equal(store_record_get(f->st, "a.example.com", &got), 0);
	assert_int_equal(got.last_change, 600);

	/* refused input, unknown record */
	assert_int_equal(store_commit_update(f->st, "a.example.com", "2001:db8::2", NULL,
	                                     800, NULL, NULL), -EINVAL);
	assert_int_equal(store_commit_update(f->st, "a.example.com", NULL, "2001:DB8::2",
	                                     800, NULL, NULL), -EINVAL);
	assert_int_equal(store_commit_update(f->st, "a.example.com", "1.2.3", NULL,
	                                     800, NULL, NULL), -EINVAL);
	assert_int_equal(store_commit_update(f->st, "x.example.com", "192.0.2.1", NULL,
	                                     800, NULL, NULL), -ENOENT);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_history_foreach(f->st, NULL, -1, hist_cb, &l), 0);
	assert_int_equal(l.n, 3);
}

/* If the history row cannot be written, the address is not stored either. */
static void test_commit_update_atomic(void **state)
{
	fixture_t *f = *state;
	store_record_t r = make_rec("a.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	assert_int_equal(store_record_add(f->st, &r), 0);
	assert_int_equal(store_commit_update(f->st, "a.example.com", "192.0.2.1", NULL,
	                                     100, NULL, NULL), 0);
	raw_exec(f, "CREATE TRIGGER history_boom BEFORE INSERT ON history"
	            " WHEN NEW.message = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
	assert_int_not_equal(store_commit_update(f->st, "a.example.com", "192.0.2.2", NULL,
	                                         200, NULL, "boom"), 0);
	store_record_t got;
	assert_int_equal(store_record_get(f->st, "a.example.com", &got), 0);
	assert_string_equal(got.ipv4, "192.0.2.1");
	assert_int_equal(got.last_change, 100);
	/* and the store still works afterwards (no transaction left open) */
	assert_int_equal(store_commit_update(f->st, "a.example.com", "192.0.2.3", NULL,
	                                     300, NULL, "fine"), 0);
	assert_int_equal(store_record_get(f->st, "a.example.com", &got), 0);
	assert_string_equal(got.ipv4, "192.0.2.3");
}

static void test_history(void **state)
{
	fixture_t *f = *state;
	store_history_t h;
	const char *names[] = { "a.example.com", "b.example.com", "a.example.com", "a.example.com" };
	const int64_t times[] = { 10, 20, 30, 5 };
	for (int i = 0; i < 4; i++) {
		memset(&h, 0, sizeof(h));
		h.time = times[i];
		snprintf(h.name, sizeof(h.name), "%s", names[i]);
		snprintf(h.family, sizeof(h.family), "ipv4");
		snprintf(h.new_ip, sizeof(h.new_ip), "192.0.2.%d", i);
		h.result = i == 1 ? DDNS_OUTCOME_ABUSE : DDNS_OUTCOME_FAILED;
		snprintf(h.message, sizeof(h.message), "msg %d", i);
		assert_int_equal(store_add_history(f->st, &h), 0);
	}
	hist_list_t l = { 0 };
	assert_int_equal(store_history_foreach(f->st, NULL, -1, hist_cb, &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.rows[0].time, 30);
	assert_int_equal(l.rows[1].time, 20);
	assert_int_equal(l.rows[2].time, 10);
	assert_int_equal(l.rows[3].time, 5);
	assert_string_equal(ddns_outcome_name(l.rows[1].result), "abuse");
	assert_true(l.rows[0].id > l.rows[2].id);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_history_foreach(f->st, "a.example.com", 2, hist_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.rows[0].time, 30);
	assert_int_equal(l.rows[1].time, 10);
	assert_string_equal(l.rows[1].message, "msg 0");

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_history_foreach(f->st, "c.example.com", 10, hist_cb, &l), 0);
	assert_int_equal(l.n, 0);
}

static void test_touch_seen(void **state)
{
	fixture_t *f = *state;
	store_record_t a = make_rec("a.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	store_record_t b = make_rec("b.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	store_record_t c = make_rec("c.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	assert_int_equal(store_record_add(f->st, &a), 0);
	assert_int_equal(store_record_add(f->st, &b), 0);
	assert_int_equal(store_record_add(f->st, &c), 0);
	/* an unknown name in the batch is not an error */
	const char *names[] = { "a.example.com", "c.example.com", "gone.example.com" };
	assert_int_equal(store_touch_seen(f->st, names, 3, 12345), 0);
	assert_int_equal(store_touch_seen(f->st, names, 0, 99999), 0);
	store_record_t got;
	assert_int_equal(store_record_get(f->st, "a.example.com", &got), 0);
	assert_int_equal(got.last_seen, 12345);
	assert_int_equal(got.last_change, 0);
	assert_int_equal(store_record_get(f->st, "b.example.com", &got), 0);
	assert_int_equal(got.last_seen, 0);
	assert_int_equal(store_record_get(f->st, "c.example.com", &got), 0);
	assert_int_equal(got.last_seen, 12345);
}

/* The change notes: every write of a record by any connection is noted;
 * a transaction can drop its own notes; take reads and drops the rest. */
static void test_change_notes(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(store_changes_mark(f->st), 0);
	store_t *other = NULL;
	assert_int_equal(store_open(f->path, &other), 0);
	store_record_t a = make_rec("a.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	store_record_t b = make_rec("b.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	assert_int_equal(store_record_add(other, &a), 0);
	assert_int_equal(store_record_add(other, &b), 0);
	assert_int_equal(store_record_set_key(other, "a.example.com", HASH_B), 0);
	assert_int_equal(store_record_delete(other, "b.example.com"), 0);
	/* last_seen alone is not a change anyone serves */
	const char *names[] = { "a.example.com" };
	assert_int_equal(store_touch_seen(other, names, 1, 99), 0);
	store_close(other);

	/* our own transaction: its notes dropped before the commit */
	assert_int_equal(store_begin(f->st), 0);
	int64_t mark = store_changes_mark(f->st);
	assert_true(mark >= 4);
	store_record_t c = make_rec("c.example.com", "dummy", HASH_A, STORE_SRC_CTL);
	assert_int_equal(store_record_add(f->st, &c), 0);
	assert_true(store_changes_mark(f->st) > mark);
	assert_int_equal(store_changes_drop_after(f->st, mark), 0);
	assert_int_equal(store_changes_mark(f->st), mark);
	store_names_t t = { 0 };
	assert_int_equal(store_changes_take(f->st, mark, &t), 0);
	assert_int_equal(store_end(f->st, 0), 0);
	assert_int_equal(t.n, 2); /* a (added, key changed) and b, once each */
	assert_true(names_have(&t, "a.example.com"));
	assert_true(names_have(&t, "b.example.com"));
	store_names_clear(&t);
	/* taken: gone; the numbering goes on */
	assert_int_equal(store_changes_take(f->st, INT64_MAX, &t), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(store_changes_forget(f->st), 0);
}

/* Migration 2 on a file an older ddnsd (schema 1) left: its history rows
 * keep their order, ids and words; a word outside the recorded outcomes
 * becomes "failed" with the old word kept in the message; afterwards the
 * CHECK constraint refuses such a word, and the API refuses a metrics-only
 * outcome before sqlite sees it. */
static void test_migrate_history_outcomes(void **state)
{
	fixture_t *f = *state;
	store_close(f->st);
	f->st = NULL;
	for (const char *const *x = (const char *const[]){ "", "-wal", "-shm", NULL }; *x; x++) {
		char p[128];
		snprintf(p, sizeof(p), "%s%s", f->path, *x);
		unlink(p);
	}
	assert_int_equal(store_open_version(f->path, 1, &f->st), 0);
	assert_int_equal(store_schema_version(f->st), 1);
	store_close(f->st);
	f->st = NULL;
	raw_exec(f, "INSERT INTO history (time, name, family, new_ip, result, message) VALUES"
	            " (10, 'a.example.com', 'ipv4', '192.0.2.1', 'applied', ''),"
	            " (20, 'a.example.com', 'ipv4', '192.0.2.2', 'timeout', 'slow'),"
	            " (30, 'a.example.com', 'ipv4', '192.0.2.3', 'weird', 'odd')");

	assert_int_equal(store_open(f->path, &f->st), 0);
	assert_int_equal(store_schema_version(f->st), 4);
	hist_list_t l = { 0 };
	assert_int_equal(store_history_foreach(f->st, NULL, -1, hist_cb, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.rows[2].result, DDNS_OUTCOME_APPLIED);
	assert_int_equal(l.rows[1].result, DDNS_OUTCOME_TIMEOUT);
	assert_string_equal(l.rows[1].message, "slow");
	assert_int_equal(l.rows[0].result, DDNS_OUTCOME_FAILED);
	assert_string_equal(l.rows[0].message, "odd (result was weird)");
	assert_true(l.rows[0].id > l.rows[1].id && l.rows[1].id > l.rows[2].id);
	char *sql = raw_text(f, "SELECT sql FROM sqlite_master WHERE name = 'history'");
	assert_non_null(strstr(sql, "CHECK (result IN ("));
	free(sql);
	sql = raw_text(f, "SELECT sql FROM sqlite_master WHERE name = 'history_name_time'");
	assert_non_null(strstr(sql, "history (name, time)"));
	free(sql);

	/* the constraint holds for every writer, ddnsctl's sqlite3 included */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	int rc = sqlite3_exec(db, "INSERT INTO history (time, name, family, result)"
	                          " VALUES (40, 'a.example.com', 'ipv4', 'changed')",
	                      NULL, NULL, NULL);
	assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	sqlite3_close(db);
	store_history_t h = { .time = 50, .result = DDNS_OUTCOME_UNCHANGED };
	snprintf(h.name, sizeof(h.name), "a.example.com");
	snprintf(h.family, sizeof(h.family), "ipv4");
	assert_int_equal(store_add_history(f->st, &h), -EINVAL);
	h.result = DDNS_OUTCOME_CANCELED;
	assert_int_equal(store_add_history(f->st, &h), 0);
}

int main(void)
{
	log_setup(DDNS_LOG_ERR, LOG_TARGET_STDERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_migrate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_get_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_touched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_update_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_history_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touch_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_notes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
