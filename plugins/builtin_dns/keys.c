/**
 * @file keys.c
 * @brief builtin_dns: the DNSSEC keystore and the published key sets
 * (keys.h).
 */
#include "keys.h"
#include "zone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <libdnssec/crypto.h>
#include <libdnssec/error.h>
#include <libdnssec/keystore.h>

struct dns_keystore {
	char *dir;
	dnssec_keystore_t *ks;
	dns_key_t **keys; /* every key given out, freed at close */
	size_t n_keys;
};

uint8_t dns_keys_algorithm(const char *name)
{
	if (strcasecmp(name, "ecdsap256sha256") == 0 || strcmp(name, "13") == 0)
		return DNSSEC_KEY_ALGORITHM_ECDSA_P256_SHA256;
	if (strcasecmp(name, "ed25519") == 0 || strcmp(name, "15") == 0)
		return DNSSEC_KEY_ALGORITHM_ED25519;
	return 0;
}

int dns_keystore_open(const char *dir, dns_keystore_t **out, char *err, size_t err_len)
{
	dnssec_crypto_init();
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, err_len, "%s: %s", dir, strerror(e));
		return -e;
	}
	dns_keystore_t *k = calloc(1, sizeof(*k));
	if (k == NULL || (k->dir = strdup(dir)) == NULL) {
		free(k);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	int ret = dnssec_keystore_init_pkcs8(&k->ks);
	if (ret == DNSSEC_EOK) {
		ret = dnssec_keystore_init(k->ks, dir);
		if (ret == DNSSEC_EOK)
			ret = dnssec_keystore_open(k->ks, dir);
	}
	if (ret != DNSSEC_EOK) {
		snprintf(err, err_len, "%s: cannot open the keystore: %s", dir, dnssec_strerror(ret));
		dnssec_keystore_deinit(k->ks);
		k->ks = NULL;
		dns_keystore_close(k);
		return -EIO;
	}
	*out = k;
	return 0;
}

void dns_keystore_close(dns_keystore_t *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n_keys; i++) {
		dnssec_key_free(k->keys[i]->key);
		free(k->keys[i]->apex);
		free(k->keys[i]);
	}
	free(k->keys);
	if (k->ks != NULL) {
		dnssec_keystore_close(k->ks);
		dnssec_keystore_deinit(k->ks);
	}
	free(k->dir);
	free(k);
}

void dns_keystore_path(const dns_keystore_t *k, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.pem", k->dir, id);
}

