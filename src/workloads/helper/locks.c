/* flock / posix_lock / ofd_lock [PATH]: the workload holds an exclusive lock on PATH (default
 * /tmp/wl.<kind>) of one kind: flock(LOCK_EX), fcntl(F_SETLK) on bytes 0..99, or an OFD lock
 * (F_OFD_SETLK) on bytes 0..99. Each check forks a child that opens PATH afresh and must find
 * the lock held: flock(LOCK_EX|LOCK_NB) fails with EWOULDBLOCK, or F_GETLK / F_OFD_GETLK
 * reports a write lock (for a POSIX lock, held by the parent's pid). CRIU dumps these only with
 * --file-locks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "wl.h"

enum kind { K_FLOCK, K_POSIX, K_OFD };

struct lock_wl {
  enum kind kind;
  const char *path;
  int fd;
  pid_t self;
};

static int probe(void *ctx) {
  struct lock_wl *l = ctx;
  int fd = open(l->path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return 10;
  if (l->kind == K_FLOCK) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 11;
    return errno == EWOULDBLOCK ? 0 : 12;
  }
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
  if (fcntl(fd, l->kind == K_POSIX ? F_GETLK : F_OFD_GETLK, &fl) != 0) return 13;
  if (fl.l_type != F_WRLCK) return 14;
  if (l->kind == K_POSIX && fl.l_pid != l->self) return 15;
  if (l->kind == K_OFD && fl.l_pid != -1) return 16;
  return 0;
}

static int check(void *ctx, char *reason) {
  struct lock_wl *l = ctx;
  int r = wl_in_child(probe, l);
  switch (r) {
    case 0:
      return 0;
    case 10:
      return wl_fail(reason, "child cannot open %s", l->path);
    case 11:
      return wl_fail(reason, "flock: the child got the lock: it is not held any more");
    case 12:
      return wl_fail(reason, "flock: unexpected error");
    case 13:
      return wl_fail(reason, "F_GETLK failed");
    case 14:
      return wl_fail(reason, "the lock on %s is not held any more", l->path);
    case 15:
      return wl_fail(reason, "the POSIX lock is held by another pid");
    case 16:
      return wl_fail(reason, "the OFD lock reports a pid");
    default:
      return wl_fail(reason, "probe child failed (%d)", r);
  }
}

static int lock_main(enum kind kind, const char *def, int argc, char **argv) {
  static struct lock_wl l;
  l.kind = kind;
  l.path = argc > 1 ? argv[1] : def;
  l.self = getpid();
  l.fd = open(l.path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (l.fd < 0) wl_die("open %s", l.path);
  if (write(l.fd, "locked\n", 7) != 7) wl_die("write");
  if (kind == K_FLOCK) {
    if (flock(l.fd, LOCK_EX | LOCK_NB) != 0) wl_die("flock");
  } else {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
    if (fcntl(l.fd, kind == K_POSIX ? F_SETLK : F_OFD_SETLK, &fl) != 0) wl_die("lock");
  }
  wl_loop(&l, check);
}

int wl_main_flock(int argc, char **argv) { return lock_main(K_FLOCK, "/tmp/wl.flock", argc, argv); }
int wl_main_posix_lock(int argc, char **argv) {
  return lock_main(K_POSIX, "/tmp/wl.posix_lock", argc, argv);
}
int wl_main_ofd_lock(int argc, char **argv) {
  return lock_main(K_OFD, "/tmp/wl.ofd_lock", argc, argv);
}
