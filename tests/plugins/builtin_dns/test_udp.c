/**
 * @file test_udp.c
 * @brief Unit tests of builtin_dns's listen addresses and UDP batches, on
 * real sockets bound to loopback.
 */
#include "dns_query.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "server.h"

static void test_listen_parse(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[INET6_ADDRSTRLEN];
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

	assert_int_equal(dns_listen_parse("127.0.0.1:5353", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 5353);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(dns_listen_parse("0.0.0.0", &ss, &len), 0);
	assert_int_equal(ntohs(s4->sin_port), 53);
	assert_int_equal(dns_listen_parse("[::1]:5353", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 5353);
	assert_string_equal(inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof(buf)), "::1");
	assert_int_equal(dns_listen_parse("[::]", &ss, &len), 0);
	assert_int_equal(ntohs(s6->sin6_port), 53);
	assert_int_equal(dns_listen_parse("2001:db8::53", &ss, &len), 0);
	assert_int_equal(ntohs(s6->sin6_port), 53);

	static const char *const bad[] = { "", "localhost:53", "127.0.0.1:", "127.0.0.1:0",
	                                   "127.0.0.1:65536", "127.0.0.1:53x", "[::1",
	                                   "[::1]53", "[127.0.0.1]:53", "1.2.3.4.5:53" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dns_listen_parse(bad[i], &ss, &len) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_int_equal(dns_listen_parse(NULL, &ss, &len), -EINVAL);
}

typedef struct fixture {
	dns_dbref_t ref;
	int server, client;
	struct sockaddr_in addr;
	dns_udp_t *udp;
} fixture_t;

static int setup(void **state)
{
	static const char *const zones[] = { "example.com" };
	dns_db_conf_t conf = { .ttl = 1, .soa_ttl = 3600, .minimum = 1 };
	char err[128];
	fixture_t *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	pthread_rwlock_init(&f->ref.lock, NULL);
	assert_int_equal(dns_db_new(&conf, zones, 1, NULL, 0, 1, &f->ref.db, err, sizeof(err), NULL), 0);
	assert_int_equal(dns_db_set_record(f->ref.db, "a.example.com", "192.0.2.1", NULL,
	                                   "10.0.0.1", NULL), 0);
	struct sockaddr_storage ss;
	socklen_t len;
	assert_int_equal(dns_listen_parse("127.0.0.1:1", &ss, &len), 0);
	((struct sockaddr_in *)&ss)->sin_port = 0; /* any free port */
	f->server = dns_socket_open(&ss, len, SOCK_DGRAM, false);
	assert_true(f->server >= 0);
	socklen_t alen = sizeof(f->addr);
	assert_int_equal(getsockname(f->server, (struct sockaddr *)&f->addr, &alen), 0);
	f->client = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->client >= 0);
	assert_int_equal(dns_udp_new(&f->udp), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	close(f->server);
	close(f->client);
	dns_udp_free(f->udp);
	dns_db_free(f->ref.db);
	pthread_rwlock_destroy(&f->ref.lock);
	free(f);
	return 0;
}

static void send_query(fixture_t *f, const char *name, uint16_t id, bool qr)
{
	uint8_t q[512];
	size_t len = mkquery(q, name, KNOT_RRTYPE_A, NO_EDNS);
	knot_wire_set_id(q, id);
	if (qr)
		knot_wire_set_qr(q);
	assert_int_equal(sendto(f->client, q, len, 0, (struct sockaddr *)&f->addr,
	                        sizeof(f->addr)), (ssize_t)len);
}

/* Receive one reply within a second, or return 0. */
static size_t recv_reply(fixture_t *f, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = f->client, .events = POLLIN };
	if (poll(&p, 1, 1000) != 1)
		return 0;
	ssize_t n = recv(f->client, buf, len, 0);
	return n > 0 ? (size_t)n : 0;
}

/* Many queries at once: answered in batches, each reply to its query. */
static void test_batches(void **state)
{
	fixture_t *f = *state;
	enum { N = 150 }; /* more than two batches of 64 */
	for (int i = 0; i < N; i++)
		send_query(f, i % 2 ? "a.example.com" : "nope.example.com", (uint16_t)i, false);
	int ret, rounds = 0;
	while ((ret = dns_udp_drain(f->udp, f->server, &f->ref, 1)) == 1)
		rounds++;
	assert_int_equal(ret, 0);
	assert_true(rounds >= 2);
	bool seen[N] = { false };
	uint8_t buf[1232];
	for (int i = 0; i < N; i++) {
		size_t n = recv_reply(f, buf, sizeof(buf));
		assert_true(n >= KNOT_WIRE_HEADER_SIZE);
		uint16_t id = knot_wire_get_id(buf);
		assert_true(id < N);
		assert_false(seen[id]);
		seen[id] = true;
		assert_int_equal(knot_wire_get_rcode(buf),
		                 id % 2 ? KNOT_RCODE_NOERROR : KNOT_RCODE_NXDOMAIN);
	}
	/* Drained: nothing more to read. */
	assert_int_equal(dns_udp_drain(f->udp, f->server, &f->ref, 4), 0);
}

/* The client's address decides the LAN answer; responses and junk get
 * nothing. */
static void test_lan_and_drops(void **state)
{
	fixture_t *f = *state;
	pthread_rwlock_wrlock(&f->ref.lock);
	assert_int_equal(dns_db_update(f->ref.db, "a.example.com", "127.0.0.1", NULL, 5), 1);
	pthread_rwlock_unlock(&f->ref.lock);
	send_query(f, "a.example.com", 1, true); /* QR set: dropped */
	uint8_t junk[3] = { 1, 2, 3 };
	assert_int_equal(sendto(f->client, junk, sizeof(junk), 0, (struct sockaddr *)&f->addr,
	                        sizeof(f->addr)), 3);
	send_query(f, "a.example.com", 2, false);
	assert_int_equal(dns_udp_drain(f->udp, f->server, &f->ref, 4), 0);
	uint8_t buf[1232];
	size_t n = recv_reply(f, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(knot_wire_get_id(buf), 2); /* the only reply */
	knot_pkt_t *p = parse_response(buf, n);
	char ip[INET6_ADDRSTRLEN];
	assert_string_equal(rr_addr(section_rr(p, KNOT_ANSWER, 0), ip, sizeof(ip)), "10.0.0.1");
	knot_pkt_free(p);
	assert_int_equal(recv_reply(f, buf, sizeof(buf)), 0);
}

static void test_socket_errors(void **state)
{
	fixture_t *f = *state;
	struct sockaddr_storage ss;
	socklen_t len;
	/* The same address again, without SO_REUSEPORT: in use. */
	memcpy(&ss, &f->addr, sizeof(f->addr));
	len = sizeof(f->addr);
	assert_int_equal(dns_socket_open(&ss, len, SOCK_DGRAM, false), -EADDRINUSE);
	/* An address this host does not have. */
	assert_int_equal(dns_listen_parse("192.0.2.1:5353", &ss, &len), 0);
	assert_int_equal(dns_socket_open(&ss, len, SOCK_DGRAM, false), -EADDRNOTAVAIL);
	/* A TCP listener on a free port works. */
	assert_int_equal(dns_listen_parse("127.0.0.1:1", &ss, &len), 0);
	((struct sockaddr_in *)&ss)->sin_port = 0;
	int fd = dns_socket_open(&ss, len, SOCK_STREAM, true);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lan_and_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
