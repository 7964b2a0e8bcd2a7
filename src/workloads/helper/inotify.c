/* inotify [DIR]: an inotify watch (IN_CREATE|IN_DELETE) on DIR (default /tmp/wl.watched). Each
 * check creates and removes a file named after the generation and must see both events, for
 * that name, on the same watch descriptor. CRIU restores the watch but not events that were
 * queued at dump time (they are dropped), so an event pair interrupted by the dump is retried
 * once with a fresh name, with a "note" line; a watch that reports nothing fails. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wl.h"

struct ino_wl {
  const char *dir;
  int fd, wd;
  uint64_t gen;
};

/* 0 if the event (mask, name) arrives within 1 s, skipping events for other names. */
static int expect(struct ino_wl *w, uint32_t mask, const char *name, char *reason) {
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    if (wl_readable(w->fd, 1000) != 1) {
      return wl_fail(reason, "no %s event for %s within 1 s",
                     mask == IN_CREATE ? "IN_CREATE" : "IN_DELETE", name);
    }
    ssize_t n = read(w->fd, buf, sizeof buf);
    if (n <= 0) return wl_fail(reason, "inotify read failed");
    /* Only the first event of a batch is examined when it matches; the rest are for names
     * this check is not looking for (a retried name) or the matching one. */
    int found = 0;
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *e = (struct inotify_event *)p;
      if (e->wd != w->wd) return wl_fail(reason, "event on watch %d, want %d", e->wd, w->wd);
      if ((e->mask & mask) && e->len && strcmp(e->name, name) == 0) found = 1;
      p += sizeof *e + e->len;
    }
    if (found) return 0;
  }
}

static int round_trip(struct ino_wl *w, const char *name, char *reason) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", w->dir, name);
  int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return wl_fail(reason, "create %s", path);
  close(fd);
  if (expect(w, IN_CREATE, name, reason) != 0) return -1;
  if (unlink(path) != 0) return wl_fail(reason, "unlink %s", path);
  return expect(w, IN_DELETE, name, reason);
}

static int check(void *ctx, char *reason) {
  struct ino_wl *w = ctx;
  char name[64];
  snprintf(name, sizeof name, "f%llu", (unsigned long long)++w->gen);
  if (round_trip(w, name, reason) == 0) return 0;
  /* Maybe the dump came between the file operation and the read: retry once. */
  char first[WL_REASON];
  snprintf(first, sizeof first, "%s", reason);
  snprintf(name, sizeof name, "f%llu-retry", (unsigned long long)w->gen);
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/f%llu", w->dir, (unsigned long long)w->gen);
  unlink(path);
  while (wl_readable(w->fd, 0) == 1) {
    char drain[4096];
    if (read(w->fd, drain, sizeof drain) <= 0) break;
  }
  if (round_trip(w, name, reason) != 0) return -1;
  wl_note("inotify: %s; the retry worked (queued events do not survive a dump)", first);
  return 0;
}

int wl_main_inotify(int argc, char **argv) {
  static struct ino_wl w;
  w.dir = argc > 1 ? argv[1] : "/tmp/wl.watched";
  mkdir(w.dir, 0700);
  w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w.fd < 0) wl_die("inotify_init1");
  w.wd = inotify_add_watch(w.fd, w.dir, IN_CREATE | IN_DELETE);
  if (w.wd < 0) wl_die("inotify_add_watch %s", w.dir);
  wl_loop(&w, check);
}
