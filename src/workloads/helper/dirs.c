/* dirs DIR...: directories that are mount points (bind mounts of host directories the test
 * made, each holding a file "marker" with the text "crh-workloads marker\n"). The workload keeps
 * a descriptor of each directory; each check reads the marker by path and through the
 * descriptor (same inode), writes "gen" through the descriptor and reads it back by path, and
 * checks that DIR is still a mount point of its own (statx mount id differs from its parent's;
 * distinct for every DIR). A DIR that was a symlink at setup must still be one, and the mount
 * must be at its target. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wl.h"

#define MAX_DIRS 8
#define MARKER "crh-workloads marker\n"

struct dir_ent {
  const char *path;
  int fd;
  int is_link;
  char target[PATH_MAX];
  ino_t marker_ino;
};

struct dirs_wl {
  int n;
  struct dir_ent d[MAX_DIRS];
  uint64_t gen;
};

static int mnt_id(int dirfd, const char *path, uint64_t *id) {
  struct statx sx;
  if (statx(dirfd, path, AT_NO_AUTOMOUNT, STATX_MNT_ID, &sx) != 0) return -1;
  if (!(sx.stx_mask & STATX_MNT_ID)) return -1;
  *id = sx.stx_mnt_id;
  return 0;
}

static int check(void *ctx, char *reason) {
  struct dirs_wl *w = ctx;
  uint64_t ids[MAX_DIRS];
  ++w->gen;
  for (int i = 0; i < w->n; ++i) {
    struct dir_ent *d = &w->d[i];
    char buf[128], path[PATH_MAX];
    struct stat st;
    if (d->is_link) {
      if (lstat(d->path, &st) != 0 || !S_ISLNK(st.st_mode)) {
        return wl_fail(reason, "%s is not a symlink any more", d->path);
      }
      ssize_t k = readlink(d->path, path, sizeof path - 1);
      if (k < 0 || (path[k] = 0, strcmp(path, d->target) != 0)) {
        return wl_fail(reason, "%s points elsewhere now", d->path);
      }
    }
    snprintf(path, sizeof path, "%s/marker", d->path);
    if (wl_read_file(path, buf, sizeof buf) < 0 || strcmp(buf, MARKER) != 0) {
      return wl_fail(reason, "%s is missing or changed", path);
    }
    if (stat(path, &st) != 0 || st.st_ino != d->marker_ino) {
      return wl_fail(reason, "%s is another inode now", path);
    }
    int fd = openat(d->fd, "marker", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return wl_fail(reason, "openat(%s, marker)", d->path);
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r != (ssize_t)strlen(MARKER))
      return wl_fail(reason, "marker via the descriptor of %s", d->path);
    char want[64];
    int wn = snprintf(want, sizeof want, "gen %llu\n", (unsigned long long)w->gen);
    fd = openat(d->fd, "gen", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || wl_write_all(fd, want, (size_t)wn) != 0) {
      if (fd >= 0) close(fd);
      return wl_fail(reason, "write %s/gen via the descriptor", d->path);
    }
    close(fd);
    snprintf(path, sizeof path, "%s/gen", d->path);
    if (wl_read_file(path, buf, sizeof buf) != wn || strcmp(buf, want) != 0) {
      return wl_fail(reason, "%s does not show what the descriptor wrote", path);
    }
    uint64_t parent;
    snprintf(path, sizeof path, "%s/..", d->path);
    if (mnt_id(AT_FDCWD, d->path, &ids[i]) != 0 || mnt_id(AT_FDCWD, path, &parent) != 0) {
      return wl_fail(reason, "statx mount id of %s", d->path);
    }
    if (ids[i] == parent) return wl_fail(reason, "%s is no longer a mount point", d->path);
    for (int j = 0; j < i; ++j) {
      if (ids[j] == ids[i])
        return wl_fail(reason, "%s and %s are one mount", w->d[j].path, d->path);
    }
  }
  return 0;
}

int wl_main_dirs(int argc, char **argv) {
  static struct dirs_wl w;
  for (int i = 1; i < argc; ++i) {
    if (w.n == MAX_DIRS) wl_die("at most %d directories", MAX_DIRS);
    struct dir_ent *d = &w.d[w.n++];
    d->path = argv[i];
    struct stat st;
    if (lstat(d->path, &st) != 0) wl_die("lstat %s", d->path);
    if (S_ISLNK(st.st_mode)) {
      d->is_link = 1;
      ssize_t k = readlink(d->path, d->target, sizeof d->target - 1);
      if (k < 0) wl_die("readlink %s", d->path);
      d->target[k] = 0;
    }
    d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->fd < 0) wl_die("open %s", d->path);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/marker", d->path);
    if (stat(path, &st) != 0) wl_die("no %s (the test writes it)", path);
    d->marker_ino = st.st_ino;
  }
  if (w.n == 0) wl_die("usage: dirs DIR...");
  wl_loop(&w, check);
}
