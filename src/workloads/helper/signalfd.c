/* signalfd: SIGUSR1 is blocked and always pending (queued with sigqueue, carrying the current
 * generation as its value), with a signalfd for it. Each check sees it in sigpending() and the
 * signalfd readable, reads it (signo and value must match), and queues the next generation. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "wl.h"

struct sfd_wl {
  int fd;
  int gen;
};

static int check(void *ctx, char *reason) {
  struct sfd_wl *s = ctx;
  sigset_t pending;
  if (sigpending(&pending) != 0 || !sigismember(&pending, SIGUSR1)) {
    return wl_fail(reason, "SIGUSR1 is no longer pending");
  }
  if (wl_readable(s->fd, 0) != 1) return wl_fail(reason, "the signalfd is not readable");
  struct signalfd_siginfo si;
  if (read(s->fd, &si, sizeof si) != sizeof si) return wl_fail(reason, "signalfd read");
  if (si.ssi_signo != SIGUSR1 || si.ssi_int != s->gen || si.ssi_code != SI_QUEUE) {
    return wl_fail(reason, "got signal %u value %d code %d, want %d value %d SI_QUEUE",
                   si.ssi_signo, si.ssi_int, si.ssi_code, SIGUSR1, s->gen);
  }
  if (wl_readable(s->fd, 0) != 0) return wl_fail(reason, "a second signal is pending");
  ++s->gen;
  union sigval v = {.sival_int = s->gen};
  if (sigqueue(getpid(), SIGUSR1, v) != 0) return wl_fail(reason, "sigqueue");
  return 0;
}

int wl_main_signalfd(int argc, char **argv) {
  (void)argc;
  (void)argv;
  static struct sfd_wl s;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) wl_die("sigprocmask");
  s.fd = signalfd(-1, &set, SFD_NONBLOCK);
  if (s.fd < 0) wl_die("signalfd");
  union sigval v = {.sival_int = 0};
  if (sigqueue(getpid(), SIGUSR1, v) != 0) wl_die("sigqueue");
  wl_loop(&s, check);
}
