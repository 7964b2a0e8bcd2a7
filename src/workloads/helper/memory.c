/* memory [MIB]: MIB MiB (default 256) of anonymous private memory, every page touched with
 * incompressible pattern data; each check re-checksums all of it against the checksum taken at
 * setup, and one page per check is rewritten (and the expected checksum updated) so the
 * contents keep changing between dumps. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wl.h"

#define PAGE 4096

struct mem_wl {
  unsigned char *mem;
  size_t bytes;
  uint64_t sum[64]; /* one checksum per 1/64th, so a mismatch says where */
  uint64_t gen;
};

static void sums(struct mem_wl *m, uint64_t *out) {
  size_t part = m->bytes / 64;
  for (int i = 0; i < 64; ++i) out[i] = wl_checksum(m->mem + (size_t)i * part, part);
}

static int check(void *ctx, char *reason) {
  struct mem_wl *m = ctx;
  uint64_t now[64];
  sums(m, now);
  for (int i = 0; i < 64; ++i) {
    if (now[i] != m->sum[i]) {
      return wl_fail(reason, "checksum of part %d/64 (MiB %zu..%zu) changed", i,
                     (size_t)i * (m->bytes >> 20) / 64, (size_t)(i + 1) * (m->bytes >> 20) / 64);
    }
  }
  ++m->gen;
  size_t pages = m->bytes / PAGE;
  size_t page = (size_t)(m->gen * 7919) % pages;
  wl_pattern(m->mem + page * PAGE, PAGE, 9, m->gen + 1000000);
  size_t part = m->bytes / 64;
  size_t i = page * PAGE / part;
  m->sum[i] = wl_checksum(m->mem + i * part, part);
  return 0;
}

int wl_main_memory(int argc, char **argv) {
  static struct mem_wl m;
  long mib = argc > 1 ? atol(argv[1]) : 256;
  if (mib < 1 || mib > 4096) wl_die("MiB must be 1..4096");
  m.bytes = (size_t)mib << 20;
  m.mem = mmap(NULL, m.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m.mem == MAP_FAILED) wl_die("mmap %ld MiB", mib);
  wl_pattern(m.mem, m.bytes, 9, 0);
  sums(&m, m.sum);
  wl_loop(&m, check);
}
