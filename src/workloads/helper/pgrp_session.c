/* pgrp_session: a process tree with its own structure of sessions and groups:
 *   A: setsid() (a new session, A leads it and its group)
 *   C: A's child, setpgid(0,0): its own group inside A's session
 *   B: setpgid(0,0): a new group in the workload's session
 * All three sleep forever. Each check: everyone is alive and getpgid()/getsid() of the
 * workload, A, B and C are what they were at setup. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "wl.h"

struct proc {
  pid_t pid, pgid, sid;
  const char *name;
};

struct pgrp_wl {
  struct proc p[4];
};

static void sleep_forever(void) {
  for (;;) pause();
}

static int check(void *ctx, char *reason) {
  struct pgrp_wl *w = ctx;
  for (int i = 0; i < 4; ++i) {
    struct proc *p = &w->p[i];
    if (kill(p->pid, 0) != 0) return wl_fail(reason, "%s (pid %d) is gone", p->name, (int)p->pid);
    pid_t g = getpgid(p->pid), s = getsid(p->pid);
    if (g != p->pgid || s != p->sid) {
      return wl_fail(reason, "%s (pid %d): pgid %d sid %d, was pgid %d sid %d", p->name,
                     (int)p->pid, (int)g, (int)s, (int)p->pgid, (int)p->sid);
    }
  }
  return 0;
}

int wl_main_pgrp_session(int argc, char **argv) {
  (void)argc;
  (void)argv;
  static struct pgrp_wl w;
  int fd[2], rd[2]; /* fd: A sends C's pid; rd: B and C say their setpgid is done */
  if (pipe(fd) != 0 || pipe(rd) != 0) wl_die("pipe");
  pid_t a = fork();
  if (a < 0) wl_die("fork A");
  if (a == 0) {
    if (setsid() < 0) _exit(1);
    pid_t c = fork();
    if (c < 0) _exit(1);
    if (c == 0) {
      if (setpgid(0, 0) != 0) _exit(1);
      if (write(rd[1], "c", 1) != 1) _exit(1);
      sleep_forever();
    }
    if (write(fd[1], &c, sizeof c) != sizeof c) _exit(1);
    sleep_forever();
  }
  pid_t b = fork();
  if (b < 0) wl_die("fork B");
  if (b == 0) {
    if (setpgid(0, 0) != 0) _exit(1);
    if (write(rd[1], "b", 1) != 1) _exit(1);
    sleep_forever();
  }
  pid_t c = 0;
  if (wl_read_all(fd[0], &c, sizeof c) != 0) wl_die("read C's pid");
  char two[2];
  if (wl_read_all(rd[0], two, 2) != 0) wl_die("wait for B and C");
  close(fd[0]);
  close(fd[1]);
  close(rd[0]);
  close(rd[1]);
  const pid_t pids[4] = {getpid(), a, b, c};
  const char *names[4] = {"the workload", "A (session leader)", "B (group leader)",
                          "C (group in A's session)"};
  for (int i = 0; i < 4; ++i) {
    w.p[i] = (struct proc){pids[i], getpgid(pids[i]), getsid(pids[i]), names[i]};
    if (w.p[i].pgid < 0 || w.p[i].sid < 0) wl_die("getpgid/getsid of %s", names[i]);
  }
  if (w.p[1].sid != a || w.p[3].sid != a || w.p[3].pgid != c || w.p[2].pgid != b ||
      w.p[2].sid != w.p[0].sid) {
    wl_die("unexpected structure at setup");
  }
  wl_note("pgrp_session: self %d/%d/%d A %d/%d/%d B %d/%d/%d C %d/%d/%d", (int)w.p[0].pid,
          (int)w.p[0].pgid, (int)w.p[0].sid, (int)w.p[1].pid, (int)w.p[1].pgid, (int)w.p[1].sid,
          (int)w.p[2].pid, (int)w.p[2].pgid, (int)w.p[2].sid, (int)w.p[3].pid, (int)w.p[3].pgid,
          (int)w.p[3].sid);
  wl_loop(&w, check);
}
