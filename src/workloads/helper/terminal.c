/* terminal [termios]: a process whose stdio is a pseudo-terminal (process.terminal: true, the
 * runtime's console socket), as `runc run` gives an interactive container.
 *
 * Setup records what the terminal is: fds 0, 1 and 2 are one pty slave (/dev/pts/N); it is the
 * controlling terminal of this process's session, which this process leads, with this process
 * group in the foreground; its window size. Each check wants all of that still so, a write to
 * the terminal still going through, and the window size unchanged (the bundle sets
 * consoleSize 40x100, and a runtime that forgets it on restore would show 0x0).
 *
 * "termios": setup also puts the terminal in raw-ish mode (no echo, no canonical input, VMIN 0,
 * VTIME 3, VINTR ^G) and each check wants exactly those settings back. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "wl.h"

struct term_wl {
  int termios;
  dev_t rdev;
  struct winsize ws;
  struct termios tio;
};

static int same_termios(const struct termios *a, const struct termios *b, char *reason) {
  if (a->c_iflag != b->c_iflag || a->c_oflag != b->c_oflag || a->c_cflag != b->c_cflag ||
      a->c_lflag != b->c_lflag) {
    return wl_fail(reason, "termios flags now i%o o%o c%o l%o, were i%o o%o c%o l%o", a->c_iflag,
                   a->c_oflag, a->c_cflag, a->c_lflag, b->c_iflag, b->c_oflag, b->c_cflag,
                   b->c_lflag);
  }
  for (int i = 0; i < NCCS; ++i) {
    if (a->c_cc[i] != b->c_cc[i]) {
      return wl_fail(reason, "termios c_cc[%d] now %d, was %d", i, a->c_cc[i], b->c_cc[i]);
    }
  }
  return 0;
}

static int check(void *ctx, char *reason) {
  struct term_wl *t = ctx;
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st;
    if (!isatty(fd)) return wl_fail(reason, "fd %d is no longer a terminal", fd);
    if (fstat(fd, &st) != 0 || st.st_rdev != t->rdev) {
      return wl_fail(reason, "fd %d is another terminal now", fd);
    }
  }
  const char *name = ttyname(0);
  if (!name || strncmp(name, "/dev/pts/", 9) != 0) {
    return wl_fail(reason, "ttyname(0) is %s", name ? name : "(none)");
  }
  if (tcgetsid(0) != getsid(0) || getsid(0) != getpid()) {
    return wl_fail(reason, "the terminal's session %d, ours %d, pid %d: not our controlling tty",
                   (int)tcgetsid(0), (int)getsid(0), (int)getpid());
  }
  if (tcgetpgrp(0) != getpgrp()) {
    return wl_fail(reason, "foreground group %d, ours %d", (int)tcgetpgrp(0), (int)getpgrp());
  }
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) != 0) return wl_fail(reason, "TIOCGWINSZ");
  if (ws.ws_row != t->ws.ws_row || ws.ws_col != t->ws.ws_col) {
    return wl_fail(reason, "window size now %dx%d, was %dx%d", ws.ws_row, ws.ws_col, t->ws.ws_row,
                   t->ws.ws_col);
  }
  if (t->termios) {
    struct termios now;
    if (tcgetattr(0, &now) != 0) return wl_fail(reason, "tcgetattr");
    if (same_termios(&now, &t->tio, reason) != 0) return -1;
  }
  return 0;
}

int wl_main_terminal(int argc, char **argv) {
  static struct term_wl t;
  t.termios = argc > 1 && strcmp(argv[1], "termios") == 0;
  struct stat st;
  if (!isatty(0) || fstat(0, &st) != 0) wl_die("stdin is not a terminal");
  t.rdev = st.st_rdev;
  if (ioctl(0, TIOCGWINSZ, &t.ws) != 0) wl_die("TIOCGWINSZ");
  if (t.ws.ws_row == 0 || t.ws.ws_col == 0) wl_die("window size %dx%d", t.ws.ws_row, t.ws.ws_col);
  if (t.termios) {
    struct termios tio;
    if (tcgetattr(0, &tio) != 0) wl_die("tcgetattr");
    tio.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 3;
    tio.c_cc[VINTR] = 7;
    if (tcsetattr(0, TCSANOW, &tio) != 0) wl_die("tcsetattr");
    if (tcgetattr(0, &t.tio) != 0) wl_die("tcgetattr");
  }
  char reason[WL_REASON] = "";
  if (check(&t, reason) != 0) wl_die("%s", reason);
  wl_loop(&t, check);
}
