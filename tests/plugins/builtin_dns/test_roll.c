/**
 * @file test_roll.c
 * @brief Unit tests of builtin_dns's key timelines (roll.c): the text
 * round trip, bad lines named, and each rollover step due exactly when
 * RFC 7583's intervals have passed, never before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include "roll.h"

#define K1 "0123456789abcdef0123456789abcdef01234567"
#define K2 "89abcdef0123456789abcdef0123456789abcdef"

static void test_text(void **state)
{
	(void)state;
	dns_rolls_t r;
	size_t bad;
	assert_int_equal(dns_rolls_parse(NULL, &r, &bad), 0);
	assert_int_equal(r.n, 0);
	dns_roll_t *z = dns_rolls_add(&r, "example.test", K1, 13, 1000);
	assert_non_null(z);
	assert_non_null(dns_rolls_add(&r, "other.test", K2, 15, 2000));
	z = dns_rolls_find(&r, "example.test");
	z->phase = DNS_ROLL_SUBMIT;
	z->phase_since = 3000;
	memcpy(z->next, K2, sizeof(z->next));
	z->next_alg = 13;
	z->ds_seen = 3500;
	char *text = dns_rolls_format(&r);
	assert_non_null(text);
	assert_string_equal(text, DNS_ROLL_MAGIC
	                    "example.test " K1 " 13 1000 submit 3000 " K2 " 13 3500\n"
	                    "other.test " K2 " 15 2000 none 2000 - 0 0\n");
	dns_rolls_t back;
	assert_int_equal(dns_rolls_parse(text, &back, &bad), 0);
	assert_int_equal(back.n, 2);
	assert_memory_equal(&back.v[0], &r.v[0], sizeof(r.v[0]));
	assert_memory_equal(&back.v[1], &r.v[1], sizeof(r.v[1]));
	free(text);
	dns_rolls_free(&back);
	dns_rolls_free(&r);

	/* each bad line is named */
	static const char *const bad_texts[] = {
		"ddnsd builtin_dns dnssec 2\n",
		DNS_ROLL_MAGIC "example.test " K1 " 13 1000 none 1000 - 0\n",      /* a field short */
		DNS_ROLL_MAGIC "example.test " K1 " 13 1000 none 1000 - 0 0 x\n",  /* one more */
		DNS_ROLL_MAGIC "example.test 0123 13 1000 none 1000 - 0 0\n",      /* not an id */
		DNS_ROLL_MAGIC "example.test " K1 " 13 1000 later 1000 - 0 0\n",   /* no such phase */
		DNS_ROLL_MAGIC "example.test " K1 " 13 1000 publish 1000 - 0 0\n", /* no new key */
		DNS_ROLL_MAGIC "example.test " K1 " 13 1000 none 1000 " K2 " 13 0\n",
		DNS_ROLL_MAGIC "example.test " K1 " 300 1000 none 1000 - 0 0\n",
	};
	for (size_t i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]); i++) {
		assert_int_equal(dns_rolls_parse(bad_texts[i], &back, &bad), -EINVAL);
		assert_int_equal(bad, i == 0 ? 1 : 2);
		assert_null(back.v);
	}
	/* blank lines are fine, the line count goes on */
	assert_int_equal(dns_rolls_parse(DNS_ROLL_MAGIC "\nexample.test x\n", &back, &bad), -EINVAL);
	assert_int_equal(bad, 3);
}

static void test_steps(void **state)
{
	(void)state;
	const dns_roll_conf_t c = { .lifetime = 0, .dnskey_ttl = 3600, .max_ttl = 7200,
	                            .ds_ttl = 86400, .propagation = 300 };
	dns_roll_t r = { .zone = "example.test", .key = K1, .alg = 13, .since = 1000,
	                 .phase = DNS_ROLL_NONE, .phase_since = 1000 };
	uint64_t next;
	/* no lifetime: only a command starts one */
	assert_int_equal(dns_roll_due(&r, &c, 1u << 30, false, &next), DNS_ROLL_WAIT);
	assert_int_equal(next, 0);
	assert_int_equal(dns_roll_due(&r, &c, 1001, true, &next), DNS_ROLL_START);
	/* a lifetime: due when the key is that old */
	dns_roll_conf_t life = c;
	life.lifetime = 100000;
	assert_int_equal(dns_roll_due(&r, &life, 100999, false, &next), DNS_ROLL_WAIT);
	assert_int_equal(next, 101000);
	assert_int_equal(dns_roll_due(&r, &life, 101000, false, &next), DNS_ROLL_START);

	/* publish: Ipub = DNSKEY TTL + propagation */
	r.phase = DNS_ROLL_PUBLISH;
	r.phase_since = 5000;
	memcpy(r.next, K2, sizeof(r.next));
	assert_int_equal(dns_roll_due(&r, &c, 5000 + 3899, true, &next), DNS_ROLL_WAIT);
	assert_int_equal(next, 5000 + 3900);
	assert_int_equal(dns_roll_due(&r, &c, 5000 + 3900, false, &next), DNS_ROLL_TO_SUBMIT);

	/* submit: nothing moves before the parent's DS is seen */
	r.phase = DNS_ROLL_SUBMIT;
	r.phase_since = 10000;
	assert_int_equal(dns_roll_due(&r, &c, 1u << 30, false, &next), DNS_ROLL_WAIT);
	assert_int_equal(next, 0);
	/* seen soon: the old DS's TTL is the longer wait */
	r.ds_seen = 10100;
	assert_int_equal(dns_roll_due(&r, &c, 10100 + 86699, false, &next), DNS_ROLL_WAIT);
	assert_int_equal(next, 10100 + 86700);
	assert_int_equal(dns_roll_due(&r, &c, 10100 + 86700, false, &next), DNS_ROLL_FINISH);
	/* seen before the data moved (an early DS): K's RRSIGs are */
	dns_roll_conf_t short_ds = c;
	short_ds.ds_ttl = 60;
	r.ds_seen = 9000;
	assert_int_equal(dns_roll_due(&r, &short_ds, 10000 + 7499, false, &next), DNS_ROLL_WAIT);
	assert_int_equal(next, 10000 + 7500);
	assert_int_equal(dns_roll_due(&r, &short_ds, 10000 + 7500, false, &next), DNS_ROLL_FINISH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
