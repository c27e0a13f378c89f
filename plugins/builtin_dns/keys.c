/**
 * @file keys.c
 * @brief builtin_dns: DNSSEC keys of the signed zones (keys.h).
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdnssec/crypto.h>
#include <libdnssec/error.h>
#include <libdnssec/keystore.h>

uint8_t dns_keys_algorithm(const char *name)
{
	if (strcasecmp(name, "ecdsap256sha256") == 0 || strcmp(name, "13") == 0)
		return DNSSEC_KEY_ALGORITHM_ECDSA_P256_SHA256;
	if (strcasecmp(name, "ed25519") == 0 || strcmp(name, "15") == 0)
		return DNSSEC_KEY_ALGORITHM_ED25519;
	return 0;
}

/* "<dir>/<zone>.csk" holds "<id> <algorithm>". */
static int read_id(const char *path, char *id, size_t id_len, unsigned *alg)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	char buf[128] = "";
	int ret = fgets(buf, sizeof(buf), f) != NULL &&
	          sscanf(buf, "%64s %u", id, alg) == 2 && strlen(id) < id_len ? 0 : -EINVAL;
	fclose(f);
	return ret;
}

static int write_id(const char *path, const char *id, unsigned alg)
{
	char tmp[4300];
	snprintf(tmp, sizeof(tmp), "%.4200s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%s %u\n", id, alg);
	int ret = write(fd, buf, (size_t)n) == n && fsync(fd) == 0 ? 0 : -EIO;
	close(fd);
	if (ret == 0 && rename(tmp, path) != 0)
		ret = -errno;
	return ret;
}

static int rrset_one(knot_rrset_t *rr, const knot_dname_t *owner, uint16_t type,
                     uint32_t ttl, const dnssec_binary_t *rdata)
{
	knot_rrset_init(rr, (knot_dname_t *)owner, type, KNOT_CLASS_IN, ttl);
	return knot_rrset_add_rdata(rr, rdata->data, (uint16_t)rdata->size, NULL) == KNOT_EOK
	       ? 0 : -ENOMEM;
}

/* The key of one zone: load, or make and record it. */
static int zone_key(dnssec_keystore_t *ks, const char *dir, const knot_dname_t *apex,
                    uint8_t algorithm, uint32_t ttl, dns_zkey_t *z, bool *kept_other,
                    char *err, size_t err_len)
{
	char zone[KNOT_DNAME_TXT_MAXLEN + 1], path[4200], id[80];
	knot_dname_to_str(zone, apex, sizeof(zone));
	size_t zl = strlen(zone);
	if (zl > 1 && zone[zl - 1] == '.')
		zone[zl - 1] = '\0';
	snprintf(path, sizeof(path), "%s/%s.csk", dir, zone);
	unsigned alg = 0;
	int ret = read_id(path, id, sizeof(id), &alg);
	if (ret == -ENOENT) {
		char *made = NULL;
		ret = dnssec_keystore_generate(ks, algorithm, 256, NULL, &made);
		if (ret != DNSSEC_EOK) {
			snprintf(err, err_len, "%s: cannot make a key: %s", zone, dnssec_strerror(ret));
			return -EIO;
		}
		snprintf(id, sizeof(id), "%s", made);
		free(made);
		/* libdnssec writes it 0640: only ddnsd's user reads a key */
		char pem[4300];
		snprintf(pem, sizeof(pem), "%.4200s/%s.pem", dir, id);
		if (chmod(pem, 0600) != 0) {
			snprintf(err, err_len, "%s: %s", pem, strerror(errno));
			return -errno;
		}
		alg = algorithm;
		if ((ret = write_id(path, id, alg)) != 0) {
			snprintf(err, err_len, "%s: %s", path, strerror(-ret));
			return ret;
		}
	} else if (ret != 0) {
		snprintf(err, err_len, "%s: not \"<key id> <algorithm>\" (%s)", path,
		         strerror(-ret));
		return ret;
	}
	if (alg != algorithm)
		*kept_other = true;
	if ((z->apex = knot_dname_copy(apex, NULL)) == NULL || dnssec_key_new(&z->key) != 0)
		return -ENOMEM;
	dnssec_key_set_algorithm(z->key, (uint8_t)alg);
	ret = dnssec_keystore_get_private(ks, id, z->key);
	if (ret != DNSSEC_EOK) {
		snprintf(err, err_len, "%s: key %s in %s: %s", zone, id, dir, dnssec_strerror(ret));
		return -EIO;
	}
	dnssec_key_set_dname(z->key, apex);
	dnssec_key_set_flags(z->key, 257);
	z->keytag = dnssec_key_get_keytag(z->key);
	z->algorithm = (uint8_t)alg;
	dnssec_binary_t rdata = { 0 }, ds = { 0 };
	ret = dnssec_key_get_rdata(z->key, &rdata) == DNSSEC_EOK &&
	      dnssec_key_create_ds(z->key, DNSSEC_KEY_DIGEST_SHA256, &ds) == DNSSEC_EOK ? 0 : -EIO;
	if (ret == 0)
		ret = rrset_one(&z->dnskey, z->apex, KNOT_RRTYPE_DNSKEY, ttl, &rdata);
	if (ret == 0) /* RFC 7344: TTL 0 is what Knot publishes them with */
		ret = rrset_one(&z->cdnskey, z->apex, KNOT_RRTYPE_CDNSKEY, 0, &rdata);
	if (ret == 0)
		ret = rrset_one(&z->cds, z->apex, KNOT_RRTYPE_CDS, 0, &ds);
	dnssec_binary_free(&ds);
	if (ret != 0)
		snprintf(err, err_len, "%s: cannot publish its key", zone);
	return ret;
}

