/* eventfd [semaphore]: an eventfd whose counter holds a known value; each check reads it (must
 * be exactly that value), then writes the next one (generation * 1000 + 7).
 * "semaphore": also an EFD_SEMAPHORE eventfd holding 3, which must give 1 on each read (and is
 * topped up again). CRIU 4.2.1 re-creates every eventfd with eventfd(counter, 0): the
 * semaphore mode is lost and the first read after restore gives 3 (docs/workloads.md). */
#define _GNU_SOURCE
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "wl.h"

struct efd_wl {
  int fd, sem; /* sem: -1 unless "semaphore" */
  uint64_t gen;
};

static uint64_t value(uint64_t gen) { return gen * 1000 + 7; }

static int check(void *ctx, char *reason) {
  struct efd_wl *e = ctx;
  uint64_t v = 0;
  if (read(e->fd, &v, sizeof v) != sizeof v) return wl_fail(reason, "eventfd read failed (empty?)");
  if (v != value(e->gen)) {
    return wl_fail(reason, "counter %llu, want %llu", (unsigned long long)v,
                   (unsigned long long)value(e->gen));
  }
  if (e->sem >= 0 && (read(e->sem, &v, sizeof v) != sizeof v || v != 1)) {
    return wl_fail(reason, "semaphore eventfd gave %llu", (unsigned long long)v);
  }
  ++e->gen;
  v = value(e->gen);
  uint64_t one = 1;
  if (write(e->fd, &v, sizeof v) != sizeof v ||
      (e->sem >= 0 && write(e->sem, &one, sizeof one) != sizeof one)) {
    return wl_fail(reason, "eventfd write failed");
  }
  return 0;
}

int wl_main_eventfd(int argc, char **argv) {
  static struct efd_wl e;
  e.fd = eventfd(0, EFD_NONBLOCK);
  e.sem = -1;
  if (argc > 1 && strcmp(argv[1], "semaphore") == 0) {
    e.sem = eventfd(3, EFD_NONBLOCK | EFD_SEMAPHORE);
    if (e.sem < 0) wl_die("eventfd semaphore");
  }
  if (e.fd < 0) wl_die("eventfd");
  uint64_t v = value(0);
  if (write(e.fd, &v, sizeof v) != sizeof v) wl_die("write");
  wl_loop(&e, check);
}
