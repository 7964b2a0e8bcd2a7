/* posix_shm [NAME]: shm_open(NAME) (default /crh-wl, i.e. /dev/shm/crh-wl), 1 MiB, mapped
 * shared. Each check compares the mapping with the current generation, re-opens the object by
 * name and reads it with read() to compare again, then writes the next generation. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wl.h"

#define PSHM_BYTES (1 << 20)

struct pshm_wl {
  const char *name;
  unsigned char *mem;
  unsigned char *copy;
  uint64_t gen;
};

static int check(void *ctx, char *reason) {
  struct pshm_wl *s = ctx;
  if (wl_check_pattern(s->mem, PSHM_BYTES, 7, s->gen, "mapping", reason) != 0) return -1;
  int fd = shm_open(s->name, O_RDONLY, 0);
  if (fd < 0) return wl_fail(reason, "shm_open %s failed", s->name);
  int r = wl_read_all(fd, s->copy, PSHM_BYTES);
  close(fd);
  if (r != 0) return wl_fail(reason, "read of %s failed", s->name);
  if (wl_check_pattern(s->copy, PSHM_BYTES, 7, s->gen, "read()", reason) != 0) return -1;
  wl_pattern(s->mem, PSHM_BYTES, 7, ++s->gen);
  return 0;
}

int wl_main_posix_shm(int argc, char **argv) {
  static struct pshm_wl s;
  s.name = argc > 1 ? argv[1] : "/crh-wl";
  shm_unlink(s.name);
  int fd = shm_open(s.name, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) wl_die("shm_open %s", s.name);
  if (ftruncate(fd, PSHM_BYTES) != 0) wl_die("ftruncate");
  s.mem = mmap(NULL, PSHM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (s.mem == MAP_FAILED) wl_die("mmap");
  close(fd);
  s.copy = malloc(PSHM_BYTES);
  if (!s.copy) wl_die("malloc");
  wl_pattern(s.mem, PSHM_BYTES, 7, 0);
  wl_loop(&s, check);
}
