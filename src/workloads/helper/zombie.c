/* zombie: a child that exited with status 42 and is never reaped. Each check finds it with
 * waitid(WEXITED|WNOHANG|WNOWAIT) (same pid, CLD_EXITED, status 42, still there afterwards) and
 * in state Z in /proc/PID/stat. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl.h"

struct zombie_wl {
  pid_t child;
};

static int check(void *ctx, char *reason) {
  struct zombie_wl *z = ctx;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, (id_t)z->child, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return wl_fail(reason, "waitid: the child %d is gone", (int)z->child);
  }
  if (si.si_pid != z->child || si.si_code != CLD_EXITED || si.si_status != 42) {
    return wl_fail(reason, "waitid gave pid %d code %d status %d", (int)si.si_pid, si.si_code,
                   si.si_status);
  }
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)z->child);
  if (wl_read_file(path, stat, sizeof stat) <= 0) return wl_fail(reason, "no %s", path);
  char *p = strrchr(stat, ')');
  if (!p || p[1] != ' ' || p[2] != 'Z') return wl_fail(reason, "child state is not Z: %s", stat);
  return 0;
}

int wl_main_zombie(int argc, char **argv) {
  (void)argc;
  (void)argv;
  static struct zombie_wl z;
  signal(SIGCHLD, SIG_DFL);
  z.child = fork();
  if (z.child < 0) wl_die("fork");
  if (z.child == 0) _exit(42);
  /* Wait until it is a zombie before saying ready. */
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, (id_t)z.child, &si, WEXITED | WNOWAIT) != 0) wl_die("waitid");
  wl_loop(&z, check);
}
