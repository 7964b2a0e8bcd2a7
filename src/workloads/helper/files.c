/* files [-c] PATH...: for each PATH, a file of 64 KiB: a header line "gen N" then pattern data
 * of generation N. The workload keeps a descriptor of each open; each check reads every file
 * through its descriptor and through its path (which must name the file the descriptor
 * refers to: a restored tmpfs file has a new inode number), compares, then writes the next
 * generation through the descriptor. With -c, a sibling PATH.closed written once at setup and
 * never held open must keep its contents too (it lives only in the filesystem: on a tmpfs that
 * means CRIU carried the mount's contents). PATH may already exist (a bind-mounted host file):
 * it is rewritten. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wl.h"

#define FILE_BYTES 65536
#define HDR 32
#define MAX_FILES 8

struct file_ent {
  const char *path;
  char closed[PATH_MAX];
  int fd;
};

struct files_wl {
  int n, with_closed;
  struct file_ent f[MAX_FILES];
  uint64_t gen;
  unsigned char buf[FILE_BYTES];
};

static void fill(unsigned char *buf, uint64_t seed, uint64_t gen) {
  memset(buf, ' ', HDR);
  int k = snprintf((char *)buf, HDR, "gen %llu", (unsigned long long)gen);
  buf[k] = ' ';
  buf[HDR - 1] = '\n';
  wl_pattern(buf + HDR, FILE_BYTES - HDR, seed, gen);
}

static int same(const unsigned char *buf, uint64_t seed, uint64_t gen, const char *what,
                char *reason) {
  unsigned char hdr[HDR];
  memset(hdr, ' ', HDR);
  int k = snprintf((char *)hdr, HDR, "gen %llu", (unsigned long long)gen);
  hdr[k] = ' ';
  hdr[HDR - 1] = '\n';
  if (memcmp(hdr, buf, HDR) != 0) {
    return wl_fail(reason, "%s: header is \"%.*s\", want gen %llu", what, HDR - 1, buf,
                   (unsigned long long)gen);
  }
  return wl_check_pattern(buf + HDR, FILE_BYTES - HDR, seed, gen, what, reason);
}

static int check(void *ctx, char *reason) {
  struct files_wl *w = ctx;
  for (int i = 0; i < w->n; ++i) {
    struct file_ent *f = &w->f[i];
    struct stat st;
    if (stat(f->path, &st) != 0) return wl_fail(reason, "%s is gone", f->path);
    struct stat fst;
    if (fstat(f->fd, &fst) != 0 || fst.st_ino != st.st_ino || fst.st_dev != st.st_dev) {
      return wl_fail(reason, "%s and the descriptor held for it are different files", f->path);
    }
    if (st.st_size != FILE_BYTES) {
      return wl_fail(reason, "%s is %lld bytes", f->path, (long long)st.st_size);
    }
    if (pread(f->fd, w->buf, FILE_BYTES, 0) != FILE_BYTES)
      return wl_fail(reason, "pread %s", f->path);
    if (same(w->buf, 10 + (uint64_t)i, w->gen, f->path, reason) != 0) return -1;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return wl_fail(reason, "open %s", f->path);
    int r = wl_read_all(fd, w->buf, FILE_BYTES);
    close(fd);
    if (r != 0) return wl_fail(reason, "read %s by path", f->path);
    if (same(w->buf, 10 + (uint64_t)i, w->gen, f->path, reason) != 0) return -1;
    if (w->with_closed) {
      fd = open(f->closed, O_RDONLY | O_CLOEXEC);
      if (fd < 0) return wl_fail(reason, "%s is gone", f->closed);
      r = wl_read_all(fd, w->buf, FILE_BYTES);
      close(fd);
      if (r != 0) return wl_fail(reason, "read %s", f->closed);
      if (same(w->buf, 20 + (uint64_t)i, 0, f->closed, reason) != 0) return -1;
    }
  }
  ++w->gen;
  for (int i = 0; i < w->n; ++i) {
    fill(w->buf, 10 + (uint64_t)i, w->gen);
    if (pwrite(w->f[i].fd, w->buf, FILE_BYTES, 0) != FILE_BYTES) {
      return wl_fail(reason, "pwrite %s", w->f[i].path);
    }
  }
  return 0;
}

int wl_main_files(int argc, char **argv) {
  static struct files_wl w;
  int i = 1;
  if (i < argc && strcmp(argv[i], "-c") == 0) {
    w.with_closed = 1;
    ++i;
  }
  for (; i < argc; ++i) {
    if (w.n == MAX_FILES) wl_die("at most %d files", MAX_FILES);
    struct file_ent *f = &w.f[w.n];
    f->path = argv[i];
    f->fd = open(f->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f->fd < 0) wl_die("open %s", f->path);
    if (ftruncate(f->fd, FILE_BYTES) != 0) wl_die("ftruncate %s", f->path);
    fill(w.buf, 10 + (uint64_t)w.n, 0);
    if (pwrite(f->fd, w.buf, FILE_BYTES, 0) != FILE_BYTES) wl_die("write %s", f->path);
    if (w.with_closed) {
      snprintf(f->closed, sizeof f->closed, "%s.closed", f->path);
      int fd = open(f->closed, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) wl_die("open %s", f->closed);
      fill(w.buf, 20 + (uint64_t)w.n, 0);
      if (wl_write_all(fd, w.buf, FILE_BYTES) != 0) wl_die("write %s", f->closed);
      close(fd);
    }
    ++w.n;
  }
  if (w.n == 0) wl_die("usage: files [-c] PATH...");
  wl_loop(&w, check);
}
