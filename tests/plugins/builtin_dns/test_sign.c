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

static void load(dns_zkeys_t *k, uint8_t alg)
{
	knot_dname_storage_t apex;
	knot_dname_from_str(apex, XT_ZONE, sizeof(apex));
	const knot_dname_t *apexes[] = { apex };
	char err[256] = "", keys[64];
	bool other;
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	if (dns_keys_load(keys, apexes, 1, alg, 3600, k, &other, err, sizeof(err)) != 0)
		fail_msg("dns_keys_load: %s", err);
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
static void sign_one(dns_signer_t *s, const dns_zkey_t *z, const knot_rrset_t *rr, bool cache,
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
	dns_zkeys_t k1 = { 0 }, k2 = { 0 };
	load(&k1, 13);
	load(&k2, 15); /* read back: the stored key wins over the asked algorithm */
	assert_int_equal(k1.v[0].keytag, k2.v[0].keytag);
	assert_int_equal(k2.v[0].algorithm, 13);
	assert_int_equal(k1.v[0].dnskey.rrs.rdata->len, 68); /* flags, 3, 13, 64-byte key */
	assert_int_equal(k1.v[0].cds.rrs.rdata->len, 36);    /* tag, 13, 2, SHA-256 */
	assert_int_equal(k1.v[0].cds.ttl, 0);
	char ds[256];
	assert_int_equal(dns_keys_ds_text(&k1.v[0], ds, sizeof(ds)), 0);
	assert_non_null(strstr(ds, "dyn.example.com. IN DS "));

	dns_db_t *db = xt_db(1, NULL);
	knot_dname_storage_t n;
	knot_dname_from_str(n, "host0." XT_ZONE, sizeof(n));
	const dns_node_t *node = dns_db_node(db, n);
	dns_signer_t *s;
	assert_int_equal(dns_signer_new(&s), 0);
	uint8_t a[512], b[512];
	uint16_t la, lb;
	uint32_t now = 1800000000;
	sign_one(s, &k1.v[0], &node->a, true, now, a, &la);
	sign_one(s, &k1.v[0], &node->a, true, now + 60, b, &lb);
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
	assert_int_equal(knot_wire_read_u16(a + 16), k1.v[0].keytag);
	/* a denial is signed anew each time, never cached */
	sign_one(s, &k1.v[0], &node->a, false, now, b, &lb);
	dns_signer_counts(s, &made, &hits);
	assert_int_equal(made, 2);
	assert_memory_equal(a, b, la); /* reproducible: the same bytes */
	/* two days on: a new window, a new signature */
	sign_one(s, &k1.v[0], &node->a, true, now + 2 * 86400, b, &lb);
	assert_true(knot_wire_read_u32(b + 12) > knot_wire_read_u32(a + 12));

	/* it verifies: the signed data is the header, the signer, the RR */
	uint8_t data[1024];
	size_t hdr = 18 + knot_dname_size(k1.v[0].apex);
	memcpy(data, a, hdr);
	int rrs = knot_rrset_to_wire(&node->a, data + hdr, (uint16_t)(sizeof(data) - hdr), NULL);
	assert_true(rrs > 0);
	dnssec_sign_ctx_t *ctx;
	assert_int_equal(dnssec_sign_new(&ctx, k1.v[0].key), 0);
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
	dns_keys_free(&k1);
	dns_keys_free(&k2);
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
