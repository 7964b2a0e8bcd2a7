/* tcp_backlog [PORT] [N]: listens on 127.0.0.1:PORT (default 7001) and keeps N (default 3)
 * connections from its own client sockets queued, not accepted, each client having sent a
 * token ("token G") right after connecting. Each check: the listener is readable; accept the
 * oldest connection (FIFO: its peer port is the oldest client's), read its token, answer, read
 * the answer on the client side, close both, and queue a new connection. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wl.h"

#define MAX_Q 16

struct backlog_wl {
  int lfd;
  struct sockaddr_in addr;
  int n;
  int client[MAX_Q]; /* oldest first */
  unsigned long long token[MAX_Q];
  unsigned long long next;
};

static int connect_one(struct backlog_wl *b, int slot) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&b->addr, sizeof b->addr) != 0) {
    close(fd);
    return -1;
  }
  char t[32];
  int n = snprintf(t, sizeof t, "token %llu\n", b->next);
  if (send(fd, t, (size_t)n, MSG_NOSIGNAL) != n) {
    close(fd);
    return -1;
  }
  b->client[slot] = fd;
  b->token[slot] = b->next++;
  return 0;
}

static int check(void *ctx, char *reason) {
  struct backlog_wl *b = ctx;
  if (wl_readable(b->lfd, 0) != 1) return wl_fail(reason, "no connection queued on the listener");
  struct sockaddr_in peer;
  socklen_t pl = sizeof peer;
  int s = accept4(b->lfd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
  if (s < 0) return wl_fail(reason, "accept: %s", strerror(errno));
  struct sockaddr_in mine;
  socklen_t ml = sizeof mine;
  getsockname(b->client[0], (struct sockaddr *)&mine, &ml);
  if (peer.sin_port != mine.sin_port) {
    close(s);
    return wl_fail(reason, "accepted port %d, the oldest client is %d", ntohs(peer.sin_port),
                   ntohs(mine.sin_port));
  }
  char buf[64] = "", want[32];
  int wn = snprintf(want, sizeof want, "token %llu\n", b->token[0]);
  if (wl_readable(s, 1000) != 1 || recv(s, buf, sizeof buf - 1, 0) != wn ||
      memcmp(buf, want, (size_t)wn) != 0) {
    close(s);
    return wl_fail(reason, "the queued connection's token is \"%s\", want \"token %llu\"", buf,
                   b->token[0]);
  }
  if (send(s, "ack\n", 4, MSG_NOSIGNAL) != 4 || wl_readable(b->client[0], 1000) != 1 ||
      recv(b->client[0], buf, sizeof buf, 0) != 4) {
    close(s);
    return wl_fail(reason, "no answer on the client side");
  }
  close(s);
  close(b->client[0]);
  memmove(b->client, b->client + 1, sizeof(int) * (size_t)(b->n - 1));
  memmove(b->token, b->token + 1, sizeof(unsigned long long) * (size_t)(b->n - 1));
  if (connect_one(b, b->n - 1) != 0) return wl_fail(reason, "a new connection failed");
  return 0;
}

int wl_main_tcp_backlog(int argc, char **argv) {
  static struct backlog_wl b;
  int port = argc > 1 ? atoi(argv[1]) : 7001;
  b.n = argc > 2 ? atoi(argv[2]) : 3;
  if (b.n < 1 || b.n > MAX_Q) wl_die("N must be 1..%d", MAX_Q);
  b.addr = (struct sockaddr_in){.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr = {htonl(INADDR_LOOPBACK)}};
  b.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (b.lfd < 0) wl_die("socket");
  int one = 1;
  setsockopt(b.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(b.lfd, (struct sockaddr *)&b.addr, sizeof b.addr) != 0) wl_die("bind");
  if (listen(b.lfd, MAX_Q) != 0) wl_die("listen");
  b.next = 1;
  for (int i = 0; i < b.n; ++i) {
    if (connect_one(&b, i) != 0) wl_die("connect %d", i);
  }
  wl_loop(&b, check);
}
