/* pipe_in_flight [BYTES]: a pipe that always holds BYTES (default 16 KiB) of pattern data of the
 * current generation. Each check reads it all back, compares, and writes the next generation. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "wl.h"

struct pipe_wl {
  int fd[2];
  size_t n;
  uint64_t gen;
  unsigned char *buf;
};

static int check(void *ctx, char *reason) {
  struct pipe_wl *p = ctx;
  if (wl_read_all(p->fd[0], p->buf, p->n) != 0) return wl_fail(reason, "pipe read failed");
  if (wl_readable(p->fd[0], 0) != 0) return wl_fail(reason, "more data in the pipe than written");
  if (wl_check_pattern(p->buf, p->n, 1, p->gen, "pipe", reason) != 0) return -1;
  ++p->gen;
  wl_pattern(p->buf, p->n, 1, p->gen);
  if (wl_write_all(p->fd[1], p->buf, p->n) != 0) return wl_fail(reason, "pipe write failed");
  return 0;
}

int wl_main_pipe_in_flight(int argc, char **argv) {
  static struct pipe_wl p;
  p.n = argc > 1 ? (size_t)atol(argv[1]) : 16384;
  if (p.n == 0 || p.n > 60000) wl_die("bytes must be 1..60000");
  if (pipe2(p.fd, O_NONBLOCK) != 0) wl_die("pipe2");
  p.buf = malloc(p.n);
  if (!p.buf) wl_die("malloc");
  wl_pattern(p.buf, p.n, 1, 0);
  if (wl_write_all(p.fd[1], p.buf, p.n) != 0) wl_die("initial write");
  wl_loop(&p, check);
}
