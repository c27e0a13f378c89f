/**
 * @file test_sign.c
 * @brief Unit tests of builtin_dns's DNSSEC keys and cached RRSIGs (keys.c,
 * sign.c): a key made then read back, its DNSKEY/CDS, an RRSIG that
 * verifies with libdnssec, the cache (one signature a day per RRset, the
 * same bytes), a denial not cached.
 */
#include "xfr_test.h"

#include <errno.h>
#include <sys/stat.h>
#include <libdnssec/sign.h>
#include "keys.h"
#include "sign.h"

static char dir[] = "/tmp/ddns-keys-XXXXXX";

static const dns_key_t *make(dns_keystore_t **ks, uint8_t alg)
{
	knot_dname_storage_t apex;
	knot_dname_from_str(apex, XT_ZONE, sizeof(apex));
	char err[256] = "", keys[64];
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	if (dns_keystore_open(keys, ks, err, sizeof(err)) != 0)
		fail_msg("dns_keystore_open: %s", err);
	const dns_key_t *k = NULL;
	if (dns_keystore_make(*ks, apex, alg, &k, err, sizeof(err)) != 0)
		fail_msg("dns_keystore_make: %s", err);
	return k;
}

/* A bump arena, as dns_answer() gives libknot: freed all at once. */
static _Alignas(16) uint8_t arena[1 << 16];
static size_t arena_used;
static void *arena_alloc(void *ctx, size_t len)
{
	(void)ctx;
	size_t off = (arena_used + 15) & ~(size_t)15;
	assert_true(off + len <= sizeof(arena));
	arena_used = off + len;
	return arena + off;
}
static void arena_free(void *p)
{
	(void)p;
}

/* Sign @p rr into a fresh packet; the RRSIG RDATA into @p rd. */
static void sign_one(dns_signer_t *s, const dns_key_t *z, const knot_rrset_t *rr, bool cache,
                     uint32_t now, uint8_t *rd, uint16_t *rd_len)
{
	knot_mm_t mm = { .ctx = NULL, .alloc = arena_alloc, .free = arena_free };
	arena_used = 0;
	knot_pkt_t *p = knot_pkt_new(NULL, 4096, &mm);
	assert_int_equal(knot_pkt_begin(p, KNOT_ANSWER), KNOT_EOK);
	assert_int_equal(dns_sign_put(s, z, rr, rr->ttl, p, KNOT_COMPR_HINT_NONE, cache, now),
	                 KNOT_EOK);
	const knot_rrset_t *sig = knot_pkt_rr(knot_pkt_section(p, KNOT_ANSWER), 0);
	assert_int_equal(sig->type, KNOT_RRTYPE_RRSIG);
	*rd_len = sig->rrs.rdata->len;
	memcpy(rd, sig->rrs.rdata->data, *rd_len);
	knot_pkt_free(p);
}

