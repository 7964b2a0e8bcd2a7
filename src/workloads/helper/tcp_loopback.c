/* tcp_loopback [PORT] [N]: N (default 2) TCP connections over loopback inside the container,
 * made to its own listener on 127.0.0.1:PORT (default 7002) and accepted, each with 4 KiB
 * queued in both directions (unread data in the receive queues). Each check reads every queue
 * back, compares, and queues the next generation; both ends must stay ESTABLISHED. CRIU dumps
 * established connections only with --tcp-established. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wl.h"

#define LOOP_BYTES 4096
#define MAX_CONN 8

struct loop_wl {
  int lfd, n;
  int cli[MAX_CONN], srv[MAX_CONN];
  uint64_t gen;
  unsigned char buf[LOOP_BYTES];
};

static int queue(struct loop_wl *l) {
  for (int i = 0; i < l->n; ++i) {
    wl_pattern(l->buf, LOOP_BYTES, 30 + (uint64_t)i, l->gen);
    if (wl_write_all(l->cli[i], l->buf, LOOP_BYTES) != 0) return -1;
    wl_pattern(l->buf, LOOP_BYTES, 40 + (uint64_t)i, l->gen);
    if (wl_write_all(l->srv[i], l->buf, LOOP_BYTES) != 0) return -1;
  }
  return 0;
}

static int established(int fd) {
  struct tcp_info ti;
  socklen_t tl = sizeof ti;
  return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_state == 1;
}

static int check(void *ctx, char *reason) {
  struct loop_wl *l = ctx;
  for (int i = 0; i < l->n; ++i) {
    if (!established(l->cli[i]) || !established(l->srv[i])) {
      return wl_fail(reason, "connection %d is not ESTABLISHED", i);
    }
    if (wl_read_all(l->srv[i], l->buf, LOOP_BYTES) != 0) return wl_fail(reason, "read c->s %d", i);
    if (wl_check_pattern(l->buf, LOOP_BYTES, 30 + (uint64_t)i, l->gen, "client->server", reason)) {
      return -1;
    }
    if (wl_read_all(l->cli[i], l->buf, LOOP_BYTES) != 0) return wl_fail(reason, "read s->c %d", i);
    if (wl_check_pattern(l->buf, LOOP_BYTES, 40 + (uint64_t)i, l->gen, "server->client", reason)) {
      return -1;
    }
    if (wl_readable(l->srv[i], 0) != 0 || wl_readable(l->cli[i], 0) != 0) {
      return wl_fail(reason, "connection %d has more data than was sent", i);
    }
  }
  ++l->gen;
  return queue(l) == 0 ? 0 : wl_fail(reason, "write failed");
}

int wl_main_tcp_loopback(int argc, char **argv) {
  static struct loop_wl l;
  int port = argc > 1 ? atoi(argv[1]) : 7002;
  l.n = argc > 2 ? atoi(argv[2]) : 2;
  if (l.n < 1 || l.n > MAX_CONN) wl_die("N must be 1..%d", MAX_CONN);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr = {htonl(INADDR_LOOPBACK)}};
  l.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l.lfd < 0) wl_die("socket");
  int one = 1;
  setsockopt(l.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l.lfd, (struct sockaddr *)&a, sizeof a) != 0) wl_die("bind");
  if (listen(l.lfd, MAX_CONN) != 0) wl_die("listen");
  for (int i = 0; i < l.n; ++i) {
    l.cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (l.cli[i] < 0) wl_die("socket");
    if (connect(l.cli[i], (struct sockaddr *)&a, sizeof a) != 0 && wl_readable(l.lfd, 1000) != 1) {
      wl_die("connect %d", i);
    }
    l.srv[i] = accept4(l.lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (l.srv[i] < 0) wl_die("accept %d", i);
  }
  if (queue(&l) != 0) wl_die("initial write");
  wl_loop(&l, check);
}
