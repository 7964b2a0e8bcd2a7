/* tcp_server [PORT]: listens on 0.0.0.0:PORT (default 7000) and serves one client, which the
 * test runs outside the container. Until the client connects each check only sees the
 * listener. Once connected, each check wants the connection ESTABLISHED (TCP_INFO), reads the
 * lines that arrived, "ping K" with K = 1, 2, 3, ... (a lost or replayed line fails), and
 * answers each with "pong K". The client closing the connection is a failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wl.h"

struct tcp_wl {
  int lfd, cfd;
  unsigned long long next;
  char buf[4096];
  size_t len;
};

static int check(void *ctx, char *reason) {
  struct tcp_wl *t = ctx;
  if (t->cfd < 0) {
    t->cfd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (t->cfd < 0) {
      if (errno == EAGAIN) return 0;
      return wl_fail(reason, "accept failed");
    }
    wl_note("tcp_server: client connected");
  }
  struct tcp_info ti;
  socklen_t tl = sizeof ti;
  if (getsockopt(t->cfd, IPPROTO_TCP, TCP_INFO, &ti, &tl) != 0) return wl_fail(reason, "TCP_INFO");
  if (ti.tcpi_state != 1 /* TCP_ESTABLISHED */) {
    return wl_fail(reason, "connection state %u, not ESTABLISHED", ti.tcpi_state);
  }
  for (;;) {
    ssize_t r = recv(t->cfd, t->buf + t->len, sizeof t->buf - 1 - t->len, MSG_DONTWAIT);
    if (r == 0) return wl_fail(reason, "the client closed the connection");
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      return wl_fail(reason, "recv: %s", strerror(errno));
    }
    t->len += (size_t)r;
    t->buf[t->len] = 0;
    char *nl;
    while ((nl = strchr(t->buf, '\n'))) {
      *nl = 0;
      unsigned long long k;
      if (sscanf(t->buf, "ping %llu", &k) != 1) return wl_fail(reason, "bad line \"%s\"", t->buf);
      if (k != t->next) return wl_fail(reason, "got ping %llu, want ping %llu", k, t->next);
      ++t->next;
      char out[64];
      int n = snprintf(out, sizeof out, "pong %llu\n", k);
      if (send(t->cfd, out, (size_t)n, MSG_NOSIGNAL) != n) return wl_fail(reason, "send pong");
      size_t used = (size_t)(nl + 1 - t->buf);
      memmove(t->buf, nl + 1, t->len - used + 1);
      t->len -= used;
    }
  }
  return 0;
}

int wl_main_tcp_server(int argc, char **argv) {
  static struct tcp_wl t;
  t.cfd = -1;
  t.next = 1;
  int port = argc > 1 ? atoi(argv[1]) : 7000;
  t.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (t.lfd < 0) wl_die("socket");
  int one = 1;
  setsockopt(t.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {
      .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {htonl(INADDR_ANY)}};
  if (bind(t.lfd, (struct sockaddr *)&a, sizeof a) != 0) wl_die("bind port %d", port);
  if (listen(t.lfd, 4) != 0) wl_die("listen");
  wl_loop(&t, check);
}