static void test_keys_and_rrsig(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	dns_keystore_t *ks1, *ks2;
	const dns_key_t *key = make(&ks1, 13);
	/* read back by another keystore: the same key */
	knot_dname_storage_t apex;
	knot_dname_from_str(apex, XT_ZONE, sizeof(apex));
	const dns_key_t *again = NULL, *same = NULL;
	char err[256], keys[64];
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	assert_int_equal(dns_keystore_open(keys, &ks2, err, sizeof(err)), 0);
	assert_int_equal(dns_keystore_get(ks2, apex, key->id, 13, &again, err, sizeof(err)), 0);
	assert_int_equal(dns_keystore_get(ks2, apex, key->id, 13, &same, err, sizeof(err)), 0);
	assert_ptr_equal(again, same); /* one object a key: signers key on it */
	assert_int_equal(again->keytag, key->keytag);
	assert_int_equal(dns_keystore_get(ks2, apex, "0123", 13, &same, err, sizeof(err)),
	                 -EINVAL);
	/* one step of the zone: the key alone */
	dns_zkey_t *step;
	assert_int_equal(dns_zkey_new(key, &key, 1, &key, 1, key, 3600, &step), 0);
	assert_int_equal(step->dnskey.rrs.rdata->len, 68); /* flags, 3, 13, 64-byte key */
	assert_int_equal(step->cds.rrs.rdata->len, 36);    /* tag, 13, 2, SHA-256 */
	assert_int_equal(step->cds.ttl, 0);
	assert_int_equal(step->cdnskey.rrs.count, 1);
	char ds[256];
	assert_int_equal(dns_key_ds_text(key, ds, sizeof(ds)), 0);
	assert_non_null(strstr(ds, "dyn.example.com. IN DS "));
	/* a rollover's step: two keys published, CDS of the new one */
	const dns_key_t *next = NULL;
	assert_int_equal(dns_keystore_make(ks1, apex, 13, &next, err, sizeof(err)), 0);
	const dns_key_t *both[2] = { key, next };
	dns_zkey_t *roll;
	assert_int_equal(dns_zkey_new(next, both, 2, both, 2, next, 3600, &roll), 0);
	assert_int_equal(roll->dnskey.rrs.count, 2);
	assert_int_equal(roll->cds.rrs.count, 1);
	assert_int_equal(knot_wire_read_u16(roll->cds.rrs.rdata->data), next->keytag);
	assert_int_equal(dns_zkey_new(next, both, 3, both, 2, next, 3600, &roll), -EINVAL);
	dns_zkey_free(roll);
	dns_zkey_free(step);

	dns_db_t *db = xt_db(1, NULL);
	knot_dname_storage_t n;
	knot_dname_from_str(n, "host0." XT_ZONE, sizeof(n));
	const dns_node_t *node = dns_db_node(db, n);
	dns_signer_t *s;
	assert_int_equal(dns_signer_new(&s), 0);
	uint8_t a[512], b[512];
	uint16_t la, lb;
	uint32_t now = 1800000000;
	sign_one(s, key, &node->a, true, now, a, &la);
	sign_one(s, key, &node->a, true, now + 60, b, &lb);
	uint64_t made, hits;
	dns_signer_counts(s, &made, &hits);
	assert_int_equal(made, 1);
	assert_int_equal(hits, 1);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	/* the header: A, algorithm 13, 4 labels, TTL 60, valid now */
	assert_int_equal(knot_wire_read_u16(a), KNOT_RRTYPE_A);
	assert_int_equal(a[2], 13);
	assert_int_equal(a[3], 4);
	assert_int_equal(knot_wire_read_u32(a + 4), 60);
	assert_true(knot_wire_read_u32(a + 12) <= now - 3600);
	assert_true(knot_wire_read_u32(a + 8) >= now + 7 * 86400);
	assert_int_equal(knot_wire_read_u16(a + 16), key->keytag);
	/* a denial is signed anew each time, never cached */
	sign_one(s, key, &node->a, false, now, b, &lb);
	dns_signer_counts(s, &made, &hits);
	assert_int_equal(made, 2);
	assert_memory_equal(a, b, la); /* reproducible: the same bytes */
	/* two days on: a new window, a new signature */
	sign_one(s, key, &node->a, true, now + 2 * 86400, b, &lb);
	assert_true(knot_wire_read_u32(b + 12) > knot_wire_read_u32(a + 12));

	/* it verifies: the signed data is the header, the signer, the RR */
	uint8_t data[1024];
	size_t hdr = 18 + knot_dname_size(key->apex);
	memcpy(data, a, hdr);
	int rrs = knot_rrset_to_wire(&node->a, data + hdr, (uint16_t)(sizeof(data) - hdr), NULL);
	assert_true(rrs > 0);
	dnssec_sign_ctx_t *ctx;
	assert_int_equal(dnssec_sign_new(&ctx, key->key), 0);
	dnssec_binary_t signed_data = { .data = data, .size = hdr + (size_t)rrs };
	dnssec_binary_t sig = { .data = a + hdr, .size = la - hdr };
	assert_int_equal(dnssec_sign_init(ctx), 0);
	assert_int_equal(dnssec_sign_add(ctx, &signed_data), 0);
	assert_int_equal(dnssec_sign_verify(ctx, false, &sig), 0);
	dnssec_sign_free(ctx);

	struct stat st;
	char path[128];
	snprintf(path, sizeof(path), "%s/keys", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	dns_signer_free(s);
	dns_db_free(db);
	dns_keystore_close(ks1);
	dns_keystore_close(ks2);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_and_rrsig),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
