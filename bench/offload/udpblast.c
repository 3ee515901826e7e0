// udpblast: the traffic generator of bench/offload.ts (compiled at bench time with clang).
//
//   udpblast send SRC_IP SRC_PORT DST_IP DST_PORT RATE_PPS DURATION_MS SIZE
//     paced sendmmsg from a bound, connected socket: every ~50 us it sends what keeps
//     sent = rate x elapsed (batches of up to 64); prints "sent N elapsed_us E" at the end.
//   udpblast recv IP PORT
//     recvmmsg into a 16 MB buffer, counting datagrams; prints the running total each time a line
//     arrives on stdin, and exits when stdin closes. Stays bound for the whole bench, so a relay
//     in front of it never sees an ICMP port-unreachable.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct sockaddr_in addr_of(const char *ip, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", ip);
		exit(2);
	}
	return a;
}

static int bound_socket(const char *ip, const char *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = addr_of(ip, port);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("bind");
		exit(2);
	}
	return fd;
}

static int do_send(char **argv)
{
	int fd = bound_socket(argv[0], argv[1]);
	struct sockaddr_in dst = addr_of(argv[2], argv[3]);
	double rate = atof(argv[4]);
	uint64_t duration_ns = (uint64_t)atoll(argv[5]) * 1000000ull;
	int size = atoi(argv[6]);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		perror("connect");
		return 2;
	}
	static char payload[BATCH][2048];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		memset(payload[i], 'a', sizeof(payload[i]));
		iov[i].iov_base = payload[i];
		iov[i].iov_len = (size_t)size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	uint64_t start = now_ns(), sent = 0, t;
	while ((t = now_ns() - start) < duration_ns) {
		uint64_t due = (uint64_t)(rate * (double)t / 1e9) + 1;
		while (sent < due) {
			unsigned n = due - sent > BATCH ? BATCH : (unsigned)(due - sent);
			for (unsigned i = 0; i < n; i++)
				memcpy(payload[i], &(uint64_t){ sent + i }, sizeof(uint64_t));
			int r = sendmmsg(fd, msgs, n, 0);
			if (r < 0) {
				if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
					break; /* the datagrams were not sent: not counted */
				perror("sendmmsg");
				return 2;
			}
			sent += (uint64_t)r;
		}
		struct timespec pause = { 0, 50000 };
		nanosleep(&pause, NULL);
	}
	printf("sent %llu elapsed_us %llu\n", (unsigned long long)sent, (unsigned long long)((now_ns() - start) / 1000));
	return 0;
}

static int do_recv(char **argv)
{
	int fd = bound_socket(argv[0], argv[1]);
	int buf = 16 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) == 0 ||
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	static char data[BATCH][2048];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = data[i];
		iov[i].iov_len = sizeof(data[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	uint64_t total = 0;
	struct pollfd fds[2] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			return 2;
		if (fds[0].revents & POLLIN) {
			int r;
			while ((r = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL)) > 0)
				total += (uint64_t)r;
		}
		if (fds[1].revents & (POLLIN | POLLHUP)) {
			char line[64];
			if (!fgets(line, sizeof(line), stdin))
				return 0;
			printf("%llu\n", (unsigned long long)total);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 9 && strcmp(argv[1], "send") == 0)
		return do_send(argv + 2);
	if (argc == 4 && strcmp(argv[1], "recv") == 0)
		return do_recv(argv + 2);
	fprintf(stderr, "usage: udpblast send SRC_IP SRC_PORT DST_IP DST_PORT RATE DURATION_MS SIZE\n"
			"       udpblast recv IP PORT\n");
	return 2;
}
