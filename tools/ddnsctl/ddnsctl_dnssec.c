/* `ddnsctl dnssec ZONE`: the DS (and DNSKEY) records to give the parent of
 * a zone builtin_dns signs.  It reads the key builtin_dns made in its
 * state directory (<database dir>/plugins/<instance>/keys, the instance
 * whose `zone` lists ZONE), with libdnssec, as ddnsd does. */
#include "ddnsctl.h"

#include <errno.h>
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

int ctl_cmd_dnssec(ctl_t *c, int argc, char **argv)
{
	if (argc != 2)
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
	char root[4096], dir[4400], path[4700], id[80] = "";
	unsigned alg = 0;
	if (conf_plugin_state_root(c->conf->database, root, sizeof(root)) != 0)
		return CTL_FAIL;
	snprintf(dir, sizeof(dir), "%s/%s/keys", root, p->name);
	snprintf(path, sizeof(path), "%s/%s.csk", dir, zone);
	FILE *f = fopen(path, "re");
	if (f == NULL || fscanf(f, "%64s %u", id, &alg) != 2) {
		ctl_error("%s: %s (is dnssec = true set for %s, and has ddnsd started since?)",
		          path, f == NULL ? strerror(errno) : "not \"<key id> <algorithm>\"",
		          p->name);
		if (f != NULL)
			fclose(f);
		return CTL_FAIL;
	}
	fclose(f);
	dnssec_crypto_init();
	dnssec_keystore_t *ks = NULL;
	dnssec_key_t *key = NULL;
	knot_dname_storage_t apex;
	dnssec_binary_t rdata = { 0 }, ds = { 0 };
	int ret = dnssec_keystore_init_pkcs8(&ks);
	if (ret == DNSSEC_EOK)
		ret = dnssec_keystore_open(ks, dir);
	if (ret == DNSSEC_EOK && (ret = dnssec_key_new(&key)) == DNSSEC_EOK) {
		dnssec_key_set_algorithm(key, (uint8_t)alg);
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
		ctl_error("%s: key %s: %s", dir, id, dnssec_strerror(ret));
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
	dnssec_crypto_cleanup();
	return ret;
}
