/* flood [LINES] [BYTES]: besides "ok N", each check prints LINES lines (default 200) of BYTES
 * characters (default 200) of filler, "data N.K xxxx...", so stdout carries ~400 KB/s. The
 * generic oracle then shows that stdout still flows after each restore (crun issue #756). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"

struct flood_wl {
  int lines, bytes;
  uint64_t gen;
  char line[4096];
};

static int check(void *ctx, char *reason) {
  struct flood_wl *f = ctx;
  ++f->gen;
  for (int k = 0; k < f->lines; ++k) {
    int n = snprintf(f->line, sizeof f->line, "data %llu.%d ", (unsigned long long)f->gen, k);
    memset(f->line + n, 'x', (size_t)(f->bytes - n));
    f->line[f->bytes] = '\n';
    if (fwrite(f->line, 1, (size_t)f->bytes + 1, stdout) != (size_t)f->bytes + 1) {
      return wl_fail(reason, "stdout write failed");
    }
  }
  if (fflush(stdout) != 0) return wl_fail(reason, "stdout flush failed");
  return 0;
}

int wl_main_flood(int argc, char **argv) {
  static struct flood_wl f;
  f.lines = argc > 1 ? atoi(argv[1]) : 200;
  f.bytes = argc > 2 ? atoi(argv[2]) : 200;
  if (f.lines < 1 || f.bytes < 40 || f.bytes > 4000) wl_die("bad LINES/BYTES");
  wl_loop(&f, check);
}
