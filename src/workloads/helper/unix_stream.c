/* unix_stream: a SOCK_STREAM socketpair with 8 KiB queued in each direction (different
 * patterns); each check reads both back, compares, and queues the next generation. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wl.h"

#define STREAM_BYTES 8192

struct stream_wl {
  int sv[2];
  uint64_t gen;
  unsigned char buf[STREAM_BYTES];
};

static int queue(struct stream_wl *s) {
  wl_pattern(s->buf, STREAM_BYTES, 3, s->gen);
  if (wl_write_all(s->sv[0], s->buf, STREAM_BYTES) != 0) return -1;
  wl_pattern(s->buf, STREAM_BYTES, 4, s->gen);
  return wl_write_all(s->sv[1], s->buf, STREAM_BYTES);
}

static int check(void *ctx, char *reason) {
  struct stream_wl *s = ctx;
  if (wl_read_all(s->sv[1], s->buf, STREAM_BYTES) != 0) return wl_fail(reason, "read 0->1");
  if (wl_check_pattern(s->buf, STREAM_BYTES, 3, s->gen, "0->1", reason) != 0) return -1;
  if (wl_read_all(s->sv[0], s->buf, STREAM_BYTES) != 0) return wl_fail(reason, "read 1->0");
  if (wl_check_pattern(s->buf, STREAM_BYTES, 4, s->gen, "1->0", reason) != 0) return -1;
  if (wl_readable(s->sv[0], 0) != 0 || wl_readable(s->sv[1], 0) != 0) {
    return wl_fail(reason, "more data queued than written");
  }
  ++s->gen;
  if (queue(s) != 0) return wl_fail(reason, "write failed");
  return 0;
}

int wl_main_unix_stream(int argc, char **argv) {
  (void)argc;
  (void)argv;
  static struct stream_wl s;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s.sv) != 0) wl_die("socketpair");
  if (queue(&s) != 0) wl_die("initial write");
  wl_loop(&s, check);
}
