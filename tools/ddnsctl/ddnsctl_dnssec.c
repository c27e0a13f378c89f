/* `ddnsctl dnssec ZONE [roll | ds-seen]`: the DS (and DNSKEY) records to
 * give the parent of a zone builtin_dns signs, and its key rollovers.  It
 * reads the key timeline builtin_dns keeps in its state directory
 * (<database dir>/plugins/<instance>/dnssec, the instance whose `zone`
 * lists ZONE) and the key from its keystore (keys/), with libdnssec, as
 * ddnsd does.  `roll` and `ds-seen` leave a request file in keys/, which
 * the running ddnsd takes within a second (roll.h, dnssec.h). */
#include "ddnsctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libconfig.h>
#include <libdnssec/binary.h>
#include <libdnssec/crypto.h>
#include <libdnssec/error.h>
#include <libdnssec/key.h>
#include <libdnssec/keystore.h>
#include <libknot/libknot.h>
#include <unistd.h>

/* The builtin_dns instance whose `zone` option lists @p zone, or NULL. */
static const conf_provider_t *zone_instance(const conf_t *conf, const char *zone)
{
	for (size_t i = 0; i < conf->n_providers; i++) {
		const conf_provider_t *p = &conf->providers[i];
		const char *plugin = strrchr(p->plugin, '/');
		plugin = plugin != NULL ? plugin + 1 : p->plugin;
		if (strncmp(plugin, "builtin_dns", 11) != 0)
			continue;
		config_setting_t *z = config_setting_get_member(p->setting, "zone");
		int n = z == NULL ? 0 : config_setting_is_scalar(z) ? 1 : config_setting_length(z);
		for (int k = 0; k < n; k++) {
			const char *s = config_setting_is_scalar(z) ? config_setting_get_string(z)
			              : config_setting_get_string_elem(z, k);
			size_t l = s != NULL ? strlen(s) : 0;
			while (l > 0 && s[l - 1] == '.')
				l--;
			if (s != NULL && l == strlen(zone) && strncasecmp(s, zone, l) == 0)
				return p;
		}
	}
	return NULL;
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02X", p[i]);
}

static void print_base64(const uint8_t *p, size_t n)
{
	dnssec_binary_t in = { .data = (uint8_t *)p, .size = n }, out = { 0 };
	if (dnssec_binary_to_base64(&in, &out) == DNSSEC_EOK)
		printf("%.*s", (int)out.size, (const char *)out.data);
	dnssec_binary_free(&out);
}

/* A zone's line of the key timeline builtin_dns keeps (its roll.h says
 * the format; ddnsctl, a lower layer than the plugin, reads it alone):
 * "<zone> <key id> <alg> <since> <phase> <phase since> <new id|-> <new alg>
 * <ds seen>". */
typedef struct timeline {
	char key[64], next[64], phase[16];
	unsigned alg, next_alg;
	unsigned long long since, phase_since, ds_seen;
} timeline_t;

#define TIMELINE_MAGIC "ddnsd builtin_dns dnssec 1"

/* The timeline of @p zone from the instance's state, or the first key's
 * "<zone>.csk" of a ddnsd that kept no timeline yet. */
static int read_timeline(const char *inst_dir, const char *zone, timeline_t *out)
{
	char path[4600], line[1024];
	memset(out, 0, sizeof(*out));
	snprintf(out->phase, sizeof(out->phase), "none");
	snprintf(path, sizeof(path), "%s/dnssec", inst_dir);
	FILE *f = fopen(path, "re");
	if (f != NULL) {
		bool ours = fgets(line, sizeof(line), f) != NULL &&
		            strncmp(line, TIMELINE_MAGIC "\n", sizeof(TIMELINE_MAGIC)) == 0;
		int found = 0;
		size_t zl = strlen(zone);
		while (ours && !found && fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, zone, zl) != 0 || line[zl] != ' ')
				continue;
			found = sscanf(line + zl, " %63s %u %llu %15s %llu %63s %u %llu", out->key,
			               &out->alg, &out->since, out->phase, &out->phase_since,
			               out->next, &out->next_alg, &out->ds_seen) == 8 ? 1 : -1;
		}
		fclose(f);
		if (!ours || found < 0) {
			ctl_error("%s: not a key timeline of this version", path);
			return -EINVAL;
		}
		if (found)
			return 0;
	}
	snprintf(path, sizeof(path), "%s/keys/%s.csk", inst_dir, zone);
	f = fopen(path, "re");
	if (f == NULL || fscanf(f, "%63s %u", out->key, &out->alg) != 2) {
		ctl_error("%s/dnssec: no key of %s (is dnssec = true set for its instance, and "
		          "has ddnsd started since?)", inst_dir, zone);
		if (f != NULL)
			fclose(f);
		return -ENOENT;
	}
	fclose(f);
	return 0;
}

