/* timerfd [periodic]: timerfds that must stay armed and keep firing.
 *
 * Default (one-shot timers): a timer armed 1 hour ahead must stay armed, its remaining time
 * only ever decreasing, and never fire; a second timer is armed 30 ms ahead by each check and
 * must have fired exactly once by the next check (an expiration that happened while the
 * container was frozen or dumped is carried in the image as the timer's ticks).
 *
 * "periodic": a 1 ms periodic timer read by a thread blocked in read(), as an event loop
 * would; each check wants the expiration count advanced within 1 s. CRIU 4.2.1 takes a timer's
 * it_value from /proc/PID/fdinfo, which is (0, 0) for a periodic timer that expired while the
 * task was frozen and was not read yet, and restores that with timerfd_settime(), which
 * disarms it: the timer never ticks again. Pinned in docs/workloads.md. The period is 1 ms
 * because the loss is a race: CRIU must read fdinfo after the first expiry that nobody read.
 * With a 20 ms period CRIU once read fdinfo first (CI, runc 1.3.6) and the timer survived. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "wl.h"

enum { kPeriodNs = 1000 * 1000 };

struct tfd_wl {
  int periodic;
  int near, far, tick;
  time_t far_left;
  atomic_ullong total;
  unsigned long long seen;
};

static void *reader(void *p) {
  struct tfd_wl *t = p;
  for (;;) {
    uint64_t n = 0;
    if (read(t->tick, &n, sizeof n) == sizeof n) atomic_fetch_add(&t->total, n);
  }
  return NULL;
}

static int arm_near(struct tfd_wl *t) {
  struct itimerspec its = {.it_value = {0, 30 * 1000 * 1000}};
  return timerfd_settime(t->near, 0, &its, NULL);
}

static int check_periodic(struct tfd_wl *t, char *reason) {
  for (int i = 0; i < 100 && atomic_load(&t->total) == t->seen; ++i) usleep(10000);
  if (atomic_load(&t->total) == t->seen) {
    return wl_fail(reason, "the periodic timer did not tick for 1 s (count stays %llu)", t->seen);
  }
  t->seen = atomic_load(&t->total);
  struct itimerspec cur;
  if (timerfd_gettime(t->tick, &cur) != 0) return wl_fail(reason, "timerfd_gettime");
  if (cur.it_interval.tv_sec != 0 || cur.it_interval.tv_nsec != kPeriodNs) {
    return wl_fail(reason, "interval now %lld.%09ld", (long long)cur.it_interval.tv_sec,
                   cur.it_interval.tv_nsec);
  }
  return 0;
}

static int check(void *ctx, char *reason) {
  struct tfd_wl *t = ctx;
  if (t->periodic) return check_periodic(t, reason);
  /* The near timer was armed 30 ms ahead ~100 ms ago. */
  if (wl_readable(t->near, 1000) != 1) return wl_fail(reason, "the 30 ms timer did not fire");
  uint64_t n = 0;
  if (read(t->near, &n, sizeof n) != sizeof n || n != 1) {
    return wl_fail(reason, "the 30 ms timer gave %llu expirations, want 1", (unsigned long long)n);
  }
  if (arm_near(t) != 0) return wl_fail(reason, "re-arming the 30 ms timer failed");
  struct itimerspec cur;
  if (timerfd_gettime(t->far, &cur) != 0) return wl_fail(reason, "timerfd_gettime");
  if (cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0) {
    return wl_fail(reason, "the one-hour timer is disarmed");
  }
  if (cur.it_value.tv_sec > t->far_left) {
    return wl_fail(reason, "the one-hour timer went back from %llds to %llds left",
                   (long long)t->far_left, (long long)cur.it_value.tv_sec);
  }
  t->far_left = cur.it_value.tv_sec;
  if (wl_readable(t->far, 0) != 0) return wl_fail(reason, "the one-hour timer fired");
  return 0;
}

int wl_main_timerfd(int argc, char **argv) {
  static struct tfd_wl t;
  t.periodic = argc > 1 && strcmp(argv[1], "periodic") == 0;
  if (t.periodic) {
    t.tick = timerfd_create(CLOCK_MONOTONIC, 0);
    if (t.tick < 0) wl_die("timerfd_create");
    struct itimerspec its = {.it_interval = {0, kPeriodNs}, .it_value = {0, kPeriodNs}};
    if (timerfd_settime(t.tick, 0, &its, NULL) != 0) wl_die("timerfd_settime");
    pthread_t th;
    if (pthread_create(&th, NULL, reader, &t) != 0) wl_die("pthread_create");
  } else {
    t.near = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    t.far = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    if (t.near < 0 || t.far < 0) wl_die("timerfd_create");
    struct itimerspec far = {.it_value = {3600, 0}};
    if (timerfd_settime(t.far, 0, &far, NULL) != 0) wl_die("timerfd_settime");
    t.far_left = 3600;
    if (arm_near(&t) != 0) wl_die("timerfd_settime");
  }
  wl_loop(&t, check);
}