int dns_keystore_get(dns_keystore_t *k, const knot_dname_t *apex, const char *id,
                     uint8_t alg, const dns_key_t **out, char *err, size_t err_len)
{
	for (size_t i = 0; i < k->n_keys; i++)
		if (strcmp(k->keys[i]->id, id) == 0 && knot_dname_is_equal(k->keys[i]->apex, apex)) {
			*out = k->keys[i];
			return 0;
		}
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	dns_name_text(apex, zone, sizeof(zone));
	if (strlen(id) != DNS_KEY_ID_LEN || strspn(id, "0123456789abcdef") != DNS_KEY_ID_LEN) {
		snprintf(err, err_len, "%s: \"%s\" is not a key id", zone, id);
		return -EINVAL;
	}
	dns_key_t **v = realloc(k->keys, (k->n_keys + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	k->keys = v;
	dns_key_t *key = calloc(1, sizeof(*key));
	if (key == NULL || (key->apex = knot_dname_copy(apex, NULL)) == NULL ||
	    dnssec_key_new(&key->key) != DNSSEC_EOK) {
		if (key != NULL)
			free(key->apex);
		free(key);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	v[k->n_keys++] = key; /* freed at close from here on */
	snprintf(key->id, sizeof(key->id), "%s", id);
	dnssec_key_set_algorithm(key->key, alg);
	int ret = dnssec_keystore_get_private(k->ks, id, key->key);
	if (ret != DNSSEC_EOK) {
		snprintf(err, err_len, "%s: key %s in %s: %s", zone, id, k->dir, dnssec_strerror(ret));
		return -EIO;
	}
	dnssec_key_set_dname(key->key, apex);
	dnssec_key_set_flags(key->key, 257);
	key->keytag = dnssec_key_get_keytag(key->key);
	key->algorithm = alg;
	*out = key;
	return 0;
}

int dns_keystore_make(dns_keystore_t *k, const knot_dname_t *apex, uint8_t alg,
                      const dns_key_t **out, char *err, size_t err_len)
{
	char zone[KNOT_DNAME_TXT_MAXLEN + 1], pem[4300];
	dns_name_text(apex, zone, sizeof(zone));
	char *made = NULL;
	int ret = dnssec_keystore_generate(k->ks, alg, 256, NULL, &made);
	if (ret != DNSSEC_EOK) {
		snprintf(err, err_len, "%s: cannot make a key: %s", zone, dnssec_strerror(ret));
		return -EIO;
	}
	char id[DNS_KEY_ID_LEN + 1];
	snprintf(id, sizeof(id), "%s", made);
	free(made);
	/* libdnssec writes it 0640: only ddnsd's user reads a key */
	dns_keystore_path(k, id, pem, sizeof(pem));
	if (chmod(pem, 0600) != 0) {
		int e = errno;
		snprintf(err, err_len, "%s: %s", pem, strerror(e));
		return -e;
	}
	return dns_keystore_get(k, apex, id, alg, out, err, err_len);
}

/* ---- the published sets ---- */

static int add_rdata(knot_rrset_t *rr, const dnssec_binary_t *rd)
{
	return knot_rrset_add_rdata(rr, rd->data, (uint16_t)rd->size, NULL) == KNOT_EOK
	       ? 0 : -ENOMEM;
}

int dns_zkey_new(const dns_key_t *zsk, const dns_key_t *const *ksk, size_t n_ksk,
                 const dns_key_t *const *pub, size_t n_pub, const dns_key_t *cds,
                 uint32_t ttl, dns_zkey_t **out)
{
	if (n_ksk == 0 || n_ksk > 2)
		return -EINVAL;
	dns_zkey_t *z = calloc(1, sizeof(*z));
	if (z == NULL)
		return -ENOMEM;
	z->zsk = zsk;
	memcpy(z->ksk, ksk, n_ksk * sizeof(*ksk));
	z->n_ksk = n_ksk;
	knot_dname_t *apex = zsk->apex;
	knot_rrset_init(&z->dnskey, apex, KNOT_RRTYPE_DNSKEY, KNOT_CLASS_IN, ttl);
	/* RFC 7344: TTL 0 is what Knot publishes them with */
	knot_rrset_init(&z->cds, apex, KNOT_RRTYPE_CDS, KNOT_CLASS_IN, 0);
	knot_rrset_init(&z->cdnskey, apex, KNOT_RRTYPE_CDNSKEY, KNOT_CLASS_IN, 0);
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < n_pub; i++) {
		dnssec_binary_t rd = { 0 };
		ret = dnssec_key_get_rdata(pub[i]->key, &rd) == DNSSEC_EOK ? add_rdata(&z->dnskey, &rd)
		                                                          : -EIO;
		if (ret == 0 && pub[i] == cds)
			ret = add_rdata(&z->cdnskey, &rd);
	}
	dnssec_binary_t ds = { 0 };
	if (ret == 0)
		ret = dnssec_key_create_ds(cds->key, DNSSEC_KEY_DIGEST_SHA256, &ds) == DNSSEC_EOK
		      ? add_rdata(&z->cds, &ds) : -EIO;
	dnssec_binary_free(&ds);
	if (ret != 0) {
		dns_zkey_free(z);
		return ret;
	}
	*out = z;
	return 0;
}

void dns_zkey_free(dns_zkey_t *z)
{
	if (z == NULL)
		return;
	knot_rdataset_clear(&z->dnskey.rrs, NULL);
	knot_rdataset_clear(&z->cds.rrs, NULL);
	knot_rdataset_clear(&z->cdnskey.rrs, NULL);
	free(z);
}

int dns_key_ds_text(const dns_key_t *k, char *out, size_t len)
{
	dnssec_binary_t ds = { 0 };
	if (dnssec_key_create_ds(k->key, DNSSEC_KEY_DIGEST_SHA256, &ds) != DNSSEC_EOK ||
	    ds.size < 4) {
		dnssec_binary_free(&ds);
		return -EIO;
	}
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_dname_to_str(zone, k->apex, sizeof(zone));
	int n = snprintf(out, len, "%s IN DS %u %u %u ", zone, knot_wire_read_u16(ds.data),
	                 ds.data[2], ds.data[3]);
	for (size_t i = 4; n > 0 && (size_t)n < len && i < ds.size; i++)
		n += snprintf(out + n, len - (size_t)n, "%02X", ds.data[i]);
	dnssec_binary_free(&ds);
	return n > 0 && (size_t)n < len ? 0 : -ENOSPC;
}