/* Print the DS and DNSKEY of key @p id of @p zone. */
static int print_key(const char *keys_dir, const char *zone, const char *id, uint8_t alg)
{
	dnssec_keystore_t *ks = NULL;
	dnssec_key_t *key = NULL;
	knot_dname_storage_t apex;
	dnssec_binary_t rdata = { 0 }, ds = { 0 };
	int ret = dnssec_keystore_init_pkcs8(&ks);
	if (ret == DNSSEC_EOK)
		ret = dnssec_keystore_open(ks, keys_dir);
	if (ret == DNSSEC_EOK && (ret = dnssec_key_new(&key)) == DNSSEC_EOK) {
		dnssec_key_set_algorithm(key, alg);
		ret = dnssec_keystore_get_private(ks, id, key);
	}
	if (ret == DNSSEC_EOK && knot_dname_from_str(apex, zone, sizeof(apex)) != NULL) {
		knot_dname_to_lower(apex);
		dnssec_key_set_dname(key, apex);
		dnssec_key_set_flags(key, 257);
		ret = dnssec_key_create_ds(key, DNSSEC_KEY_DIGEST_SHA256, &ds);
		if (ret == DNSSEC_EOK)
			ret = dnssec_key_get_rdata(key, &rdata);
	}
	if (ret != DNSSEC_EOK || ds.size < 4 || rdata.size < 4) {
		ctl_error("%s: key %s: %s", keys_dir, id, dnssec_strerror(ret));
		ret = CTL_FAIL;
	} else {
		printf("%s. IN DS %u %u %u ", zone, knot_wire_read_u16(ds.data), ds.data[2],
		       ds.data[3]);
		print_hex(ds.data + 4, ds.size - 4);
		printf("\n%s. IN DNSKEY %u %u %u ", zone, knot_wire_read_u16(rdata.data),
		       rdata.data[2], rdata.data[3]);
		print_base64(rdata.data + 4, rdata.size - 4);
		printf("\n");
		ret = CTL_OK;
	}
	dnssec_binary_free(&ds);
	dnssec_key_free(key);
	if (ks != NULL) {
		dnssec_keystore_close(ks);
		dnssec_keystore_deinit(ks);
	}
	return ret;
}

/* Leave request @p what for ddnsd and wait up to 3 s for it to take it. */
static int request(const char *keys_dir, const char *zone, const char *what)
{
	char path[4700];
	snprintf(path, sizeof(path), "%s/%s.%s", keys_dir, zone, what);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ctl_error("%s: %s", path, strerror(errno));
		return CTL_FAIL;
	}
	close(fd);
	for (int i = 0; i < 30; i++) {
		if (access(path, F_OK) != 0) {
			printf("%s: ddnsd took the request; its log says what it did\n", zone);
			return CTL_OK;
		}
		usleep(100 * 1000);
	}
	printf("%s: asked; ddnsd has not taken it yet (it does within a second of running)\n",
	       zone);
	return CTL_OK;
}

int ctl_cmd_dnssec(ctl_t *c, int argc, char **argv)
{
	if (argc != 2 && argc != 3)
		return ctl_usage();
	const char *what = argc == 3 ? argv[2] : NULL;
	if (what != NULL && strcmp(what, "roll") != 0 && strcmp(what, "ds-seen") != 0)
		return ctl_usage();
	char zone[256];
	if (ctl_name(argv[1], zone) != 0)
		return CTL_USAGE;
	if (c->conf == NULL) {
		ctl_error("dnssec: needs the configuration (-c) to find the zone's instance");
		return CTL_FAIL;
	}
	const conf_provider_t *p = zone_instance(c->conf, zone);
	if (p == NULL) {
		ctl_error("%s: no builtin_dns instance in %s serves this zone", zone, c->conf_path);
		return CTL_FAIL;
	}
	char root[4096], inst[4400], keys[4500];
	if (conf_plugin_state_root(c->conf->database, root, sizeof(root)) != 0)
		return CTL_FAIL;
	snprintf(inst, sizeof(inst), "%s/%s", root, p->name);
	snprintf(keys, sizeof(keys), "%s/keys", inst);
	timeline_t r;
	if (read_timeline(inst, zone, &r) != 0)
		return CTL_FAIL;
	bool rolling = strcmp(r.phase, "none") != 0;
	if (what != NULL) {
		if (strcmp(what, "roll") == 0 && rolling)
			fprintf(stderr, "ddnsctl: warning: %s: a rollover is under way (%s); ddnsd "
			        "ignores the request\n", zone, r.phase);
		if (strcmp(what, "ds-seen") == 0 && !rolling)
			fprintf(stderr, "ddnsctl: warning: %s: no rollover awaits a new DS; ddnsd "
			        "ignores the request\n", zone);
		return request(keys, zone, what);
	}
	dnssec_crypto_init();
	/* The key the parent's DS should name: the new one once it signs. */
	bool new_one = strcmp(r.phase, "submit") == 0;
	int ret = print_key(keys, zone, new_one ? r.next : r.key,
	                    (uint8_t)(new_one ? r.next_alg : r.alg));
	if (ret == CTL_OK && rolling) {
		char since[64];
		ctl_time((int64_t)r.phase_since, since);
		printf("; rollover: %s since %s%s\n", r.phase, since,
		       strcmp(r.phase, "publish") == 0 ? "; the DS above stays until the new key "
		       "signs" : r.ds_seen != 0 ? "; the parent has this DS" : "; give the parent "
		       "this DS, then run `ddnsctl dnssec ZONE ds-seen`");
	}
	dnssec_crypto_cleanup();
	return ret;
}
