/* Unit tests for the web admin's HTML (daemon/admin/admin_html.c,
 * admin_clients.c, admin_chart.c): escaping of text and URLs, the buffer's
 * growth, the client lines filled in for a record, and the chart's bars. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "admin_priv.h"

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_escape(void **state)
{
	(void)state;
	ahtml_t b = { 0 };
	ah_text(&b, "<script>alert('x') & \"y\"</script>");
	assert_string_equal(b.p, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;"
	                         "&lt;/script&gt;");
	ah_free(&b);
	ah_url(&b, "a b/c?d=e&f\"<");
	assert_string_equal(b.p, "a%20b%2Fc%3Fd%3De%26f%22%3C");
	ah_free(&b);
	/* past the first 4096 bytes and past ah_fmt's small buffer */
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 4; i++)
		ah_fmt(&b, "%s%d", big, i);
	assert_false(b.oom);
	assert_int_equal(b.len, 4 * (sizeof(big) - 1 + 1));
	assert_int_equal(strlen(b.p), b.len);
	ah_free(&b);
}

static void test_page_frame(void **state)
{
	(void)state;
	ahtml_t b = { 0 };
	ah_head(&b, "A <title>", "al\"ice", "0123");
	ah_foot(&b);
	/* no inline script or style: the CSP would refuse them */
	assert_null(strstr(b.p, "<script>"));
	assert_null(strstr(b.p, "<style"));
	assert_null(strstr(b.p, "style="));
	assert_non_null(strstr(b.p, "<script src=\"/static/admin.js\" defer></script>"));
	assert_non_null(strstr(b.p, "<h1>A &lt;title&gt;</h1>"));
	assert_non_null(strstr(b.p, "al&quot;ice"));
	assert_non_null(strstr(b.p, "name=\"csrf\" value=\"0123\""));
	ah_free(&b);
	/* logged out: no menu, no logout form */
	ah_head(&b, "Log in", "", "0123");
	assert_null(strstr(b.p, "/logout"));
	ah_free(&b);
}

static void test_clients(void **state)
{
	(void)state;
	ahtml_t b = { 0 };
	admin_clients(&b, "https://ddns.example.net", "a.example.com", "K3y");
	assert_non_null(strstr(b.p, "curl https://ddns.example.net/dynamicdns/update/"
	                            "a.example.com/ --data \"key=K3y\""));
	assert_non_null(strstr(b.p, "server=ddns.example.net\n"));
	assert_non_null(strstr(b.p, "ssl=yes"));
	assert_non_null(strstr(b.p, "password='K3y'"));
	assert_non_null(strstr(b.p, "ddns-path      = \"/nic/update?hostname=%h&amp;myip=%i\""));
	assert_int_equal(count(b.p, "K3y"), 4); /* curl, ddclient, inadyn, router */
	ah_free(&b);
	/* no key: the placeholder; plain http: ssl off */
	admin_clients(&b, "http://10.0.0.1:8080", "b.example.com", NULL);
	assert_int_equal(count(b.p, "KEY"), 4);
	assert_non_null(strstr(b.p, "ssl=no"));
	assert_non_null(strstr(b.p, "server=10.0.0.1:8080\n"));
	ah_free(&b);
	/* no public_url: a placeholder host */
	admin_clients(&b, "", "b.example.com", NULL);
	assert_non_null(strstr(b.p, "https://ddns.example.com/dynamicdns/update/"));
	ah_free(&b);
}

static void test_chart(void **state)
{
	(void)state;
	uint32_t counts[24] = { 0 }, failed[24] = { 0 };
	counts[3] = 10;
	failed[3] = 4;
	counts[20] = 5;
	ahtml_t b = { 0 };
	admin_chart(&b, 1796428800 /* 00:00 UTC */, 24, counts, failed);
	assert_int_equal(count(b.p, "<rect class=\"applied\""), 2);
	assert_int_equal(count(b.p, "<rect class=\"failed\""), 1);
	assert_non_null(strstr(b.p, "03:00 UTC: 10 updates, 4 failed"));
	assert_non_null(strstr(b.p, ">10</text>")); /* the axis' top is the maximum */
	assert_int_equal(count(b.p, "</text>"), 2 + 4); /* 0, max, and 00, 06, 12, 18 h */
	assert_null(strstr(b.p, "style="));
	ah_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_page_frame),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_chart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
