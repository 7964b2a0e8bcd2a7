/* unix_dgram [PATH]: a datagram socket bound at PATH (default /tmp/wl.dgram) and a sender
 * connected to it; 8 messages of different sizes stay queued. Each check receives them, checks
 * order, boundaries (sizes) and contents, and queues the next generation. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "wl.h"

#define DGRAMS 8

struct dgram_wl {
  int rx, tx;
  uint64_t gen;
  unsigned char buf[4096];
};

static size_t size_of(int i) { return 100 + 300 * (size_t)i; }

static int queue(struct dgram_wl *d) {
  for (int i = 0; i < DGRAMS; ++i) {
    wl_pattern(d->buf, size_of(i), 5 + (uint64_t)i, d->gen);
    if (send(d->tx, d->buf, size_of(i), 0) != (ssize_t)size_of(i)) return -1;
  }
  return 0;
}

static int check(void *ctx, char *reason) {
  struct dgram_wl *d = ctx;
  for (int i = 0; i < DGRAMS; ++i) {
    if (wl_readable(d->rx, 2000) != 1)
      return wl_fail(reason, "message %d of %d missing", i, DGRAMS);
    ssize_t n = recv(d->rx, d->buf, sizeof d->buf, MSG_DONTWAIT);
    if (n != (ssize_t)size_of(i)) {
      return wl_fail(reason, "message %d is %zd bytes, want %zu", i, n, size_of(i));
    }
    char what[32];
    snprintf(what, sizeof what, "message %d", i);
    if (wl_check_pattern(d->buf, (size_t)n, 5 + (uint64_t)i, d->gen, what, reason) != 0) return -1;
  }
  if (wl_readable(d->rx, 0) != 0) return wl_fail(reason, "more messages than sent");
  ++d->gen;
  if (queue(d) != 0) return wl_fail(reason, "send failed");
  return 0;
}

int wl_main_unix_dgram(int argc, char **argv) {
  static struct dgram_wl d;
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", argc > 1 ? argv[1] : "/tmp/wl.dgram");
  unlink(a.sun_path);
  d.rx = socket(AF_UNIX, SOCK_DGRAM, 0);
  d.tx = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (d.rx < 0 || d.tx < 0) wl_die("socket");
  int big = 1 << 20;
  setsockopt(d.rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (bind(d.rx, (struct sockaddr *)&a, sizeof a) != 0) wl_die("bind %s", a.sun_path);
  if (connect(d.tx, (struct sockaddr *)&a, sizeof a) != 0) wl_die("connect %s", a.sun_path);
  if (queue(&d) != 0) wl_die("initial send");
  wl_loop(&d, check);
}
