/* fifo_in_flight [PATH]: mkfifo PATH (default /tmp/wl.fifo) inside the container, open both
 * ends, keep 8 KiB of the current generation in flight; each check reads it back and writes
 * the next generation. Also checks PATH is still a FIFO. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wl.h"

#define FIFO_BYTES 8192

struct fifo_wl {
  const char *path;
  int rd, wr;
  uint64_t gen;
  unsigned char buf[FIFO_BYTES];
};

static int check(void *ctx, char *reason) {
  struct fifo_wl *f = ctx;
  struct stat st;
  if (stat(f->path, &st) != 0 || !S_ISFIFO(st.st_mode)) {
    return wl_fail(reason, "%s is no longer a FIFO", f->path);
  }
  if (wl_read_all(f->rd, f->buf, FIFO_BYTES) != 0) return wl_fail(reason, "fifo read failed");
  if (wl_readable(f->rd, 0) != 0) return wl_fail(reason, "more data in the fifo than written");
  if (wl_check_pattern(f->buf, FIFO_BYTES, 2, f->gen, "fifo", reason) != 0) return -1;
  ++f->gen;
  wl_pattern(f->buf, FIFO_BYTES, 2, f->gen);
  if (wl_write_all(f->wr, f->buf, FIFO_BYTES) != 0) return wl_fail(reason, "fifo write failed");
  return 0;
}

int wl_main_fifo_in_flight(int argc, char **argv) {
  static struct fifo_wl f;
  f.path = argc > 1 ? argv[1] : "/tmp/wl.fifo";
  unlink(f.path);
  if (mkfifo(f.path, 0600) != 0) wl_die("mkfifo %s", f.path);
  f.rd = open(f.path, O_RDONLY | O_NONBLOCK);
  if (f.rd < 0) wl_die("open %s for reading", f.path);
  f.wr = open(f.path, O_WRONLY);
  if (f.wr < 0) wl_die("open %s for writing", f.path);
  wl_pattern(f.buf, FIFO_BYTES, 2, 0);
  if (wl_write_all(f.wr, f.buf, FIFO_BYTES) != 0) wl_die("initial write");
  wl_loop(&f, check);
}
