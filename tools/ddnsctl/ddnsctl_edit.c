/* ddnsctl's commands that write: add, rm, rotate-key, and genkey (which
 * shares the key handling).  Keys are shown once and stored only as hashes;
 * records that ddns.conf owns are refused. */
#include "ddnsctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"

/* The ddns.conf line of record @p name, or 0 if the config does not list it. */
static int ctl_conf_line(const ctl_t *c, const char *name)
{
	for (size_t i = 0; c->conf != NULL && i < c->conf->n_records; i++) {
		if (strcmp(c->conf->records[i].name, name) == 0)
			return c->conf->records[i].line > 0 ? c->conf->records[i].line : 1;
	}
	return 0;
}

static void ctl_refuse_config(const ctl_t *c, const char *name)
{
	int line = ctl_conf_line(c, name);
	if (line > 0)
		ctl_error("%s is managed by %s (line %d): edit it there", name,
		          c->conf_path, line);
	else
		ctl_error("%s is managed by ddns.conf: edit it there", name);
}

/* A key from -k: "-" reads one line from stdin (keeps it out of ps). */
static int ctl_user_key(const char *arg, char *out, size_t size)
{
	if (strcmp(arg, "-") == 0) {
		if (fgets(out, (int)size, stdin) == NULL) {
			ctl_error("no key on standard input");
			return -EINVAL;
		}
		out[strcspn(out, "\r\n")] = '\0';
	} else {
		snprintf(out, size, "%s", arg);
	}
	if (!key_acceptable(out)) {
		ctl_error("a key must be %d to %d characters of A-Z a-z 0-9 . _ ~ -",
		          KEY_MIN_LEN, KEY_MAX_LEN);
		return -EINVAL;
	}
	return 0;
}

/* Print a fresh key once, with the line a client needs. */
static void ctl_show_key(const char *name, const char *key)
{
	printf("key: %s\n"
	       "(shown only this once: the store keeps its hash)\n"
	       "curl https://<your-server>/dynamicdns/update/%s/ --data \"key=%s\"\n",
	       key, name, key);
}

static int ctl_new_key(const char *karg, char *key, size_t size, char *hash)
{
	int err = karg != NULL ? ctl_user_key(karg, key, size) : key_generate(key);
	if (err) {
		if (karg == NULL)
			ctl_error("cannot generate a key: %s", ddns_strerror(err));
		return err;
	}
	err = key_hash(key, strlen(key), hash);
	if (err)
		ctl_error("cannot hash the key: %s", ddns_strerror(err));
	return err;
}

static int ctl_lan_ip(store_record_t *rec, const char *arg)
{
	char canon[ADDR_TEXT_MAX];
	int family = 0;
	if (addr_canonical(arg, canon, &family) != 0) {
		ctl_error("--lan-ip \"%s\" is not an IPv4 or IPv6 address", arg);
		return -EINVAL;
	}
	char *slot = family == AF_INET ? rec->lan_ipv4 : rec->lan_ipv6;
	if (slot[0] != '\0') {
		ctl_error("--lan-ip given twice for %s", family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	snprintf(slot, ADDR_TEXT_MAX, "%s", canon);
	return 0;
}

int ctl_cmd_add(ctl_t *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "lan-ip", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	store_record_t rec;
	memset(&rec, 0, sizeof(rec));
	rec.source = STORE_SRC_CTL;
	const char *provider = NULL, *karg = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "p:k:l:", opts, NULL)) != -1) {
		if (opt == 'p')
			provider = optarg;
		else if (opt == 'k')
			karg = optarg;
		else if (opt == 'l') {
			if (ctl_lan_ip(&rec, optarg) != 0)
				return CTL_FAIL;
		} else
			return ctl_usage();
	}
	if (optind + 1 != argc || provider == NULL)
		return ctl_usage();
	if (ctl_name(argv[optind], rec.name) != 0)
		return CTL_FAIL;
	if (strlen(provider) >= sizeof(rec.provider) || provider[0] == '\0') {
		ctl_error("\"%s\" is not a provider name", provider);
		return CTL_FAIL;
	}
	if (c->conf != NULL && conf_find_provider(c->conf, provider) == NULL) {
		ctl_error("no provider \"%s\" in %s", provider, c->conf_path);
		return CTL_FAIL;
	}
	snprintf(rec.provider, sizeof(rec.provider), "%s", provider);
	if (ctl_conf_line(c, rec.name) > 0) {
		ctl_refuse_config(c, rec.name);
		return CTL_FAIL;
	}
	char key[KEY_MAX_LEN + 2];
	if (ctl_new_key(karg, key, sizeof(key), rec.key_hash) != 0)
		return CTL_FAIL;

	int err = store_record_add(c->st, &rec);
	if (err == -EEXIST) {
		store_record_t old;
		if (store_record_get(c->st, rec.name, &old) == 0 && old.source == STORE_SRC_CONFIG)
			ctl_refuse_config(c, rec.name);
		else
			ctl_error("%s already exists (ddnsctl rotate-key gives it a new key)", rec.name);
	}
	if (err)
		return CTL_FAIL; /* other failures were logged by the store */
	printf("added %s (provider %s)\n", rec.name, rec.provider);
	if (karg == NULL)
		ctl_show_key(rec.name, key);
	return CTL_OK;
}

