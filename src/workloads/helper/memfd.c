/* memfd: a 1 MiB memfd (MFD_ALLOW_SEALING, then F_SEAL_GROW|F_SEAL_SHRINK) with the current
 * generation's pattern. Each check compares it through pread() and through a shared mapping,
 * checks the seals and the size, then writes the next generation through the mapping. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wl.h"

#define MEMFD_BYTES (1 << 20)
#define SEALS (F_SEAL_GROW | F_SEAL_SHRINK)

struct memfd_wl {
  int fd;
  unsigned char *mem;
  unsigned char *copy;
  uint64_t gen;
};

static int check(void *ctx, char *reason) {
  struct memfd_wl *m = ctx;
  int seals = fcntl(m->fd, F_GET_SEALS);
  if (seals != SEALS) return wl_fail(reason, "seals are %#x, want %#x", seals, SEALS);
  struct stat st;
  if (fstat(m->fd, &st) != 0 || st.st_size != MEMFD_BYTES) {
    return wl_fail(reason, "size is %lld", (long long)st.st_size);
  }
  if (pread(m->fd, m->copy, MEMFD_BYTES, 0) != MEMFD_BYTES) return wl_fail(reason, "pread");
  if (wl_check_pattern(m->copy, MEMFD_BYTES, 8, m->gen, "pread", reason) != 0) return -1;
  if (wl_check_pattern(m->mem, MEMFD_BYTES, 8, m->gen, "mapping", reason) != 0) return -1;
  wl_pattern(m->mem, MEMFD_BYTES, 8, ++m->gen);
  return 0;
}

int wl_main_memfd(int argc, char **argv) {
  (void)argc;
  (void)argv;
  static struct memfd_wl m;
  m.fd = memfd_create("crh-wl", MFD_ALLOW_SEALING | MFD_CLOEXEC);
  if (m.fd < 0) wl_die("memfd_create");
  if (ftruncate(m.fd, MEMFD_BYTES) != 0) wl_die("ftruncate");
  if (fcntl(m.fd, F_ADD_SEALS, SEALS) != 0) wl_die("F_ADD_SEALS");
  m.mem = mmap(NULL, MEMFD_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd, 0);
  if (m.mem == MAP_FAILED) wl_die("mmap");
  m.copy = malloc(MEMFD_BYTES);
  if (!m.copy) wl_die("malloc");
  wl_pattern(m.mem, MEMFD_BYTES, 8, 0);
  wl_loop(&m, check);
}
