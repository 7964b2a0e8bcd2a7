/* exec_watch MODE / exec_child [daemon]: a process started in the container from outside, by
 * the runtime's `exec --detach`, and the container's init watching it.
 *
 * exec_child: if "daemon", forks and lets the parent exit (init adopts the child, as with any
 * daemon) and calls setsid(). Then, in both modes, points its stdio at the container's own
 * /dev/null, publishes its pid in /dev/shm/crh-exec.pid and bumps a counter in
 * /dev/shm/crh-exec.count every 20 ms.
 *
 * exec_watch (the container's init) checks nothing until the pid file appears; then it prints
 * "note exec joined pid N" once, and every check wants that process alive and not a zombie, its
 * count advanced since the previous check and, in "daemon" mode, init as its parent. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wl.h"

#define PID_FILE "/dev/shm/crh-exec.pid"
#define COUNT_FILE "/dev/shm/crh-exec.count"

struct exec_wl {
  int daemon;
  pid_t pid;
  unsigned long long last;
};

static unsigned long long read_count(void) {
  char buf[64];
  if (wl_read_file(COUNT_FILE, buf, sizeof buf) <= 0) return 0;
  return strtoull(buf, NULL, 10);
}

static int check(void *ctx, char *reason) {
  struct exec_wl *x = ctx;
  if (x->pid == 0) {
    char buf[32];
    if (wl_read_file(PID_FILE, buf, sizeof buf) <= 0) return 0; /* not exec'd yet */
    x->pid = (pid_t)atoi(buf);
    x->last = read_count();
    wl_note("exec joined pid %d", (int)x->pid);
    return 0;
  }
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)x->pid);
  if (kill(x->pid, 0) != 0 || wl_read_file(path, stat, sizeof stat) <= 0) {
    return wl_fail(reason, "the exec'd process %d is gone", (int)x->pid);
  }
  char *p = strrchr(stat, ')');
  char st = 0;
  int ppid = 0;
  if (!p || sscanf(p + 1, " %c %d", &st, &ppid) != 2) return wl_fail(reason, "bad %s", path);
  if (st == 'Z') return wl_fail(reason, "the exec'd process %d is a zombie", (int)x->pid);
  if (x->daemon && ppid != getpid()) {
    return wl_fail(reason, "the exec'd daemon's parent is %d, not init (%d)", ppid, (int)getpid());
  }
  unsigned long long now = read_count();
  if (now <= x->last) {
    return wl_fail(reason, "the exec'd process stopped counting at %llu", now);
  }
  x->last = now;
  return 0;
}

int wl_main_exec_watch(int argc, char **argv) {
  static struct exec_wl x;
  x.daemon = argc > 1 && strcmp(argv[1], "daemon") == 0;
  unlink(PID_FILE);
  unlink(COUNT_FILE);
  wl_loop(&x, check);
}

int wl_main_exec_child(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "daemon") == 0) {
    pid_t child = fork();
    if (child < 0) wl_die("fork");
    if (child > 0) _exit(0);
    setsid();
  }
  int null = open("/dev/null", O_RDWR);
  if (null < 0) wl_die("open /dev/null");
  for (int fd = 0; fd < 3; ++fd) dup2(null, fd);
  if (null > 2) close(null);
  int cfd = open(COUNT_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (cfd < 0) _exit(2);
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
  int pfd = open(PID_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (pfd < 0 || write(pfd, buf, (size_t)n) != n || close(pfd) != 0) _exit(2);
  if (rename(PID_FILE ".tmp", PID_FILE) != 0) _exit(2);
  for (unsigned long long i = 1;; ++i) {
    n = snprintf(buf, sizeof buf, "%llu\n", i);
    if (pwrite(cfd, buf, (size_t)n, 0) != n) _exit(3);
    usleep(20 * 1000);
  }
}