int dns_keys_load(const char *dir, const knot_dname_t *const *apexes, size_t n,
                  uint8_t algorithm, uint32_t ttl, dns_zkeys_t *out, bool *kept_other,
                  char *err, size_t err_len)
{
	dnssec_crypto_init();
	*kept_other = false;
	out->n = 0;
	if ((out->v = calloc(n + 1, sizeof(*out->v))) == NULL)
		return -ENOMEM;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, err_len, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	dnssec_keystore_t *ks = NULL;
	int ret = dnssec_keystore_init_pkcs8(&ks);
	if (ret == DNSSEC_EOK) {
		ret = dnssec_keystore_init(ks, dir);
		if (ret == DNSSEC_EOK)
			ret = dnssec_keystore_open(ks, dir);
	}
	if (ret != DNSSEC_EOK) {
		snprintf(err, err_len, "%s: cannot open the keystore: %s", dir, dnssec_strerror(ret));
		dnssec_keystore_deinit(ks);
		return -EIO;
	}
	ret = 0;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		ret = zone_key(ks, dir, apexes[i], algorithm, ttl, &out->v[i], kept_other, err,
		               err_len);
		out->n = i + 1;
	}
	dnssec_keystore_close(ks);
	dnssec_keystore_deinit(ks);
	return ret;
}

const dns_zkey_t *dns_keys_find(const dns_zkeys_t *k, const knot_dname_t *apex)
{
	for (size_t i = 0; k != NULL && i < k->n; i++)
		if (k->v[i].apex != NULL && knot_dname_is_equal(k->v[i].apex, apex))
			return &k->v[i];
	return NULL;
}

void dns_keys_free(dns_zkeys_t *k)
{
	for (size_t i = 0; i < k->n; i++) {
		dns_zkey_t *z = &k->v[i];
		dnssec_key_free(z->key);
		knot_rdataset_clear(&z->dnskey.rrs, NULL);
		knot_rdataset_clear(&z->cds.rrs, NULL);
		knot_rdataset_clear(&z->cdnskey.rrs, NULL);
		free(z->apex);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

int dns_keys_ds_text(const dns_zkey_t *z, char *out, size_t len)
{
	const knot_rdata_t *rd = z->cds.rrs.rdata;
	if (rd == NULL || rd->len < 4)
		return -EINVAL;
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_dname_to_str(zone, z->apex, sizeof(zone));
	int n = snprintf(out, len, "%s IN DS %u %u %u ", zone, knot_wire_read_u16(rd->data),
	                 rd->data[2], rd->data[3]);
	for (uint16_t i = 4; n > 0 && (size_t)n < len && i < rd->len; i++)
		n += snprintf(out + n, len - (size_t)n, "%02X", rd->data[i]);
	return n > 0 && (size_t)n < len ? 0 : -ENOSPC;
}