/* Fetch @p arg's record for a change ddnsctl may make: it must exist and
 * belong to ddnsctl. */
static int ctl_own_record(ctl_t *c, const char *arg, store_record_t *rec)
{
	if (ctl_name(arg, rec->name) != 0)
		return -EINVAL;
	char name[NAME_TEXT_MAX];
	snprintf(name, sizeof(name), "%s", rec->name);
	int err = store_record_get(c->st, name, rec);
	if (err == -ENOENT)
		ctl_error("no record %s", name);
	if (err)
		return err;
	if (rec->source == STORE_SRC_CONFIG) {
		ctl_refuse_config(c, name);
		return -EPERM;
	}
	return 0;
}

int ctl_cmd_rm(ctl_t *c, int argc, char **argv)
{
	if (argc != 2)
		return ctl_usage();
	store_record_t rec;
	if (ctl_own_record(c, argv[1], &rec) != 0)
		return CTL_FAIL;
	int err = store_record_delete(c->st, rec.name);
	if (err == -ENOENT)
		ctl_error("no record %s", rec.name);
	if (err)
		return CTL_FAIL;
	printf("removed %s\n", rec.name);
	return CTL_OK;
}

int ctl_cmd_rotate(ctl_t *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' }, { NULL, 0, NULL, 0 },
	};
	const char *karg = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		if (opt != 'k')
			return ctl_usage();
		karg = optarg;
	}
	if (optind + 1 != argc)
		return ctl_usage();
	store_record_t rec;
	if (ctl_own_record(c, argv[optind], &rec) != 0)
		return CTL_FAIL;
	char key[KEY_MAX_LEN + 2], hash[KEY_HASH_MAX];
	if (ctl_new_key(karg, key, sizeof(key), hash) != 0)
		return CTL_FAIL;
	int err = store_record_set_key(c->st, rec.name, hash);
	if (err == -ENOENT)
		ctl_error("no record %s", rec.name);
	if (err)
		return CTL_FAIL;
	printf("new key for %s\n", rec.name);
	if (karg == NULL)
		ctl_show_key(rec.name, key);
	return CTL_OK;
}

int ctl_cmd_genkey(int argc, char **argv)
{
	if (argc != 1)
		return ctl_usage();
	char key[KEY_LEN + 1], hash[KEY_HASH_MAX];
	if (ctl_new_key(NULL, key, sizeof(key), hash) != 0)
		return CTL_FAIL;
	printf("key: %s\nkey_hash = \"%s\";\n", key, hash);
	fputs("(the key goes to the client; the key_hash line into the record in "
	      "ddns.conf)\n", stderr);
	return CTL_OK;
}
