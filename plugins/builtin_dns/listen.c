/**
 * @file listen.c
 * @brief builtin_dns: listen addresses and their sockets.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DNS_DEFAULT_PORT 53
#define UDP_BUFFER_BYTES (4 * 1024 * 1024)

static int port_parse(const char *text, uint16_t *port)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || *end != '\0' || end == text || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int dns_listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_text = NULL;
	uint16_t port = DNS_DEFAULT_PORT;
	bool bracketed = text != NULL && text[0] == '[';
	if (text == NULL)
		return -EINVAL;
	if (bracketed) {
		const char *close = strchr(text, ']');
		if (close == NULL || (size_t)(close - text - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		if (close[1] == ':')
			port_text = close + 2;
		else if (close[1] != '\0')
			return -EINVAL;
	} else {
		const char *colon = strchr(text, ':');
		bool bare_v6 = colon != NULL && strchr(colon + 1, ':') != NULL;
		size_t n = (colon && !bare_v6) ? (size_t)(colon - text) : strlen(text);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, n);
		host[n] = '\0';
		if (colon && !bare_v6)
			port_text = colon + 1;
	}
	if (port_text != NULL && port_parse(port_text, &port) != 0)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (!bracketed && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

/* Room for bursts: a full UDP receive buffer loses queries.  Root may
 * exceed net.core.rmem_max (create() runs before privileges drop). */
static void udp_buffers(int fd)
{
	int size = UDP_BUFFER_BYTES;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static bool is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int dns_socket_open(const struct sockaddr_storage *ss, socklen_t len, int type,
                    bool reuseport)
{
	int one = 1;
	int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* SO_REUSEADDR only for TCP (a restart despite TIME_WAIT): on UDP it
	 * would let a second socket take the same port unnoticed. */
	if ((type == SOCK_STREAM &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0))
		goto fail;
	/* "[::]" serves IPv6 only: list "0.0.0.0" for IPv4, as the sample does. */
	if (ss->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
		goto fail;
	/* On a wildcard address, learn each query's destination so the reply
	 * leaves from it. */
	if (type == SOCK_DGRAM && is_wildcard(ss)) {
		int ret = ss->ss_family == AF_INET
			? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
			: setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		if (ret != 0)
			goto fail;
	}
	if (type == SOCK_DGRAM)
		udp_buffers(fd);
	if (bind(fd, (const struct sockaddr *)ss, len) != 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 128) != 0)
		goto fail;
	return fd;
fail:;
	int err = -errno;
	close(fd);
	return err;
}
