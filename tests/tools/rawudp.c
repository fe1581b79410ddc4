/*
 * rawudp.c - sends one UDP datagram with a source address of the
 * caller's choice, through a raw socket that writes the whole IP header
 * (IPPROTO_RAW: IP_HDRINCL, IPv6 too). It needs CAP_NET_RAW only, which
 * Docker gives every container by default: the e2e tests copy it into a
 * busybox container to forge another container's address from there
 * (spoof.test). Static (musl).
 *
 *	rawudp SRC DST PORT TEXT     SRC and DST both IPv4 or both IPv6
 *
 * The source port is 40000. Exit 0 when the kernel took the datagram,
 * 1 (with the reason on stderr) when not, 2 for bad arguments.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The Internet checksum (RFC 1071) of b[0..n) on top of sum. */
static uint32_t add16(uint32_t sum, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int main(int argc, char **argv)
{
	uint8_t pkt[1024], *udp;
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len, hl;
	uint32_t sum;
	long port;
	int v6, fd;

	if (argc != 5) {
		fprintf(stderr, "usage: rawudp SRC DST PORT TEXT\n");
		return 2;
	}
	v6 = strchr(argv[1], ':') != NULL;
	hl = v6 ? 40 : 20;
	len = strlen(argv[4]);
	port = strtol(argv[3], NULL, 10);
	if (len > sizeof(pkt) - hl - 8 || port < 1 || port > 65535) {
		fprintf(stderr, "rawudp: bad port or text too long\n");
		return 2;
	}
	memset(pkt, 0, sizeof(pkt));
	memset(&to, 0, sizeof(to));
	udp = pkt + hl;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&to;

		pkt[0] = 0x60;
		put16(pkt + 4, (unsigned)(8 + len)); /* payload length */
		pkt[6] = IPPROTO_UDP;
		pkt[7] = 64;
		if (inet_pton(AF_INET6, argv[1], pkt + 8) != 1 ||
		    inet_pton(AF_INET6, argv[2], pkt + 24) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, pkt + 24, 16);
		tolen = sizeof(*s6);
		sum = add16(0, pkt + 8, 32); /* pseudo-header: addresses */
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&to;

		pkt[0] = 0x45;
		put16(pkt + 2, (unsigned)(hl + 8 + len));
		pkt[8] = 64;
		pkt[9] = IPPROTO_UDP;
		if (inet_pton(AF_INET, argv[1], pkt + 12) != 1 ||
		    inet_pton(AF_INET, argv[2], pkt + 16) != 1)
			goto bad;
		put16(pkt + 10, fold(add16(0, pkt, 20)));
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, pkt + 16, 4);
		tolen = sizeof(*s4);
		sum = add16(0, pkt + 12, 8);
	}
	put16(udp, 40000);
	put16(udp + 2, (unsigned)port);
	put16(udp + 4, (unsigned)(8 + len));
	memcpy(udp + 8, argv[4], len);
	sum += IPPROTO_UDP + 8 + (uint32_t)len;
	sum = fold(add16(sum, udp, 8 + len));
	put16(udp + 6, sum ? sum : 0xffff);
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || sendto(fd, pkt, hl + 8 + len, 0, (struct sockaddr *)&to,
			     tolen) != (ssize_t)(hl + 8 + len)) {
		perror("rawudp");
		return 1;
	}
	close(fd);
	return 0;
bad:
	fprintf(stderr, "rawudp: SRC and DST: two IPv4 or two IPv6 "
			"addresses\n");
	return 2;
}
