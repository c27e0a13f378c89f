/* libFuzzer harness for the dyndns2 request parsing (daemon/api/dyndns2_parse.c):
 * the Authorization header, the hostname list, myip and myipv6, all of which
 * come straight from the network.
 *
 * Built by `make fuzz` (tests/fuzz/Makefile.inc), run by tests/fuzz/run.sh.
 * corpus: tests/fuzz/corpus/dyndns2_parse/
 *
 * An input is up to four lines: Authorization, hostname, myip, myipv6 (the
 * first two also serve as username/password parameters).
 * Beyond "no crash, no leak" it checks the contracts: credentials never
 * hold a NUL in the user name; at most 20 names, each valid one normalised;
 * a successful address parse yields canonical addresses of the right family,
 * and a failed one explains itself in one line. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dyndns2_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_canonical(const char *text, int family)
{
	char canon[ADDR_TEXT_MAX];
	int got = 0;
	if (text[0] == '\0')
		return;
	if (addr_canonical(text, canon, &got) != 0 || strcmp(canon, text) != 0 || got != family)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *field[4] = { NULL, NULL, NULL, NULL };
	char *p = buf;
	for (int i = 0; i < 4 && p != NULL; i++) {
		field[i] = p;
		p = strchr(p, '\n');
		if (p != NULL)
			*p++ = '\0';
	}

	dyndns2_auth_t auth;
	int rc = dyndns2_parse_auth(field[0], &auth);
	if (rc == 0) {
		if (auth.user == NULL || auth.pass == NULL || auth.pass[auth.pass_len] != '\0')
			abort();
		dyndns2_auth_clear(&auth);
	} else if (rc != -ENOENT && rc != -EINVAL && rc != -ENOMEM) {
		abort();
	}
	/* The same two fields as username/password parameters. */
	rc = dyndns2_auth_from_params(field[0], field[1], &auth);
	if (rc == 0) {
		if (auth.pass == NULL || auth.pass_len != strlen(field[1]))
			abort();
		dyndns2_auth_clear(&auth);
	} else if (rc != -ENOENT && rc != -EINVAL && rc != -ENOMEM) {
		abort();
	}

	dyndns2_host_t hosts[DYNDNS2_MAX_HOSTS];
	size_t n = 0;
	rc = dyndns2_parse_hosts(field[1], hosts, &n);
	if (rc != 0 && rc != -E2BIG)
		abort();
	if (n > DYNDNS2_MAX_HOSTS)
		abort();
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char again[NAME_TEXT_MAX];
		if (hosts[i].fqdn && (addr_name_normalize(hosts[i].name, again) != 0 ||
		                      strcmp(again, hosts[i].name) != 0))
			abort();
	}

	addr_t client;
	addr_parse("192.0.2.1", &client);
	dyndns2_addrs_t addrs;
	char err[160] = "";
	rc = dyndns2_parse_addrs(field[2], field[3], &client, &addrs, err, sizeof(err));
	if (rc == 0) {
		check_canonical(addrs.ipv4, AF_INET);
		check_canonical(addrs.ipv6, AF_INET6);
		if (addrs.ipv4[0] == '\0' && addrs.ipv6[0] == '\0')
			abort();
	} else if (rc != -EINVAL || err[0] == '\0' || strchr(err, '\n') != NULL) {
		abort();
	}
	free(buf);
	return 0;
}
