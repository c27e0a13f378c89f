/**
 * @file fuzz_dns_query.c
 * @brief libFuzzer harness: builtin_dns's answer function on any input.
 *
 * Input: one flags byte (bit 0: TCP, bit 1: the client is the record's WAN
 * address, bit 2: IPv6 client), then the query packet.  Every response
 * must be a DNS message libknot parses, no larger than the transport
 * allows, with the query's ID.
 *
 * Built by `make fuzz` (tests/fuzz/Makefile.inc), run by tests/fuzz/run.sh.
 * corpus: tests/fuzz/corpus/dns_query/ (tests/fuzz/gen_dns_corpus.sh)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "zone.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dns_db_t *db;
static dns_answerer_t *ans;
static uint8_t out[DNS_MAX_RESPONSE];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const zones[] = { "example.com", "dyn.example.org" };
	static const char *const ns[] = { "ns1.example.com=192.0.2.53,2001:db8::53",
	                                  "ns.example.net" };
	dns_db_conf_t conf = { .ttl = 1, .soa_ttl = 3600, .refresh = 3600, .retry = 600,
	                       .expire = 604800, .minimum = 1 };
	char err[256];
	if (dns_db_new(&conf, zones, 2, ns, 2, 1, &db, err, sizeof(err), NULL) != 0 ||
	    dns_answerer_new(&ans) != 0) {
		fprintf(stderr, "fuzz_dns_query: setup failed: %s\n", err);
		abort();
	}
	dns_db_set_record(db, "a.example.com", "203.0.113.7", "2001:db8::7",
	                  "192.168.1.100", "fd00::100");
	dns_db_set_record(db, "x.y.example.com", "198.51.100.1", NULL, NULL, NULL);
	dns_db_set_record(db, "v6.dyn.example.org", NULL, "2001:db8::6", NULL, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	bool tcp = flags & 1;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (flags & 4) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, (flags & 2) ? "2001:db8::7" : "2001:db8::99", &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, (flags & 2) ? "203.0.113.7" : "198.51.100.99", &s4->sin_addr);
	}
	const uint8_t *q = data + 1;
	size_t len = size - 1;
	size_t n = dns_answer(ans, db, q, len, (struct sockaddr *)&ss, tcp, out, sizeof(out));
	if (n == 0)
		return 0;
	if (n < KNOT_WIRE_HEADER_SIZE || (!tcp && n > DNS_EDNS_PAYLOAD) || len < 2 ||
	    memcmp(out, q, 2) != 0 || !knot_wire_get_qr(out))
		abort();
	/* What we send must be a message libknot itself accepts. */
	knot_pkt_t *p = knot_pkt_new(out, (uint16_t)n, NULL);
	if (p == NULL)
		abort();
	if (knot_pkt_parse(p, 0) != KNOT_EOK)
		abort();
	knot_pkt_free(p);
	return 0;
}
